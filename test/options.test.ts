import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSecretKey } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import signature = require('cookie-signature');
import session = require('../src/index.js');

type Factory = (options?: Record<string, unknown>) => express.RequestHandler;
// The oracle has no @types installed.
const oracle = require('express-session') as Factory;
const ours = session as unknown as Factory;

const SRC = path.join(__dirname, '..', 'src', 'index.ts');
const ORACLE_PATH = require.resolve('express-session');

/** Options that silence the resave/saveUninitialized deprecations. */
const QUIET = { secret: 'keyboard cat', resave: false, saveUninitialized: false };

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TypeError, `expected a TypeError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected a TypeError');
}

/** Runs `code` in a child Node (CommonJS, tsx loaded) with `MODULE` bound to the given implementation. */
function runChild(code: string, modulePath: string, env: Record<string, string | undefined> = {}) {
  const childEnv: Record<string, string | undefined> = { ...process.env, NODE_ENV: undefined, DEBUG: undefined, NO_DEPRECATION: undefined };
  for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key];
  Object.assign(childEnv, env);
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', `const session = require(${JSON.stringify(modulePath)});\n${code}`],
    { encoding: 'utf8', env: childEnv as NodeJS.ProcessEnv },
  );
  assert.equal(child.status, 0, child.stderr);
  return child;
}

/** The deprecation lines of a child's stderr, without their timestamps. */
function deprecations(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.includes(' deprecated ')).map((line) => line.replace(/^.*? GMT /, ''));
}

describe('construction-time TypeErrors shared with express-session', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['genid not a function', { genid: 'abc' }],
    ['unset invalid', { unset: 'remove' }],
    ['secret []', { secret: [] }],
  ];
  for (const [label, options] of cases) {
    test(`${label}: same TypeError and message as express-session`, () => {
      const expected = messageOf(() => oracle({ ...QUIET, ...options }));
      assert.equal(messageOf(() => ours({ ...QUIET, ...options })), expected);
    });
  }

  test('the messages themselves', () => {
    assert.throws(() => ours({ ...QUIET, genid: 1 }), { name: 'TypeError', message: 'genid option must be a function' });
    assert.throws(() => ours({ ...QUIET, unset: true }), { name: 'TypeError', message: 'unset option must be "destroy" or "keep"' });
    assert.throws(() => ours({ ...QUIET, secret: [] }), {
      name: 'TypeError',
      message: 'secret option array must contain one or more strings',
    });
  });

  test('valid unset values and a falsy unset are accepted by both', () => {
    for (const unset of ['keep', 'destroy', undefined, null, '']) {
      assert.doesNotThrow(() => oracle({ ...QUIET, unset }));
      assert.doesNotThrow(() => ours({ ...QUIET, unset }));
    }
  });
});

describe('construction-time TypeErrors of the express-session-cn fork', () => {
  for (const hook of ['alternateTokenValue', 'skipCookie']) {
    test(`${hook} must be a function`, () => {
      for (const value of ['x', 1, {}, true]) {
        assert.throws(() => ours({ ...QUIET, [hook]: value }), { name: 'TypeError', message: `${hook} option must be a function` });
      }
      assert.doesNotThrow(() => ours({ ...QUIET, [hook]: () => undefined }));
      assert.doesNotThrow(() => ours({ ...QUIET, [hook]: undefined }));
    });
  }
});

// Intended difference 3: express-session accepts all of these at construction and fails later (or never).
const EMPTY_KEY = (what: string, where = '') =>
  `secret option is invalid${where}: ${what} (an empty key lets anyone sign cookies: use a long random secret, e.g. crypto.randomBytes(32))`;

describe('construction-time TypeErrors that express-session lacks (intended difference 3)', () => {
  const SECRET_FIX = 'use a non-empty string, a Buffer or a KeyObject, or an array of them';
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['invalid cookie name', { name: 'a b' },
      "name option is invalid: a b (a cookie name is letters, digits and !#$%&'*+-.^_`|~ only)"],
    ['invalid cookie name via key', { key: 'a;b' },
      "name option is invalid: a;b (a cookie name is letters, digits and !#$%&'*+-.^_`|~ only)"],
    ['cookie: "x"', { cookie: 'x' }, "cookie option must be an object or a function of req, got 'x' (a string)"],
    ['cookie: 5', { cookie: 5 }, 'cookie option must be an object or a function of req, got 5 (a number)'],
    ['cookie.maxAge: "abc"', { cookie: { maxAge: 'abc' } },
      "cookie.maxAge option is invalid: 'abc' (a string); use a number of milliseconds, e.g. maxAge: 60 * 60 * 1000"],
    ['cookie.maxAge from an environment variable', { cookie: { maxAge: '86400000' } },
      "cookie.maxAge option is invalid: '86400000' (a string); use a number: maxAge: 86400000, "
      + 'or maxAge: Number(process.env.…) for a value read from the environment'],
    ['cookie.maxAge: true', { cookie: { maxAge: true } },
      'cookie.maxAge option is invalid: true (a boolean); use a number of milliseconds, e.g. maxAge: 60 * 60 * 1000'],
    ['cookie.maxAge: NaN', { cookie: { maxAge: NaN } },
      'cookie.maxAge option is invalid: NaN (a number); use a finite number of milliseconds'],
    ['cookie.maxAge: Infinity', { cookie: { maxAge: Infinity } },
      'cookie.maxAge option is invalid: Infinity (a number); use a finite number of milliseconds'],
    ["cookie.sameSite: 'bogus'", { cookie: { sameSite: 'bogus' } },
      "cookie.sameSite option is invalid: 'bogus' (a string); use 'lax', 'strict', 'none', 'auto', true or false"],
    ["cookie.sameSite: 'false'", { cookie: { sameSite: 'false' } },
      "cookie.sameSite option is invalid: 'false' (a string); use 'lax', 'strict', 'none', 'auto', true or false"],
    ["cookie.priority: 'urgent'", { cookie: { priority: 'urgent' } },
      "cookie.priority option is invalid: 'urgent' (a string); use 'low', 'medium' or 'high'"],
    ["cookie.domain: 'bad domain'", { cookie: { domain: 'bad domain' } },
      "cookie.domain option is invalid: 'bad domain' (a string); use a host name, e.g. domain: 'example.com', or leave it out for a host-only cookie"],
    ['cookie.domain: true', { cookie: { domain: true } },
      "cookie.domain option is invalid: true (a boolean); use a host name, e.g. domain: 'example.com', or leave it out for a host-only cookie"],
    ["cookie.secure: 'true'", { cookie: { secure: 'true' } },
      "cookie.secure option is invalid: 'true' (a string); use secure: true, secure: false or secure: 'auto' (not a string)"],
    ["cookie.secure: 'false'", { cookie: { secure: 'false' } },
      "cookie.secure option is invalid: 'false' (a string); use secure: true, secure: false or secure: 'auto' (not a string)"],
    ['cookie.secure: 1', { cookie: { secure: 1 } },
      "cookie.secure option is invalid: 1 (a number); use secure: true, secure: false or secure: 'auto' (not a string)"],
    ["cookie.path: 'api'", { cookie: { path: 'api' } },
      "cookie.path option is invalid: 'api' (a string); use a URL path that starts with '/' and has no ';' or control characters, e.g. path: '/'"],
    ["cookie.path: '/a;b'", { cookie: { path: '/a;b' } },
      "cookie.path option is invalid: '/a;b' (a string); use a URL path that starts with '/' and has no ';' or control characters, e.g. path: '/'"],
    ['cookie.path: 5', { cookie: { path: 5 } },
      "cookie.path option is invalid: 5 (a number); use a URL path that starts with '/' and has no ';' or control characters, e.g. path: '/'"],
    ['cookie.expires: a string', { cookie: { expires: '2030-01-01' } },
      "cookie.expires option is invalid: '2030-01-01' (a string); use a valid Date, or maxAge (milliseconds) instead"],
    ['cookie.expires: Invalid Date', { cookie: { expires: new Date(NaN) } },
      'cookie.expires option is invalid: Invalid Date (a Date); use a valid Date, or maxAge (milliseconds) instead'],
    ["secret: ''", { secret: '' },
      'secret option is an empty string (is the environment variable it is read from unset?); '
      + 'use a long random string, e.g. secret: process.env.SESSION_SECRET with SESSION_SECRET set'],
    ['secret: 42', { secret: 42 }, `secret option is invalid: a number; ${SECRET_FIX}`],
    ["secret: ['']", { secret: [''] }, `secret option is invalid at index 0: an empty string; ${SECRET_FIX}`],
    ["secret: ['ok', 7]", { secret: ['ok', 7] }, `secret option is invalid at index 1: a number; ${SECRET_FIX}`],
    ["secret: ['ok', 'older', undefined]", { secret: ['ok', 'older', undefined] }, `secret option is invalid at index 2: undefined; ${SECRET_FIX}`],
    ['store: the MemoryStore class', { store: session.MemoryStore },
      'store option is the class MemoryStore, not a store: did you mean `new MemoryStore()`?'],
    ['store: a store factory', { store: function connectPgSimple() {} },
      'store option is a function (connectPgSimple), not a session store: pass the store object, e.g. store: new MemoryStore() '
      + "(a store factory such as connect-pg-simple's is called with session first)"],
    ['store: a string', { store: 'redis' },
      "store option is invalid: 'redis' (a string); use a session store object, e.g. store: new MemoryStore()"],
    ...[['a string', '^[a-z]+$', "'^[a-z]+$' (a string)"], ['a number', 42, '42 (a number)'], ['an object', {}, 'an object']].map(([label, value, shown]) => [
      `isValidId: ${String(label)}`, { isValidId: value },
      `isValidId option is invalid: ${String(shown)}; use a RegExp the whole id must match or a function returning true, e.g. isValidId: /^[0-9a-f-]{36}$/ for UUIDs`,
    ] as [string, Record<string, unknown>, string]),
    // With an empty key anyone can compute the HMAC, so a forged cookie would authenticate.
    ['secret: an empty Buffer', { secret: Buffer.alloc(0) }, EMPTY_KEY('an empty Buffer')],
    ['secret: an empty Uint8Array', { secret: new Uint8Array(0) }, EMPTY_KEY('an empty Uint8Array')],
    ['secret: a KeyObject of 0 bytes', { secret: createSecretKey(Buffer.alloc(0)) }, EMPTY_KEY('a KeyObject of 0 bytes')],
    ["secret: ['ok', an empty Buffer]", { secret: ['ok', Buffer.alloc(0)] }, EMPTY_KEY('an empty Buffer', ' at index 1')],
  ];
  for (const [label, options, message] of cases) {
    test(label, () => {
      assert.throws(() => ours({ ...QUIET, ...options }), { name: 'TypeError', message });
      // express-session throws an accidental TypeError for a class as store (it has no on()).
      if (options.store === undefined) {
        assert.doesNotThrow(() => oracle({ ...QUIET, ...options }), 'express-session accepts it at construction');
      }
    });
  }

  for (const missing of ['get', 'set', 'destroy']) {
    test(`a store without ${missing}()`, () => {
      const store: Record<string, unknown> = { on() {}, get() {}, set() {}, destroy() {} };
      delete store[missing];
      assert.throws(() => ours({ ...QUIET, store }), {
        name: 'TypeError',
        message: `store option must be a session store: it has no ${missing}() method`,
      });
    });
  }

  test('a function that has get, set and destroy is a store like any other', () => {
    const store = Object.assign(() => undefined, { get() {}, set() {}, destroy() {}, on() {} });
    assert.doesNotThrow(() => ours({ ...QUIET, store }));
    assert.doesNotThrow(() => oracle({ ...QUIET, store }));
  });

  test('valid secrets and cookie values are accepted', () => {
    for (const secret of ['s', ['a', 'b'], Buffer.from('key'), [Buffer.from('k'), 'old']]) {
      assert.doesNotThrow(() => ours({ ...QUIET, secret }));
    }
    for (const maxAge of [null, undefined, 0, 1000, false]) {
      assert.doesNotThrow(() => ours({ ...QUIET, cookie: { maxAge } }));
    }
    assert.doesNotThrow(() => ours({ ...QUIET, cookie: () => ({ maxAge: 1000 }) }));
    for (const isValidId of [undefined, null, /^[a-z]+$/, (id: string) => id.length === 10]) {
      assert.doesNotThrow(() => ours({ ...QUIET, isValidId }));
    }
    assert.doesNotThrow(() => ours({ ...QUIET, name: 'my.sid-1' }));
    const cookies: Record<string, unknown>[] = [
      { sameSite: 'Lax' }, { sameSite: 'auto' }, { sameSite: true }, { sameSite: false }, { sameSite: 'none', secure: true },
      { priority: 'HIGH' }, { priority: 'low' }, { domain: '.example.com' }, { domain: '' }, { path: '/' }, { path: '' },
      { path: '/app/' }, { secure: 'auto' }, { secure: false }, { secure: null }, { expires: new Date(Date.now() + 1000) },
      { expires: null }, { httpOnly: false }, { partitioned: true, secure: true },
    ];
    for (const cookie of cookies) {
      assert.doesNotThrow(() => ours({ ...QUIET, cookie }), JSON.stringify(cookie));
    }
  });

  // Why these are errors: what express-session does with them, request after request.
  const silentFailures: Array<[string, Record<string, unknown>, string]> = [
    ["secret: ''", { secret: '' }, '500: secret option required for sessions'],
    ["cookie.secure: 'true' over HTTP", { cookie: { secure: 'true' } }, '200 without Set-Cookie'],
    ["cookie.secure: 'false' over HTTP", { cookie: { secure: 'false' } }, '200 without Set-Cookie'],
    ["cookie.path: 'api'", { cookie: { path: 'api' } }, '500: no req.session'],
    ["cookie.sameSite: 'bogus'", { cookie: { sameSite: 'bogus' } }, '200 without Set-Cookie'],
  ];
  for (const [label, options, outcome] of silentFailures) {
    test(`${label}: express-session gives ${outcome} on every request`, async () => {
      const app = express();
      app.use(oracle({ ...QUIET, saveUninitialized: true, ...options }));
      app.get('/', (req, res) => {
        if (!req.session) throw new Error('no req.session');
        res.end('ok');
      });
      app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        if (!res.headersSent) res.status(500).end(err.message);
      });
      for (let i = 0; i < 2; i++) {
        const res = await request(app).get('/');
        const setCookie = res.headers['set-cookie'] as unknown;
        assert.equal(res.status === 200 ? (setCookie === undefined ? '200 without Set-Cookie' : '200 with a cookie') : `${res.status}: ${res.text}`, outcome);
      }
    });
  }

  test('calling the factory as middleware throws a TypeError that says the fix', () => {
    const req = new IncomingMessage(new Socket());
    req.method = 'GET';
    req.url = '/';
    const res = new ServerResponse(req);
    const message = messageOf(() => (session as unknown as (...args: unknown[]) => unknown)(req, res, () => {}));
    assert.match(message, /app\.use\(session\)/);
    assert.match(message, /app\.use\(session\(\{ .* \}\)\)/);
  });

  test('`app.use(session)` in an Express app: the request gets that TypeError', async () => {
    const app = express();
    app.use(session as unknown as express.RequestHandler);
    app.get('/', (_req, res) => {
      res.end('reached');
    });
    let caught: unknown;
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      caught = err;
      res.status(500).end();
    });
    await request(app).get('/').expect(500);
    assert.ok(caught instanceof TypeError);
    assert.match(caught.message, /app\.use\(session\(\{ .* \}\)\)/);
  });
});

