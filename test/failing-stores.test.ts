// Issue 7: stores that fail in every way a third-party store can (an error in
// the callback, a synchronous throw, two answers, a rejected Promise, garbage
// from get, no answer at all). Each request must end with ONE error in the
// app's error handler and a well-formed response, and the process must see no
// uncaught exception or unhandled rejection. `storeTimeout` turns a store that
// never answers into a StoreTimeoutError.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import cookieSignature from 'cookie-signature';
import session = require('../src/index.js');
import { StoreTimeoutError } from '../src/store-call.js';
import { until } from './helpers/async.js';
import { guardProcess } from './helpers/process-guard.js';

const SECRET = 'failing stores secret';
const STORED_SID = 'stored-session-id';

type Callback = (err?: unknown, value?: unknown) => void;
type Method = 'get' | 'set' | 'touch' | 'destroy';

/**
 * How one store call answers:
 * - `ok`: as a working store (deferred callback)
 * - `error`: calls back with an Error
 * - `throw`: throws synchronously
 * - `twice-error`: calls back with an Error, twice
 * - `ok-then-error`: calls back with success, then with an Error
 * - `reject`: returns a rejected Promise and never calls back
 * - `never`: never answers
 * - `late`: answers (successfully) after LATE_MS
 * - `{ garbage }`: get answers with this value
 */
type Mode = 'ok' | 'error' | 'throw' | 'twice-error' | 'ok-then-error' | 'reject' | 'never' | 'late' | { garbage: unknown };

const LATE_MS = 80;

/**
 * A store scripted per method: the i-th call of a method uses `modes[method][i]`
 * (the last entry repeats). Sessions live as JSON in `data`.
 */
class ScriptedStore {
  readonly data = new Map<string, string>();
  readonly calls: string[] = [];
  private readonly counts: Record<Method, number> = { get: 0, set: 0, touch: 0, destroy: 0 };

  constructor(private readonly modes: Partial<Record<Method, Mode[]>> = {}) {
    this.data.set(STORED_SID, JSON.stringify({ cookie: { originalMaxAge: null, httpOnly: true, path: '/' }, views: 1 }));
  }

  get(sid: string, cb: Callback): unknown {
    return this.answer('get', cb, () => {
      const json = this.data.get(sid);
      return json === undefined ? undefined : JSON.parse(json);
    });
  }

  set(sid: string, sess: unknown, cb: Callback): unknown {
    return this.answer('set', cb, () => void this.data.set(sid, JSON.stringify(sess)));
  }

  touch(_sid: string, _sess: unknown, cb: Callback): unknown {
    return this.answer('touch', cb, () => undefined);
  }

  destroy(sid: string, cb: Callback): unknown {
    return this.answer('destroy', cb, () => void this.data.delete(sid));
  }

  private answer(method: Method, cb: Callback, work: () => unknown): unknown {
    const list = this.modes[method] ?? ['ok'];
    const mode = list[Math.min(this.counts[method]++, list.length - 1)];
    this.calls.push(method);
    const failure = new Error(`${method} failed`);
    if (typeof mode === 'object') {
      setImmediate(cb, null, mode.garbage);
      return undefined;
    }
    switch (mode) {
      case 'ok':
        setImmediate(() => cb(null, work()));
        return undefined;
      case 'error':
        setImmediate(cb, failure);
        return undefined;
      case 'throw':
        throw failure;
      case 'twice-error':
        setImmediate(() => {
          cb(failure);
          cb(new Error(`${method} failed again`));
        });
        return undefined;
      case 'ok-then-error':
        setImmediate(() => {
          cb(null, work());
          cb(new Error(`${method} failed after succeeding`));
        });
        return undefined;
      case 'reject':
        return Promise.reject(failure);
      case 'never':
        return undefined;
      case 'late':
        setTimeout(() => cb(null, work()), LATE_MS);
        return undefined;
    }
  }
}

// --- process guard: nothing may escape as an uncaught error ------------------

guardProcess({ failOnEscape: true });

// --- app ---------------------------------------------------------------------

type Route = (req: express.Request, res: express.Response, next: express.NextFunction) => void | Promise<void>;

interface Handled {
  err: unknown;
  headersSent: boolean;
}

