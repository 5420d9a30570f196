// MemoryStore (docs/compatibility.md §9): every method run on ours and on express-session's
// MemoryStore with the same arguments; callbacks, returned copies and the raw
// `sessions` map must match. Only Date is faked, so setImmediate stays real.
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { install } from '@sinonjs/fake-timers';
import fc from 'fast-check';
import session = require('../src/index.js');
import { oracle } from './helpers/oracle.js';

const NOW = Date.UTC(2033, 7, 9, 10, 11, 12);

type Callback = (...args: unknown[]) => void;
interface AnyMemoryStore {
  sessions: Record<string, string>;
  get(sid: string, cb: Callback): void;
  set(sid: string, sess: unknown, cb?: Callback): void;
  destroy(sid: string, cb?: Callback): void;
  touch(sid: string, sess: unknown, cb?: Callback): void;
  all(cb: Callback): void;
  length(cb: Callback): void;
  clear(cb?: Callback): void;
}

function stores(): [AnyMemoryStore, AnyMemoryStore] {
  return [new session.MemoryStore() as unknown as AnyMemoryStore, new oracle.MemoryStore() as unknown as AnyMemoryStore];
}

/** Runs a store method with a callback; resolves with the callback's arguments and whether it was deferred. */
function call(store: AnyMemoryStore, method: keyof AnyMemoryStore, ...args: unknown[]): Promise<{ deferred: boolean; args: unknown[] }> {
  return new Promise((resolve) => {
    let returned = false;
    const fn = store[method] as (...a: unknown[]) => void;
    fn.call(store, ...args, (...cbArgs: unknown[]) => resolve({ deferred: returned, args: cbArgs }));
    returned = true;
  });
}

/** Callback arguments made comparable: null-prototype maps as entries, with their prototype noted. */
function comparable(result: { deferred: boolean; args: unknown[] }): unknown {
  return {
    deferred: result.deferred,
    args: result.args.map((a) =>
      a !== null && typeof a === 'object'
        ? { proto: Object.getPrototypeOf(a) === null ? 'null' : 'object', json: JSON.stringify(a, sortedTopLevel(a)) }
        : a),
  };
}

/**
 * A JSON.stringify key list that sorts the top level only (the `all()` map):
 * with `max`, ours lists sessions least recently used first (the order `max`
 * evicts by); otherwise both list them in order of first insertion.
 */
function sortedTopLevel(value: object): string[] | undefined {
  if (Array.isArray(value)) return undefined;
  const keys = new Set<string>(Object.keys(value).sort());
  for (const inner of Object.values(value)) {
    collectKeys(inner, keys);
  }
  return [...keys];
}

function collectKeys(value: unknown, keys: Set<string>): void {
  if (value === null || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value)) {
    keys.add(key);
    collectKeys(inner, keys);
  }
}

/** Same method, same arguments, on both stores: the same callback arguments and the same raw map. */
async function same(pair: [AnyMemoryStore, AnyMemoryStore], method: keyof AnyMemoryStore, ...args: unknown[]): Promise<unknown[]> {
  const mine = await call(pair[0], method, ...args);
  const reference = await call(pair[1], method, ...args);
  assert.deepEqual(comparable(mine), comparable(reference), `${String(method)}(${JSON.stringify(args)})`);
  assert.deepEqual(live(pair[0].sessions), live(pair[1].sessions), `sessions after ${String(method)}`);
  return mine.args;
}

/**
 * The unexpired entries of a `sessions` map. Expired ones may differ on purpose:
 * ours sweeps them as sessions are written and on a timer (so memory is released),
 * express-session keeps them until they are read.
 */
function live(sessions: Record<string, string>): Record<string, string> {
  const now = Date.now();
  const result: Record<string, string> = {};
  for (const [sid, json] of Object.entries(sessions)) {
    const expires = (JSON.parse(json) as { cookie?: { expires?: string | null } }).cookie?.expires;
    if (!expires || new Date(expires).valueOf() > now) result[sid] = json;
  }
  return result;
}

function record(maxAge: number | null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...extra, cookie: new oracle.Cookie(maxAge === null ? {} : { maxAge }).toJSON() };
}

let clock: ReturnType<typeof install>;
beforeEach(() => {
  clock = install({ now: NOW, toFake: ['Date'] });
});
afterEach(() => {
  clock.uninstall();
});