describe('secrets given as bytes', () => {
  /** The URL-decoded value of the session cookie the response sets. */
  function cookieValue(res: request.Response): string {
    const line = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('connect.sid='));
    assert.ok(line, 'a session cookie is set');
    return decodeURIComponent(line.slice('connect.sid='.length, line.indexOf(';')));
  }

  const kinds: Array<[string, (bytes: Buffer) => NodeJS.ArrayBufferView]> = [
    ['Buffer', (bytes) => Buffer.from(bytes)],
    ['Uint8Array', (bytes) => new Uint8Array(bytes)],
    ['Uint16Array over a part of a larger ArrayBuffer', (bytes) => {
      const whole = new Uint8Array(bytes.length + 8);
      whole.set(bytes, 4);
      return new Uint16Array(whole.buffer, 4, bytes.length / 2);
    }],
  ];
  for (const [kind, make] of kinds) {
    test(`a ${kind} secret is copied: changing its bytes after session() changes nothing`, async () => {
      const bytes = Buffer.from('sixteen byte key');
      const secret = make(bytes);
      const store = new session.MemoryStore();
      const known = 'stored-before-0123456789abcdefgh';
      await store.set(known, { cookie: { originalMaxAge: null, path: '/', httpOnly: true } } as never);
      const app = express();
      app.use(ours({ secret, store, resave: false, saveUninitialized: true }));
      app.get('/', (req, res) => res.send(req.sessionID));

      const before = await request(app).get('/');
      assert.equal(cookieValue(before), 's:' + signature.sign(before.text, bytes));
      new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength).fill(0x41);

      // New cookies are still signed with the bytes given to session()...
      const after = await request(app).get('/');
      assert.equal(cookieValue(after), 's:' + signature.sign(after.text, bytes));
      // ...and cookies signed with them load, whether verified before or never seen.
      const again = await request(app).get('/').set('Cookie', 'connect.sid=' + encodeURIComponent(cookieValue(before)));
      assert.equal(again.text, before.text);
      const unseen = await request(app).get('/').set('Cookie', 'connect.sid=' + encodeURIComponent('s:' + signature.sign(known, bytes)));
      assert.equal(unseen.text, known);
    });
  }
});