function signedCookie(sid: string): string {
  return `connect.sid=${encodeURIComponent('s:' + cookieSignature.sign(sid, SECRET))}`;
}

function buildApp(store: ScriptedStore, options: session.SessionOptions, route: Route) {
  const handled: Handled[] = [];
  const app = express();
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, ...options, store: store as unknown as session.SessionStore }));
  app.get('/', (req, res, next) => {
    Promise.resolve(route(req, res, next)).catch(next);
  });
  app.use((err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    handled.push({ err, headersSent: res.headersSent });
    if (res.headersSent) {
      next(err);
      return;
    }
    res.status(500).type('text').send(`handled: ${err instanceof Error ? err.message : String(err)}`);
  });
  return { app, handled };
}

/** Lets late and duplicate store answers arrive before counting. */
function settle(ms = 30): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const views: Route = (req, res) => {
  res.send(`views ${String(req.session.views)}`);
};
const write: Route = (req, res) => {
  req.session.views = 42;
  res.send('written');
};
const read: Route = (req, res) => {
  res.send(`read ${String(req.session.views)}`);
};

/** Which request makes the middleware call each store method, and how. */
const TRIGGERS: Record<Method, { options: session.SessionOptions; route: Route; cookie: boolean }> = {
  // The load of a session the client names.
  get: { options: {}, route: views, cookie: true },
  // The end-of-response save of a new, modified session.
  set: { options: {}, route: write, cookie: false },
  // The end-of-response touch of an unmodified, loaded session.
  touch: { options: {}, route: read, cookie: true },
  // The end-of-response destroy of `req.session = null` with unset: 'destroy'.
  destroy: {
    options: { unset: 'destroy' },
    route: (req, res) => {
      (req as { session: unknown }).session = null;
      res.send('unset');
    },
    cookie: true,
  },
};

function withStore(method: Method, mode: Mode, storeTimeout?: number) {
  const store = new ScriptedStore({ [method]: [mode] });
  const trigger = TRIGGERS[method];
  const { app, handled } = buildApp(store, { ...trigger.options, storeTimeout }, trigger.route);
  const agent = request(app).get('/');
  if (trigger.cookie) agent.set('Cookie', signedCookie(STORED_SID));
  return { store, handled, response: agent };
}

/**
 * A failed get, set or destroy holds the response and becomes the error
 * response. A touch never holds the response: it goes out as the route sent
 * it, and the error reaches the error handler after it (as in express-session).
 */
function assertFailedCommit(method: Method, res: request.Response, handled: Handled[]): void {
  if (method === 'touch') {
    assert.equal(res.status, 200);
    assert.equal(res.text, 'read 1');
    assert.equal(handled[0].headersSent, true);
  } else {
    assert.equal(res.status, 500);
    assert.equal(res.text, `handled: ${(handled[0].err as Error).message}`);
    assert.equal(handled[0].headersSent, false);
  }
}

describe('a failing store: one error in the error handler, a clean response', () => {
  const failures: { mode: Mode; message: string }[] = [
    { mode: 'error', message: 'failed' },
    { mode: 'throw', message: 'failed' },
    { mode: 'twice-error', message: 'failed' },
    { mode: 'reject', message: 'failed' },
  ];
  for (const method of ['get', 'set', 'touch', 'destroy'] as const) {
    for (const { mode } of failures) {
      test(`store.${method}() ${String(mode)}`, async () => {
        const { store, handled, response } = withStore(method, mode);
        const res = await response;
        await settle();
        assert.ok(store.calls.includes(method), `store.${method}() was not called: ${store.calls.join(', ')}`);
        assertFailedCommit(method, res, handled);
        assert.equal(handled.length, 1, 'error handler calls');
        assert.equal((handled[0].err as Error).message, `${method} failed`);
      });
    }
  }

  test('store.get() answering twice (session, then an error): the first answer wins', async () => {
    const { handled, response } = withStore('get', 'ok-then-error');
    const res = await response;
    await settle();
    assert.equal(res.status, 200);
    assert.equal(res.text, 'views 1');
    assert.equal(handled.length, 0);
  });

  test('store.set() answering twice (success, then an error): the first answer wins', async () => {
    const { store, handled, response } = withStore('set', 'ok-then-error');
    const res = await response;
    await settle();
    assert.equal(res.status, 200);
    assert.equal(res.text, 'written');
    assert.equal(handled.length, 0);
    assert.equal(store.data.size, 2);
  });

  test('a streamed response (headers already sent) with a failing set: the body completes, then one late error', async () => {
    const store = new ScriptedStore({ set: ['error'] });
    const { app, handled } = buildApp(store, {}, (req, res) => {
      req.session.views = 7;
      res.write('partial ');
      res.end('body');
    });
    const res = await request(app).get('/');
    await settle();
    assert.equal(res.status, 200);
    assert.equal(res.text, 'partial body');
    assert.equal(handled.length, 1);
    assert.equal(handled[0].headersSent, true);
    assert.equal((handled[0].err as Error).message, 'set failed');
  });

  test('a store whose get is ENOENT-coded: not an error, a new session', async () => {
    const store = new ScriptedStore();
    store.get = (_sid: string, cb: Callback) => {
      setImmediate(cb, Object.assign(new Error('not found'), { code: 'ENOENT' }));
      return undefined;
    };
    const { app, handled } = buildApp(store, {}, views);
    const res = await request(app).get('/').set('Cookie', signedCookie(STORED_SID));
    await settle();
    assert.equal(res.status, 200);
    assert.equal(res.text, 'views undefined');
    assert.equal(handled.length, 0);
  });
});

