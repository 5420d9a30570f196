// Cookie (docs/compatibility.md §8), run side by side with express-session's Cookie.
// Date is faked so both cookies see the same Date.now() and their state can be
// compared exactly.
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { install } from '@sinonjs/fake-timers';
import fc from 'fast-check';
import session = require('../src/index.js');
import { oracle } from './helpers/oracle.js';

const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);

type AnyCookie = Record<string, unknown> & { readonly data: Record<string, unknown>; serialize(name: string, value: string): string };
type Outcome = { value: unknown } | { error: { type: string; message: string } };

function ours(options?: unknown): AnyCookie {
  return new session.Cookie(options as session.CookieOptions) as unknown as AnyCookie;
}

function theirs(options?: unknown): AnyCookie {
  return new oracle.Cookie(options) as unknown as AnyCookie;
}

/** Dates as strings, so invalid dates compare equal too. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  return value;
}

/** Everything observable about a cookie, in a form deepEqual can compare. */
function snapshot(cookie: AnyCookie): Record<string, unknown> {
  const data = cookie.data;
  return {
    keys: Object.keys(cookie),
    values: Object.keys(cookie).map((k) => plain(cookie[k])),
    maxAge: plain(cookie.maxAge),
    expires: plain(cookie.expires),
    originalMaxAge: plain(cookie.originalMaxAge),
    dataKeys: Object.keys(data),
    data: Object.keys(data).map((k) => plain(data[k])),
    jsonKeys: Object.keys((cookie.toJSON as () => object).call(cookie)),
    json: JSON.stringify(cookie),
  };
}

function outcome(fn: () => unknown): Outcome {
  try {
    return { value: fn() };
  } catch (err) {
    assert.ok(err instanceof Error, 'throws an Error');
    return { error: { type: err.constructor.name, message: err.message } };
  }
}

/** Same result, or both throw the same error type and ours adds `: <value>` (intended difference 2). */
function assertSameSerialize(mine: Outcome, reference: Outcome, label: string): void {
  if ('error' in reference) {
    assert.ok('error' in mine, `${label}: express-session throws "${reference.error.message}", ours returned`);
    assert.equal(mine.error.type, reference.error.type, label);
    // Intended difference 2: cookie@1 appends the bad value to the message.
    assert.ok(
      mine.error.message === reference.error.message || mine.error.message.startsWith(`${reference.error.message}: `),
      `${label}: "${mine.error.message}" vs "${reference.error.message}"`,
    );
  } else {
    assert.deepEqual(mine, reference, label);
  }
}

let clock: ReturnType<typeof install>;
beforeEach(() => {
  clock = install({ now: NOW, toFake: ['Date'] });
});
afterEach(() => {
  clock.uninstall();
});