describe('name and key', () => {
  async function cookieName(factory: Factory, options: Record<string, unknown>): Promise<string> {
    const app = express();
    app.use(factory({ ...QUIET, saveUninitialized: true, ...options }));
    app.get('/', (_req, res) => {
      res.end('ok');
    });
    const res = await request(app).get('/').expect(200);
    const header = res.headers['set-cookie'] as unknown as string[];
    assert.ok(header && header.length === 1, 'one Set-Cookie');
    return header[0].split('=')[0];
  }

  test('key is used when name is missing; name wins over key; connect.sid by default', async () => {
    for (const options of [{ key: 'legacy.sid' }, { key: 'legacy.sid', name: 'new.sid' }, {}, { name: '', key: 'k' }]) {
      const expected = await cookieName(oracle, options);
      assert.equal(await cookieName(ours, options), expected, JSON.stringify(options));
    }
    assert.equal(await cookieName(ours, { key: 'legacy.sid' }), 'legacy.sid');
  });

  test('a session cookie sent under the key name is read back', async () => {
    const app = express();
    app.use(ours({ ...QUIET, key: 'legacy.sid' }));
    app.get('/', (req, res) => {
      const sess = req.session as unknown as Record<string, number | undefined>;
      sess.n = (sess.n ?? 0) + 1;
      res.end(String(sess.n));
    });
    const agent = request.agent(app);
    assert.equal((await agent.get('/')).text, '1');
    assert.equal((await agent.get('/')).text, '2');
  });
});