describe('garbage from store.get(): one TypeError naming the problem', () => {
  const cases: { name: string; garbage: unknown; message: RegExp }[] = [
    { name: 'a string', garbage: 'not a session', message: /^session store returned a string "not a session" from get\(\), not a session object$/ },
    { name: 'a number', garbage: 42, message: /^session store returned a number from get\(\), not a session object$/ },
    { name: 'true', garbage: true, message: /^session store returned a boolean from get\(\)/ },
    { name: 'no cookie', garbage: { views: 1 }, message: /^session store returned a session without a cookie object \(cookie: undefined\)$/ },
    { name: 'a null cookie', garbage: { cookie: null }, message: /^session store returned a session without a cookie object \(cookie: null\)$/ },
    { name: 'a string cookie', garbage: { cookie: 'x' }, message: /^session store returned a session without a cookie object \(cookie: a string "x"\)$/ },
    {
      name: 'cookie.expires not a date (garbage string)',
      garbage: { cookie: { expires: 'soon', originalMaxAge: 1000, path: '/' } },
      message: /^session store returned a session whose cookie\.expires is not a date \(a string "soon"\)$/,
    },
    {
      name: 'cookie.expires not a date (an object)',
      garbage: { cookie: { expires: { when: 1 }, path: '/' } },
      message: /^session store returned a session whose cookie\.expires is not a date \(an object\)$/,
    },
    {
      name: 'cookie.expires an invalid Date',
      garbage: { cookie: { expires: new Date(NaN), path: '/' } },
      message: /^session store returned a session whose cookie\.expires is not a date/,
    },
  ];
  for (const { name, garbage, message } of cases) {
    test(name, async () => {
      const { handled, response } = withStore('get', { garbage });
      const res = await response;
      await settle();
      assert.equal(res.status, 500);
      assert.equal(handled.length, 1);
      const err = handled[0].err;
      assert.ok(err instanceof TypeError, `not a TypeError: ${String(err)}`);
      assert.match(err.message, message);
      // Session ids are bearer secrets: never in an error message that may be logged.
      assert.ok(!err.message.includes(STORED_SID));
      assert.equal(res.text, `handled: ${err.message}`);
    });
  }

  test('a valid stored cookie (expires as an ISO string, as JSON gives it) loads', async () => {
    const expires = new Date(Date.now() + 60_000).toISOString();
    const { handled, response } = withStore('get', { garbage: { cookie: { expires, originalMaxAge: 60_000, path: '/' }, views: 3 } });
    const res = await response;
    await settle();
    assert.equal(handled.length, 0);
    assert.equal(res.text, 'views 3');
  });
});