describe('construction', () => {
  test('defaults', () => {
    const mine = ours();
    assert.deepEqual(snapshot(mine), snapshot(theirs()));
    assert.deepEqual(Object.keys(mine), ['path', '_expires', 'originalMaxAge', 'httpOnly']);
    assert.equal(mine.path, '/');
    assert.equal(mine.httpOnly, true);
    assert.equal(mine.expires, null);
    assert.equal(mine.maxAge, null);
    assert.equal(mine.originalMaxAge, null);
    assert.equal(mine.secure, undefined);
  });

  test('data and toJSON keys, in express-session\'s order', () => {
    const options = { domain: 'example.com', secure: true, sameSite: 'lax', partitioned: true, priority: 'high', maxAge: 5000 };
    const mine = ours(options);
    assert.deepEqual(Object.keys(mine.data), Object.keys(theirs(options).data));
    assert.deepEqual(Object.keys(mine.data), [
      'originalMaxAge', 'partitioned', 'priority', 'expires', 'secure', 'httpOnly', 'domain', 'path', 'sameSite',
    ]);
    assert.deepEqual(snapshot(mine), snapshot(theirs(options)));
    assert.equal('maxAge' in mine.data, false);
  });

  const cases: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['false', false],
    ['0', 0],
    ['empty string', ''],
    ['empty object', {}],
    ['maxAge', { maxAge: 60_000 }],
    ['maxAge 0', { maxAge: 0 }],
    ['maxAge null', { maxAge: null }],
    ['maxAge false', { maxAge: false }],
    ['maxAge NaN', { maxAge: NaN }],
    ['maxAge negative', { maxAge: -1000 }],
    ['expires', { expires: new Date(NOW + 90_000) }],
    ['expires in the past', { expires: new Date(NOW - 90_000) }],
    ['expires null', { expires: null }],
    ['expires as ISO string', { expires: new Date(NOW + 5000).toISOString() }],
    ['expires as number', { expires: 12345 }],
    ['maxAge then expires (expires wins)', { maxAge: 1000, expires: new Date(NOW + 7000) }],
    ['expires then maxAge (maxAge wins)', { expires: new Date(NOW + 7000), maxAge: 1000 }],
    ['originalMaxAge given', { originalMaxAge: 4000, expires: new Date(NOW + 2000) }],
    ['a stored cookie (createSession input)', JSON.parse(JSON.stringify(new oracle.Cookie({ maxAge: 3000, secure: true })))],
    ['secure', { secure: true }],
    ['secure auto', { secure: 'auto' }],
    ['sameSite strict', { sameSite: 'strict' }],
    ['sameSite true', { sameSite: true }],
    ['sameSite none + partitioned', { sameSite: 'none', secure: true, partitioned: true }],
    ['priority', { priority: 'low' }],
    ['domain', { domain: '.example.com' }],
    ['path', { path: '/admin' }],
    ['httpOnly false', { httpOnly: false }],
    ['unknown keys are kept', { foo: 'bar', signed: true, encode: 'x', maxAgeTypo: 3 }],
    ['the data key is ignored', { data: { path: '/evil' }, path: '/ok' }],
    ['keys in an odd order', { sameSite: 'lax', httpOnly: false, path: '/p', domain: 'd.example', secure: false }],
    ['_expires given directly', { _expires: new Date(NOW + 1000) }],
  ];
  for (const [label, options] of cases) {
    test(`same state as express-session: ${label}`, () => {
      assert.deepEqual(snapshot(ours(options)), snapshot(theirs(options)));
    });
  }

  test('non-object options: the same TypeError', () => {
    for (const bad of ['string', 42, true, () => ({}), Symbol('s')]) {
      const mine = outcome(() => ours(bad));
      assert.deepEqual(mine, outcome(() => theirs(bad)), String(typeof bad));
      assert.deepEqual(mine, { error: { type: 'TypeError', message: 'argument options must be a object' } });
    }
  });

  test('invalid maxAge: the same TypeError from the constructor and the setter', () => {
    for (const bad of ['60000', {}, [], true, () => 1]) {
      const mine = outcome(() => ours({ maxAge: bad }));
      assert.deepEqual(mine, outcome(() => theirs({ maxAge: bad })));
      assert.deepEqual(mine, { error: { type: 'TypeError', message: 'maxAge must be a number or Date' } });
      const a = ours();
      const b = theirs();
      assert.deepEqual(outcome(() => { a.maxAge = bad; }), outcome(() => { b.maxAge = bad; }));
      assert.deepEqual(snapshot(a), snapshot(b), 'state unchanged after the throw');
    }
  });

  test('a __proto__ key is ignored (intended difference 8)', () => {
    const stored = JSON.parse('{"__proto__": {"polluted": true}, "path": "/p", "originalMaxAge": null}') as object;
    const mine = ours(stored);
    // Intended difference 8: express-session assigns it and loses its prototype.
    assert.equal(Object.getPrototypeOf(mine), session.Cookie.prototype);
    assert.equal('polluted' in mine, false);
    assert.equal(mine.path, '/p');
    assert.equal(Object.getPrototypeOf(theirs(stored)) === oracle.Cookie.prototype, false);
  });

  test('property: any option combination, in any key order, gives express-session\'s state and header', () => {
    const entry = fc.oneof(
      fc.tuple(fc.constant('maxAge'), fc.oneof(fc.integer({ min: -1e6, max: 1e10 }), fc.constantFrom(null, undefined, 0, false))),
      fc.tuple(fc.constant('expires'), fc.oneof(
        fc.date({ min: new Date(NOW - 1e9), max: new Date(NOW + 1e10), noInvalidDate: true }),
        fc.constantFrom(null, undefined),
        fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
      )),
      fc.tuple(fc.constant('originalMaxAge'), fc.oneof(fc.nat(), fc.constant(null))),
      fc.tuple(fc.constant('secure'), fc.constantFrom(true, false, 'auto', undefined)),
      fc.tuple(fc.constant('sameSite'), fc.constantFrom(true, false, 'lax', 'strict', 'none', 'Lax', 'auto', 'bogus', undefined)),
      fc.tuple(fc.constant('httpOnly'), fc.boolean()),
      fc.tuple(fc.constant('domain'), fc.constantFrom('example.com', '.example.com', 'bad domain', undefined)),
      fc.tuple(fc.constant('path'), fc.constantFrom('/', '/admin', '/a;b', undefined)),
      fc.tuple(fc.constant('partitioned'), fc.boolean()),
      fc.tuple(fc.constant('priority'), fc.constantFrom('low', 'medium', 'high', 'HIGH', 'urgent', undefined)),
      fc.tuple(fc.constantFrom('foo', 'data', 'signed'), fc.jsonValue()),
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), fc.integer({ min: 0, max: 1e7 }), (entries, elapsed) => {
        const options = Object.fromEntries(entries);
        const a = ours(options);
        const b = theirs(options);
        assert.deepEqual(snapshot(a), snapshot(b));
        assertSameSerialize(outcome(() => a.serialize('connect.sid', 's:abc.def')), outcome(() => b.serialize('connect.sid', 's:abc.def')), JSON.stringify(options));
        clock.tick(elapsed);
        assert.deepEqual(snapshot(a), snapshot(b), 'after time passes');
      }),
      { numRuns: 300 },
    );
  });
});