describe('deprecations', () => {
  const script = [
    "session({ secret: 'x' });",
    "session({ secret: 'x', resave: false });",
    "session({ secret: 'x', saveUninitialized: false });",
    'session({ resave: false, saveUninitialized: false });',
    "session({ secret: 'x' });",
    "session({ secret: 'x', resave: true, saveUninitialized: true });",
  ].join('\n');

  test('the same deprecation messages, call sites and count as express-session', () => {
    const expected = deprecations(runChild(script, ORACLE_PATH).stderr);
    assert.ok(expected.length >= 5, expected.join('\n'));
    assert.deepEqual(deprecations(runChild(script, SRC).stderr), expected);
  });

  test('the messages name the missing options', () => {
    const lines = deprecations(runChild("session({});", SRC).stderr);
    assert.deepEqual(lines.map((line) => line.replace(/ at .*$/, '')), [
      'express-session deprecated undefined resave option; provide resave option',
      'express-session deprecated undefined saveUninitialized option; provide saveUninitialized option',
      'express-session deprecated req.secret; provide secret option',
    ]);
  });

  test('NO_DEPRECATION=express-session silences them', () => {
    const env = { NO_DEPRECATION: 'express-session' };
    assert.equal(runChild(script, ORACLE_PATH, env).stderr, '');
    assert.equal(runChild(script, SRC, env).stderr, '');
  });

  test("with a process 'deprecation' listener they are emitted instead of printed", () => {
    const seen: Error[] = [];
    const listener = (err: Error) => {
      seen.push(err);
    };
    process.on('deprecation', listener);
    try {
      session({ secret: 'x' });
    } finally {
      process.removeListener('deprecation', listener);
    }
    assert.deepEqual(seen.map((err) => err.message), [
      'undefined resave option; provide resave option',
      'undefined saveUninitialized option; provide saveUninitialized option',
    ]);
    for (const err of seen) {
      assert.equal((err as Error & { namespace?: string }).namespace, 'express-session');
      assert.equal(err.name, 'DeprecationError');
    }
    assert.ok(seen[0].stack?.includes(__filename), 'the call site is the session() call in this file');
  });
});