describe('basic operations, compared with express-session', () => {
  test('the sessions map has no prototype', () => {
    for (const store of stores()) {
      assert.equal(Object.getPrototypeOf(store.sessions), null);
      assert.deepEqual(Object.keys(store.sessions), []);
    }
  });

  test('get of an unknown id, including inherited names', async () => {
    const pair = stores();
    for (const sid of ['missing', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const args = await same(pair, 'get', sid);
      assert.deepEqual(args, [null, undefined]);
    }
  });

  test('set then get returns a parsed copy; the raw map holds the same JSON', async () => {
    const pair = stores();
    const sess = record(60_000, { views: 2, user: { name: 'ann' } });
    await same(pair, 'set', 'a', sess);
    assert.equal(pair[0].sessions.a, JSON.stringify(sess));
    const [err, got] = await same(pair, 'get', 'a');
    assert.equal(err, null);
    assert.deepEqual(got, JSON.parse(JSON.stringify(sess)));
  });

  test('without max, sessions stay in order of first insertion, as in express-session\'s sessions object', async () => {
    const pair = stores();
    await same(pair, 'set', 'a', record(60_000, { n: 1 }));
    await same(pair, 'set', 'b', record(60_000, { n: 2 }));
    await same(pair, 'set', 'a', record(60_000, { n: 3 }));
    await same(pair, 'get', 'a');
    await same(pair, 'touch', 'a', record(90_000, { n: 3 }));
    assert.deepEqual(Object.keys(pair[0].sessions), ['a', 'b']);
    assert.deepEqual(Object.keys(pair[0].sessions), Object.keys(pair[1].sessions));
  });

  test('every callback is deferred (never called synchronously)', async () => {
    const [mine] = stores();
    const sess = record(1000);
    for (const [method, args] of [
      ['set', ['a', sess]], ['get', ['a']], ['touch', ['a', sess]], ['all', []], ['length', []],
      ['destroy', ['a']], ['clear', []], ['get', ['nothing']], ['touch', ['nothing', sess]],
    ] as Array<[keyof AnyMemoryStore, unknown[]]>) {
      const result = await call(mine, method, ...args);
      assert.equal(result.deferred, true, method);
    }
  });

  test('the callback is optional for set, destroy, touch and clear', async () => {
    const pair = stores();
    for (const store of pair) {
      store.set('a', record(1000, { n: 1 }));
      store.set('b', record(1000, { n: 2 }));
      store.touch('a', record(5000));
      store.destroy('b');
    }
    assert.deepEqual({ ...pair[0].sessions }, { ...pair[1].sessions });
    assert.deepEqual(Object.keys(pair[0].sessions), ['a']);
    for (const store of pair) store.clear();
    assert.deepEqual(Object.keys(pair[0].sessions), []);
    assert.equal(Object.getPrototypeOf(pair[0].sessions), null);
  });

  test('a session id of "__proto__" is an ordinary key', async () => {
    const pair = stores();
    await same(pair, 'set', '__proto__', record(1000, { odd: true }));
    const [, got] = await same(pair, 'get', '__proto__');
    assert.equal((got as Record<string, unknown>).odd, true);
    await same(pair, 'all');
    await same(pair, 'length');
  });

  test('a live Session of each library is stored as the same JSON', async () => {
    const [mine, reference] = stores();
    const a = new session.Session({ sessionID: 's', sessionStore: mine as never }, { views: 1 });
    a.cookie = new session.Cookie({ maxAge: 30_000, sameSite: 'lax' });
    const b = new oracle.Session({ sessionID: 's', sessionStore: reference }, { views: 1 });
    b.cookie = new oracle.Cookie({ maxAge: 30_000, sameSite: 'lax' });
    await call(mine, 'set', 's', a);
    await call(reference, 'set', 's', b);
    assert.equal(mine.sessions.s, reference.sessions.s);
    assert.match(mine.sessions.s!, /"views":1,"cookie":\{"originalMaxAge":30000/);
  });
});

describe('copies', () => {
  test('mutating what get returned does not change the store', async () => {
    const [mine] = stores();
    await call(mine, 'set', 'a', record(1000, { list: [1] }));
    const first = (await call(mine, 'get', 'a')).args[1] as { list: number[] };
    first.list.push(2);
    const second = (await call(mine, 'get', 'a')).args[1] as { list: number[] };
    assert.notEqual(first, second);
    assert.deepEqual(second.list, [1]);
  });

  test('the object passed to set is not kept', async () => {
    const [mine] = stores();
    const sess = record(1000, { n: 1 });
    await call(mine, 'set', 'a', sess);
    sess.n = 2;
    const got = (await call(mine, 'get', 'a')).args[1] as Record<string, unknown>;
    assert.equal(got.n, 1);
    assert.notEqual(got, sess);
  });

  test('all() returns copies in a null-prototype map', async () => {
    const pair = stores();
    await same(pair, 'set', 'a', record(1000, { n: 1 }));
    await same(pair, 'set', 'b', record(null, { n: 2 }));
    const [, all] = await same(pair, 'all');
    const map = all as Record<string, Record<string, unknown>>;
    assert.equal(Object.getPrototypeOf(map), null);
    assert.deepEqual(Object.keys(map), ['a', 'b']);
    map.a!.n = 99;
    assert.equal(((await call(pair[0], 'get', 'a')).args[1] as Record<string, unknown>).n, 1);
  });
});

describe('expiry (read time only, no timers)', () => {
  test('get deletes and hides an expired entry, at exactly expires', async () => {
    const pair = stores();
    await same(pair, 'set', 'a', record(1000));
    clock.tick(999);
    assert.ok((await same(pair, 'get', 'a'))[1]);
    clock.tick(1);
    assert.deepEqual(await same(pair, 'get', 'a'), [null, undefined]);
    assert.deepEqual(Object.keys(pair[0].sessions), []);
  });

  test('entries without expires, or without a cookie, never expire', async () => {
    const pair = stores();
    await same(pair, 'set', 'browser', record(null));
    await same(pair, 'set', 'nocookie', { views: 1 });
    await same(pair, 'set', 'falsy', { cookie: { expires: 0 } });
    clock.tick(10 * 365 * 24 * 3600 * 1000);
    await same(pair, 'get', 'browser');
    await same(pair, 'get', 'nocookie');
    await same(pair, 'get', 'falsy');
    assert.deepEqual(Object.keys(pair[0].sessions), ['browser', 'nocookie', 'falsy']);
  });

  test('all() and length() omit expired entries (and delete them)', async () => {
    const pair = stores();
    await same(pair, 'set', 'short', record(1000));
    await same(pair, 'set', 'long', record(60_000));
    await same(pair, 'set', 'forever', record(null));
    assert.deepEqual(await same(pair, 'length'), [null, 3]);
    clock.tick(5000);
    const [, all] = await same(pair, 'all');
    assert.deepEqual(Object.keys(all as object), ['long', 'forever']);
    assert.deepEqual(Object.keys(pair[0].sessions), ['long', 'forever']);
    clock.tick(60_000);
    assert.deepEqual(await same(pair, 'length'), [null, 1]);
  });

  test('touch replaces only the cookie, and does not revive or create entries', async () => {
    const pair = stores();
    await same(pair, 'set', 'a', record(1000, { views: 1 }));
    clock.tick(500);
    await same(pair, 'touch', 'a', record(1000, { views: 99, extra: true }));
    const [, got] = await same(pair, 'get', 'a');
    assert.deepEqual(got, JSON.parse(JSON.stringify(record(1000, { views: 1 }))));
    clock.tick(999);
    assert.ok((await same(pair, 'get', 'a'))[1], 'the touch moved expires');
    await same(pair, 'touch', 'missing', record(1000));
    assert.equal('missing' in pair[0].sessions, false);
    clock.tick(1000);
    await same(pair, 'touch', 'a', record(1000));
    assert.deepEqual(Object.keys(pair[0].sessions), []);
  });

  test('clear empties the store', async () => {
    const pair = stores();
    await same(pair, 'set', 'a', record(1000));
    await same(pair, 'clear');
    assert.deepEqual(await same(pair, 'length'), [null, 0]);
  });
});

describe('random operation sequences', () => {
  test('property: the same sessions map and answers as express-session', async () => {
    const sid = fc.constantFrom('a', 'b', 'c', '__proto__');
    const data = fc.record({ views: fc.nat(), name: fc.string({ maxLength: 5 }) });
    const lifetime = fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 5000 }));
    const op = fc.oneof(
      fc.tuple(fc.constant('set' as const), sid, lifetime, data),
      fc.tuple(fc.constant('touch' as const), sid, lifetime),
      fc.tuple(fc.constant('get' as const), sid),
      fc.tuple(fc.constant('destroy' as const), sid),
      fc.tuple(fc.constant('all' as const)),
      fc.tuple(fc.constant('length' as const)),
      fc.tuple(fc.constant('clear' as const)),
      fc.tuple(fc.constant('tick' as const), fc.integer({ min: 0, max: 3000 })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const pair = stores();
        for (const step of ops) {
          switch (step[0]) {
            case 'set':
              await same(pair, 'set', step[1], record(step[2], step[3]));
              break;
            case 'touch':
              await same(pair, 'touch', step[1], record(step[2]));
              break;
            case 'get':
            case 'destroy':
              await same(pair, step[0], step[1]);
              break;
            case 'tick':
              clock.tick(step[1]);
              break;
            default:
              await same(pair, step[0]);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('the sessions view', () => {
  test('assigning the view to itself keeps every session; assigning an object replaces them', async () => {
    const store = new session.MemoryStore();
    await call(store, 'set', 'a', record(1000, { n: 1 }));
    await call(store, 'set', 'b', record(1000, { n: 2 }));
    // eslint-disable-next-line no-self-assign -- the point of the test: the setter must read its argument first
    store.sessions = store.sessions;
    assert.deepEqual(Object.keys(store.sessions).sort(), ['a', 'b']);
    assert.equal(JSON.parse(store.sessions.b).n, 2);

    store.sessions = { c: JSON.stringify(record(1000, { n: 3 })) };
    assert.deepEqual(Object.keys(store.sessions), ['c']);
    const got = await call(store, 'get', 'c');
    assert.equal((got.args[1] as { n: number }).n, 3);

    store.sessions.d = JSON.stringify(record(1000, { n: 4 }));
    delete store.sessions.c;
    assert.deepEqual(Object.keys(store.sessions), ['d']);
  });
});