describe('storeTimeout', () => {
  const TIMEOUT = 30;

  function assertTimeout(err: unknown, method: string): void {
    assert.ok(err instanceof StoreTimeoutError, `not a StoreTimeoutError: ${String(err)}`);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'StoreTimeoutError');
    assert.equal((err as StoreTimeoutError).code, 'ESTORETIMEOUT');
    assert.equal(err.message, `session store did not answer store.${method}() within ${TIMEOUT} ms (storeTimeout option)`);
  }

  for (const method of ['get', 'set', 'touch', 'destroy'] as const) {
    test(`store.${method}() that never answers: the error handler answers with a StoreTimeoutError`, async () => {
      const { store, handled, response } = withStore(method, 'never', TIMEOUT);
      const res = await response;
      await until(() => handled.length > 0);
      await settle();
      assert.ok(store.calls.includes(method));
      assert.equal(handled.length, 1);
      assertTimeout(handled[0].err, method);
      assertFailedCommit(method, res, handled);
    });

    test(`store.${method}() answering after the timeout: the late answer is ignored`, async () => {
      const { handled, response } = withStore(method, 'late', TIMEOUT);
      const res = await response;
      await settle(LATE_MS + 40);
      assert.equal(handled.length, 1, 'the late answer must not call next again');
      assertTimeout(handled[0].err, method);
      assertFailedCommit(method, res, handled);
    });

    test(`store.${method}() answering in time: no error`, async () => {
      const { handled, response } = withStore(method, 'ok', 1000);
      const res = await response;
      await settle();
      assert.equal(res.status, 200);
      assert.equal(handled.length, 0);
    });
  }

  const methodCases: { name: string; method: Method; modes: Partial<Record<Method, Mode[]>>; cookie: boolean; route: Route }[] = [
    {
      name: 'await req.session.save()',
      method: 'set',
      modes: { set: ['never'] },
      cookie: false,
      route: async (req, res) => {
        req.session.views = 5;
        await req.session.save();
        res.send('saved');
      },
    },
    {
      name: 'await req.session.reload()',
      method: 'get',
      modes: { get: ['ok', 'never'] },
      cookie: true,
      route: async (req, res) => {
        await req.session.reload();
        res.send('reloaded');
      },
    },
    {
      name: 'await req.session.destroy()',
      method: 'destroy',
      modes: { destroy: ['never'] },
      cookie: true,
      route: async (req, res) => {
        await req.session.destroy();
        res.send('destroyed');
      },
    },
    {
      name: 'await req.session.regenerate()',
      method: 'destroy',
      modes: { destroy: ['never'] },
      cookie: true,
      route: async (req, res) => {
        await req.session.regenerate();
        res.send('regenerated');
      },
    },
    {
      name: 'req.session.save(callback)',
      method: 'set',
      modes: { set: ['never'] },
      cookie: false,
      route: (req, res, next) => {
        req.session.views = 5;
        req.session.save((err) => (err ? next(err) : res.send('saved')));
      },
    },
  ];
  for (const { name, method, modes, cookie, route } of methodCases) {
    test(`${name} on a store that never answers: rejects with a StoreTimeoutError`, async () => {
      const store = new ScriptedStore(modes);
      const { app, handled } = buildApp(store, { storeTimeout: TIMEOUT }, route);
      const agent = request(app).get('/');
      if (cookie) agent.set('Cookie', signedCookie(STORED_SID));
      const res = await agent;
      await settle();
      assert.equal(res.status, 500);
      assert.equal(handled.length, 1);
      assertTimeout(handled[0].err, method);
    });
  }

  test('without storeTimeout, a slow store is waited for', async () => {
    const { handled, response } = withStore('set', 'late');
    const res = await response;
    await settle();
    assert.equal(res.status, 200);
    assert.equal(res.text, 'written');
    assert.equal(handled.length, 0);
  });

  for (const value of [0, -1, '5', Infinity, NaN, 2 ** 31, null, {}]) {
    test(`storeTimeout: ${String(value)} throws a TypeError at construction`, () => {
      assert.throws(
        () => session({ secret: SECRET, resave: false, saveUninitialized: false, storeTimeout: value as number }),
        (err: unknown) => err instanceof TypeError && /^storeTimeout option is invalid: /.test(err.message),
      );
    });
  }

  for (const value of [1, 5000, 2 ** 31 - 1, undefined]) {
    test(`storeTimeout: ${String(value)} is accepted`, () => {
      assert.equal(typeof session({ secret: SECRET, resave: false, saveUninitialized: false, storeTimeout: value }), 'function');
    });
  }
});