describe('environment', () => {
  const requestScript = `
    const mw = session({ secret: 'x', resave: false, saveUninitialized: false });
    mw({ url: '/', headers: {}, method: 'GET' }, {}, (err) => { if (err) throw err; });
  `;

  test('DEBUG=express-session prints debug lines under that namespace', () => {
    const expected = runChild(requestScript, ORACLE_PATH, { DEBUG: 'express-session' }).stderr;
    assert.match(expected, /express-session no SID sent, generating session/);
    const actual = runChild(requestScript, SRC, { DEBUG: 'express-session' }).stderr;
    assert.match(actual, /express-session no SID sent, generating session/);
    assert.equal(runChild(requestScript, SRC).stderr, '', 'nothing without DEBUG');
  });

  test('NODE_ENV=production warns once per session() call with a MemoryStore', () => {
    const script = `
      const opts = { secret: 'x', resave: false, saveUninitialized: false };
      session(opts);
      session(opts);
      session({ ...opts, store: new session.MemoryStore() });
      session({ ...opts, store: { on() {}, get() {}, set() {}, destroy() {} } });
    `;
    const warnings = (stderr: string) => stderr.split('Warning: connect.session() MemoryStore ').length - 1;
    const expected = runChild(script, ORACLE_PATH, { NODE_ENV: 'production' }).stderr;
    assert.equal(warnings(expected), 3, expected);
    // HISTORY.md: the wording changed on purpose (our MemoryStore no longer leaks), so
    // only the count, the prefix and the absence of anything else are compared.
    const actual = runChild(script, SRC, { NODE_ENV: 'production' }).stderr;
    assert.equal(warnings(actual), warnings(expected), actual);
    assert.ok(actual.startsWith('Warning: connect.session() MemoryStore '), actual);
    const first = actual.slice(0, actual.indexOf('Warning:', 1));
    assert.equal(actual, first.repeat(3), 'the same warning each time, nothing else');
    assert.equal(runChild(script, SRC, { NODE_ENV: 'development' }).stderr, '');
  });
});

