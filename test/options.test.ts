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
const EMPTY_KEY = (what: string) =>
  `secret option is invalid: ${what} (an empty key lets anyone sign cookies: use a long random secret, e.g. crypto.randomBytes(32))`;

describe('construction-time TypeErrors that express-session lacks (intended difference 3)', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['invalid cookie name', { name: 'a b' },
      "name option is invalid: a b (a cookie name is letters, digits and !#$%&'*+-.^_`|~ only)"],
    ['invalid cookie name via key', { key: 'a;b' },
      "name option is invalid: a;b (a cookie name is letters, digits and !#$%&'*+-.^_`|~ only)"],
    ['cookie: "x"', { cookie: 'x' }, 'cookie option must be an object or a function of req, got string'],
    ['cookie: 5', { cookie: 5 }, 'cookie option must be an object or a function of req, got number'],
    ['cookie.maxAge: "abc"', { cookie: { maxAge: 'abc' } },
      'cookie.maxAge option is invalid: abc (use milliseconds, e.g. maxAge: 60 * 60 * 1000)'],
    ['cookie.maxAge: NaN', { cookie: { maxAge: NaN } },
      'cookie.maxAge option is invalid: NaN (use a finite number of milliseconds)'],
    ['cookie.maxAge: Infinity', { cookie: { maxAge: Infinity } },
      'cookie.maxAge option is invalid: Infinity (use a finite number of milliseconds)'],
    ['secret: 42', { secret: 42 },
      'secret option is invalid: number (use a string, a Buffer or a KeyObject, or an array of them)'],
    ["secret: ['']", { secret: [''] },
      'secret option is invalid: string (use a string, a Buffer or a KeyObject, or an array of them)'],
    ["secret: ['ok', 7]", { secret: ['ok', 7] },
      'secret option is invalid: number (use a string, a Buffer or a KeyObject, or an array of them)'],
    ...[['a string', '^[a-z]+$'], ['a number', 42], ['an object', {}]].map(([label, value]) => [
      `isValidId: ${String(label)}`, { isValidId: value },
      `isValidId option is invalid: ${typeof value} (use a RegExp the whole id must match or a function returning true, e.g. isValidId: /^[0-9a-f-]{36}$/ for UUIDs)`,
    ] as [string, Record<string, unknown>, string]),
    // With an empty key anyone can compute the HMAC, so a forged cookie would authenticate.
    ['secret: an empty Buffer', { secret: Buffer.alloc(0) }, EMPTY_KEY('an empty Buffer')],
    ['secret: an empty Uint8Array', { secret: new Uint8Array(0) }, EMPTY_KEY('an empty Uint8Array')],
    ['secret: a KeyObject of 0 bytes', { secret: createSecretKey(Buffer.alloc(0)) }, EMPTY_KEY('a KeyObject of 0 bytes')],
    ["secret: ['ok', an empty Buffer]", { secret: ['ok', Buffer.alloc(0)] }, EMPTY_KEY('an empty Buffer')],
  ];
  for (const [label, options, message] of cases) {
    test(label, () => {
      assert.throws(() => ours({ ...QUIET, ...options }), { name: 'TypeError', message });
      assert.doesNotThrow(() => oracle({ ...QUIET, ...options }), 'express-session accepts it at construction');
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
  });

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