describe('maxAge and expires', () => {
  test('the maxAge getter counts down as time passes', () => {
    const a = ours({ maxAge: 60_000 });
    const b = theirs({ maxAge: 60_000 });
    clock.tick(1500);
    assert.equal(a.maxAge, b.maxAge);
    assert.equal(a.maxAge, 58_500);
    assert.equal(a.originalMaxAge, 60_000);
    clock.tick(60_000);
    assert.equal(a.maxAge, b.maxAge);
    assert.equal(a.maxAge, -1500);
    assert.deepEqual(snapshot(a), snapshot(b));
  });

  test('setting maxAge moves expires to now + ms and resets originalMaxAge', () => {
    const a = ours({ maxAge: 2000 });
    const b = theirs({ maxAge: 2000 });
    clock.tick(700);
    a.maxAge = a.originalMaxAge;
    b.maxAge = b.originalMaxAge;
    assert.deepEqual(snapshot(a), snapshot(b));
    assert.equal((a.expires as Date).getTime(), NOW + 700 + 2000);
    a.maxAge = 0;
    b.maxAge = 0;
    assert.deepEqual(snapshot(a), snapshot(b));
    a.maxAge = null;
    b.maxAge = null;
    assert.deepEqual(snapshot(a), snapshot(b));
    assert.equal(a.expires, null);
  });

  test('originalMaxAge drifts when expires is set again later', () => {
    const a = ours({ maxAge: 2000 });
    const b = theirs({ maxAge: 2000 });
    clock.tick(1);
    const [expiresA, expiresB] = [a.expires, b.expires];
    a.expires = expiresA;
    b.expires = expiresB;
    assert.equal(a.originalMaxAge, b.originalMaxAge);
    assert.equal(a.originalMaxAge, 1999);
    assert.deepEqual(snapshot(a), snapshot(b));
  });

  test('expires set to a non-Date: the getter passes it through', () => {
    for (const value of ['2030-01-01T00:00:00.000Z', false, 0, undefined]) {
      const a = ours();
      const b = theirs();
      a.expires = value;
      b.expires = value;
      assert.deepEqual(snapshot(a), snapshot(b), String(value));
    }
  });

  test('maxAge as a Date is used as expires, with a deprecation warning', () => {
    const warnings: string[] = [];
    const listener = (err: Error & { namespace?: string }): void => {
      warnings.push(`${err.namespace}: ${err.message}`);
    };
    process.on('deprecation', listener);
    try {
      const when = new Date(NOW + 30_000);
      const setDate = (cookie: AnyCookie): void => {
        cookie.maxAge = when;
      };
      const a = ours();
      setDate(a);
      assert.deepEqual(warnings, ['express-session: maxAge as Date; pass number of milliseconds instead']);
      const b = theirs();
      setDate(b);
      assert.equal(warnings.length, 2);
      assert.equal(warnings[1], warnings[0]);
      assert.deepEqual(snapshot(a), snapshot(b));
      assert.equal(a.expires, when);
      assert.equal(a.maxAge, 30_000);
      assert.deepEqual(snapshot(ours({ maxAge: when })), snapshot(theirs({ maxAge: when })));
    } finally {
      process.removeListener('deprecation', listener);
    }
  });
});

describe('serialize', () => {
  const attributes: unknown[] = [
    {},
    { maxAge: 60_000 },
    { expires: new Date(NOW + 1) },
    { domain: 'example.com', path: '/admin', secure: true, httpOnly: false },
    { sameSite: 'lax' },
    { sameSite: 'Strict' },
    { sameSite: true },
    { sameSite: false },
    { sameSite: 'none', secure: true, partitioned: true },
    { priority: 'High' },
    { priority: 'medium' },
    { secure: 'auto' },
    { domain: '.example.com' },
  ];
  for (const options of attributes) {
    test(`the same header as express-session: ${JSON.stringify(options)}`, () => {
      for (const [name, value] of [['connect.sid', 's:abc.def'], ['sid', 'needs;encoding=yes'], ['sid', '']]) {
        const mine = outcome(() => ours(options).serialize(name!, value!));
        assert.ok('value' in mine, 'no error');
        assert.deepEqual(mine, outcome(() => theirs(options).serialize(name!, value!)));
      }
    });
  }

  const invalid: Array<[string, unknown, string, string]> = [
    ['sameSite', { sameSite: 'auto' }, 'sid', 'v'],
    ['sameSite', { sameSite: 'bogus' }, 'sid', 'v'],
    ['priority', { priority: 'urgent' }, 'sid', 'v'],
    ['domain', { domain: 'bad domain' }, 'sid', 'v'],
    ['path', { path: '/a;b' }, 'sid', 'v'],
    ['expires', { expires: 'tomorrow' }, 'sid', 'v'],
    ['expires', { maxAge: NaN }, 'sid', 'v'],
    ['name', {}, 'bad name', 'v'],
  ];
  for (const [what, options, name, value] of invalid) {
    test(`invalid ${what}: a TypeError like express-session's (intended difference 2) ${JSON.stringify(options)}`, () => {
      const reference = outcome(() => theirs(options).serialize(name, value));
      assert.ok('error' in reference, 'express-session rejects it');
      const mine = outcome(() => ours(options).serialize(name, value));
      assertSameSerialize(mine, reference, what);
    });
  }
});