describe('values express-session takes by truthiness: accepted, with a one-time warning (ours only)', () => {
  /** Node's warning lines of a child's stderr, without the `(node:PID) ` prefix. */
  const warnings = (stderr: string) => stderr.split('\n').filter((line) => line.includes('[ESESSIONOPTION]')).map((line) => line.replace(/^\(node:\d+\) /, ''));

  test('each distinct bad value warns once per process, naming the fix; express-session prints nothing', () => {
    const script = `
      const opts = { secret: 'x', resave: 'false', saveUninitialized: 'yes', proxy: 'true', cookie: { httpOnly: 'false' } };
      session(opts);
      session(opts);
      session({ ...opts, checkExpiry: 'false', cookie: { secure: 0 } });
      session({ secret: 'x', resave: false, saveUnitialized: false, cookie: { maxage: 1000, sameSite: 'lax', foo: 1 } });
    `;
    assert.deepEqual(warnings(runChild(script, SRC).stderr), [
      "[ESESSIONOPTION] Warning: express-session-cn: resave option is 'false' (a string), which counts as true; write resave: true or resave: false (a boolean)",
      "[ESESSIONOPTION] Warning: express-session-cn: saveUninitialized option is 'yes' (a string), which counts as true; write saveUninitialized: true or saveUninitialized: false (a boolean)",
      "[ESESSIONOPTION] Warning: express-session-cn: proxy option is 'true' (a string), which counts as not set (Express's `trust proxy` decides); write proxy: true or proxy: false (a boolean), or leave it out",
      "[ESESSIONOPTION] Warning: express-session-cn: cookie.httpOnly option is 'false' (a string), which counts as true; write cookie.httpOnly: true or cookie.httpOnly: false (a boolean)",
      "[ESESSIONOPTION] Warning: express-session-cn: checkExpiry option is 'false' (a string), which counts as true; write checkExpiry: true or checkExpiry: false (a boolean)",
      '[ESESSIONOPTION] Warning: express-session-cn: cookie.secure option is 0 (a number), which counts as false; write cookie.secure: true or cookie.secure: false (a boolean)',
      // A near miss of an option name: ignored, as in express-session, with a guess; an unrelated key is left alone.
      '[ESESSIONOPTION] Warning: express-session-cn: session() has no option saveUnitialized, so it is ignored: did you mean saveUninitialized?',
      '[ESESSIONOPTION] Warning: express-session-cn: cookie options have no maxage, so it is ignored: did you mean maxAge?',
    ]);
    assert.doesNotMatch(runChild(script, ORACLE_PATH).stderr, /Warning/);
  });

  /** Two requests with one client; what the second one did to the store and what both got back. */
  async function twoRequests(factory: Factory, options: Record<string, unknown>, proto?: string) {
    const store = new session.MemoryStore();
    const calls: string[] = [];
    const set = store.set.bind(store);
    store.set = (sid, sess, cb) => {
      calls.push('set');
      return set(sid, sess, cb);
    };
    const app = express();
    app.use(factory({ ...QUIET, store, ...options }));
    app.get('/', (req, res) => {
      const data = req.session as unknown as { n?: number };
      if (data.n === undefined) data.n = 1;
      res.end('ok');
    });
    const agent = request.agent(app);
    const send = (path: string) => (proto ? agent.get(path).set('X-Forwarded-Proto', proto) : agent.get(path));
    const first = await send('/');
    calls.length = 0;
    const second = await send('/');
    const cookies = [first, second].map((res) => String(res.headers['set-cookie'] ?? 'none').replace(/=[^;]+/, '=…'));
    return { secondCalls: calls, cookies };
  }

  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, string?]> = [
    ["resave: 'false' counts as true: an unchanged session is saved again", { resave: 'false' }, { resave: true }],
    ["rolling: 'false' counts as true: the cookie is sent every time", { rolling: 'false' }, { rolling: true }],
    ["proxy: 'true' counts as not set: no Secure cookie behind a proxy without trust proxy",
      { proxy: 'true', cookie: { secure: true } }, { cookie: { secure: true } }, 'https'],
    ["cookie.httpOnly: 'false' counts as true: HttpOnly is set", { cookie: { httpOnly: 'false' } }, { cookie: { httpOnly: true } }],
  ];
  for (const [label, options, asTaken, proto] of cases) {
    test(`${label}, as in express-session`, async () => {
      const theirs = await twoRequests(oracle, options, proto);
      assert.deepEqual(await twoRequests(ours, options, proto), theirs);
      assert.deepEqual(await twoRequests(ours, asTaken, proto), theirs, 'the same as the value it counts as');
    });
  }
});

describe('the cookie option as a function: what it returns is checked at request time', () => {
  async function failure(cookie: () => unknown): Promise<{ status: number; text: string }> {
    const app = express();
    app.use(ours({ ...QUIET, cookie }));
    app.get('/', (_req, res) => {
      res.end('reached');
    });
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).end(`${err.name}: ${err.message}`);
    });
    const res = await request(app).get('/');
    return { status: res.status, text: res.text };
  }

  test('a bad value is a TypeError for the request, naming the option and the function', async () => {
    assert.deepEqual(await failure(() => ({ secure: 'true' })), {
      status: 500,
      text: "TypeError: cookie.secure returned by the cookie option function is invalid: 'true' (a string); use secure: true, secure: false or secure: 'auto' (not a string)",
    });
    assert.deepEqual(await failure(() => ({ maxAge: process.env.NO_SUCH_VARIABLE_17 ?? '3600000' })), {
      status: 500,
      text: "TypeError: cookie.maxAge returned by the cookie option function is invalid: '3600000' (a string); use a number: maxAge: 3600000, or maxAge: Number(process.env.…) for a value read from the environment",
    });
  });

  test('a function that returns no object says so', async () => {
    assert.deepEqual(await failure(() => undefined), {
      status: 500,
      text: 'TypeError: cookie option function returned undefined; it must return an object of cookie options, e.g. { maxAge: 60 * 60 * 1000 }',
    });
  });

  test('good values pass, and are checked again when the function returns another object', async () => {
    let secure: unknown = false;
    const app = express();
    app.use(ours({ ...QUIET, saveUninitialized: true, cookie: () => ({ secure, maxAge: 1000 }) }));
    app.get('/', (_req, res) => {
      res.end('reached');
    });
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).end(err.message);
    });
    const ok = await request(app).get('/');
    assert.equal(ok.text, 'reached');
    assert.match(String(ok.headers['set-cookie']), /Expires=/);
    secure = 'yes';
    assert.equal((await request(app).get('/')).status, 500);
  });
});
