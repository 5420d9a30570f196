import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { sign } from 'cookie-signature';
import session = require('../src/index.js');

type Callback = (err?: unknown, value?: unknown) => void;
type Stored = Record<string, unknown>;

// The oracle's Store: what connect-redis and connect-mongo extend.
interface OracleStore {
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  generate?: unknown;
  regenerate(req: unknown, fn: (err?: unknown) => void): void;
}
const OracleStore = (require('express-session') as { Store: new () => OracleStore }).Store;

const SECRET = 'keyboard cat';

/** What each app records, to check that every request ran its handler exactly once. */
interface Counters {
  /** How many times the session middleware handed over to the next layer. */
  next: number;
  handler: number;
  errors: unknown[];
}

/**
 * The counter app: each request increments `n` and answers it. With a
 * working store the count goes 1, 2, 3 across requests of one client.
 */
function counterApp(store: unknown, extra: Record<string, unknown> = {}) {
  const counters: Counters = { next: 0, handler: 0, errors: [] };
  const app = express();
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, store: store as session.SessionStore, ...extra }));
  app.use((_req, _res, next) => {
    counters.next++;
    next();
  });
  app.get('/', (req, res) => {
    counters.handler++;
    const sess = req.session as unknown as Record<string, number | undefined>;
    sess.n = (sess.n ?? 0) + 1;
    res.end(String(sess.n));
  });
  app.get('/peek', (req, res) => {
    counters.handler++;
    res.end(String((req.session as unknown as Record<string, number | undefined>).n));
  });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    counters.errors.push(err);
    res.status(500).end(err instanceof Error ? err.message : String(err));
  });
  return { app, counters };
}

async function assertCounts(app: express.Express, counters: Counters, requests = 3): Promise<request.Agent> {
  const agent = request.agent(app);
  for (let i = 1; i <= requests; i++) {
    const res = await agent.get('/');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, String(i));
  }
  await waitTurns();
  assert.equal(counters.next, requests, 'the session middleware called next() once per request');
  assert.equal(counters.handler, requests, 'the handler ran once per request');
  assert.deepEqual(counters.errors, []);
  return agent;
}

/** A Map of JSON strings; expired entries are not filtered (the tests do not need it). */
class Data {
  readonly map = new Map<string, string>();
  readonly calls: string[] = [];
  read(sid: string): Stored | undefined {
    const raw = this.map.get(sid);
    return raw === undefined ? undefined : (JSON.parse(raw) as Stored);
  }
  write(sid: string, sess: unknown): void {
    this.map.set(sid, JSON.stringify(sess));
  }
}

function callbackStore(data = new Data()) {
  return {
    data,
    on() {},
    get(sid: string, cb: Callback) {
      data.calls.push('get');
      setImmediate(() => cb(null, data.read(sid)));
    },
    set(sid: string, sess: unknown, cb: Callback) {
      data.calls.push('set');
      data.write(sid, sess);
      setImmediate(cb);
    },
    destroy(sid: string, cb: Callback) {
      data.calls.push('destroy');
      data.map.delete(sid);
      setImmediate(cb);
    },
    touch(_sid: string, _sess: unknown, cb: Callback) {
      data.calls.push('touch');
      setImmediate(cb);
    },
  };
}

async function waitTurns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A Cookie header carrying a validly signed id, as a client that has the id would send it. */
function cookieFor(sid: string): string {
  return `connect.sid=${encodeURIComponent(`s:${sign(sid, SECRET)}`)}`;
}

describe('store styles', () => {
  test('a callback store', async () => {
    const store = callbackStore();
    const { app, counters } = counterApp(store);
    await assertCounts(app, counters);
    assert.deepEqual(store.data.calls, ['set', 'get', 'set', 'get', 'set']);
  });

  test('an async store whose methods return Promises and never call back', async () => {
    const data = new Data();
    const store = {
      on() {},
      async get(sid: string) {
        data.calls.push('get');
        await waitTurns(1);
        return data.read(sid);
      },
      async set(sid: string, sess: unknown) {
        data.calls.push('set');
        await waitTurns(1);
        data.write(sid, sess);
      },
      async destroy(sid: string) {
        data.calls.push('destroy');
        data.map.delete(sid);
      },
      async touch() {
        data.calls.push('touch');
      },
    };
    const { app, counters } = counterApp(store);
    const agent = await assertCounts(app, counters);
    assert.equal((await agent.get('/peek')).text, '3');
    assert.deepEqual(data.calls, ['set', 'get', 'set', 'get', 'set', 'get', 'touch']);
  });

  test('an async store that rejects: the error reaches the error handler', async () => {
    const failure = new Error('db offline');
    const store = { ...callbackStore(), get: async () => Promise.reject(failure) };
    const { app, counters } = counterApp(store);
    const agent = request.agent(app);
    await agent.get('/').expect(200, '1');
    const res = await agent.get('/');
    assert.equal(res.status, 500);
    await waitTurns();
    assert.deepEqual(counters.errors, [failure]);
    assert.equal(counters.next, 1, 'next() was not called after next(err)');
  });

  test('a store that calls back AND returns a Promise is answered once', async () => {
    const base = callbackStore();
    const store = {
      on() {},
      get(sid: string, cb: Callback) {
        return new Promise((resolve) => base.get(sid, (err, value) => {
          cb(err, value);
          resolve(value);
        }));
      },
      set(sid: string, sess: unknown, cb: Callback) {
        return new Promise<void>((resolve) => base.set(sid, sess, () => {
          cb();
          resolve();
        }));
      },
      destroy(sid: string, cb: Callback) {
        base.destroy(sid, cb);
        return Promise.resolve();
      },
      touch(sid: string, sess: unknown, cb: Callback) {
        base.touch(sid, sess, cb);
        return Promise.resolve();
      },
    };
    const { app, counters } = counterApp(store);
    await assertCounts(app, counters);
    assert.deepEqual(base.data.calls, ['set', 'get', 'set', 'get', 'set']);
  });

  test('a store that calls back twice: the handler runs once and nothing is sent twice', async () => {
    const base = callbackStore();
    const store = {
      on() {},
      get(sid: string, cb: Callback) {
        base.get(sid, (err, value) => {
          cb(err, value);
          cb(err, value);
        });
      },
      set(sid: string, sess: unknown, cb: Callback) {
        base.set(sid, sess, () => {
          cb();
          cb();
          cb(new Error('late second answer'));
        });
      },
      destroy: base.destroy,
      touch(sid: string, sess: unknown, cb: Callback) {
        base.touch(sid, sess, () => {
          cb();
          cb();
        });
      },
    };
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => {
      uncaught.push(err);
    };
    process.on('uncaughtException', onUncaught);
    try {
      const { app, counters } = counterApp(store);
      const agent = await assertCounts(app, counters);
      assert.equal((await agent.get('/peek')).text, '3');
      await waitTurns();
      assert.equal(counters.handler, 4);
      assert.equal(counters.next, 4);
      assert.deepEqual(counters.errors, []);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
    assert.deepEqual(uncaught, []);
  });

  test('a store whose get answers ENOENT for an unknown id: a new session, no error', async () => {
    const base = callbackStore();
    const store = {
      ...base,
      get(sid: string, cb: Callback) {
        base.data.calls.push('get');
        const value = base.data.read(sid);
        if (value) setImmediate(cb, null, value);
        else setImmediate(cb, Object.assign(new Error(`ENOENT: no such file, open '${sid}.json'`), { code: 'ENOENT' }));
      },
    };
    const { app, counters } = counterApp(store);
    const res = await request(app).get('/').set('Cookie', cookieFor('not-in-the-store'));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, '1');
    assert.deepEqual(base.data.calls, ['get', 'set']);
    const newId = [...base.data.map.keys()][0];
    assert.notEqual(newId, 'not-in-the-store', 'the unknown id is not adopted');
    counters.handler = 0;
    counters.next = 0;
    await assertCounts(app, counters);
  });

  test('a store without touch: unmodified sessions are neither saved nor touched', async () => {
    const base = callbackStore();
    const { touch: _touch, ...store } = base;
    const { app, counters } = counterApp(store);
    const agent = await assertCounts(app, counters);
    base.data.calls.length = 0;
    assert.equal((await agent.get('/peek')).text, '3');
    assert.deepEqual(base.data.calls, ['get']);
  });

  test('a store without an on() method', async () => {
    const { on: _on, ...store } = callbackStore();
    assert.equal('on' in store, false);
    const { app, counters } = counterApp(store);
    await assertCounts(app, counters);
  });

  test('a plain object literal store (duck typing, not instanceof)', async () => {
    const map = new Map<string, string>();
    const store = {
      get(sid: string, cb: Callback) {
        const raw = map.get(sid);
        cb(null, raw ? JSON.parse(raw) : null);
      },
      set(sid: string, sess: unknown, cb: Callback) {
        map.set(sid, JSON.stringify(sess));
        cb();
      },
      destroy(sid: string, cb: Callback) {
        map.delete(sid);
        cb();
      },
    };
    assert.equal(store instanceof session.Store, false);
    const { app, counters } = counterApp(store);
    await assertCounts(app, counters);
    assert.equal(map.size, 1);
  });
});

describe("a store built on express-session's own Store class", () => {
  class MapStore extends OracleStore {
    readonly map = new Map<string, string>();
    get(sid: string, cb: Callback) {
      const raw = this.map.get(sid);
      setImmediate(cb, null, raw ? JSON.parse(raw) : undefined);
    }
    set(sid: string, sess: unknown, cb: Callback) {
      this.map.set(sid, JSON.stringify(sess));
      setImmediate(cb);
    }
    destroy(sid: string, cb: Callback) {
      this.map.delete(sid);
      setImmediate(cb);
    }
  }

  test('the counter works, and session() sets store.generate on the instance', async () => {
    const store = new MapStore();
    const { app, counters } = counterApp(store);
    assert.ok(Object.prototype.hasOwnProperty.call(store, 'generate'));
    assert.equal(typeof store.generate, 'function');
    await assertCounts(app, counters);
  });

  test('req.session.regenerate() works with it', async () => {
    const store = new MapStore();
    const { app } = counterApp(store);
    let ids: string[] = [];
    app.get('/login', (req, res, next) => {
      const oldId = req.sessionID;
      req.session.regenerate().then(() => {
        ids = [oldId, req.sessionID];
        (req.session as unknown as Record<string, unknown>).user = 'alice';
        res.end('ok');
      }, next);
    });
    app.get('/user', (req, res) => {
      res.end(String((req.session as unknown as Record<string, unknown>).user));
    });
    const agent = request.agent(app);
    await agent.get('/').expect(200, '1');
    await agent.get('/login').expect(200, 'ok');
    assert.notEqual(ids[0], ids[1]);
    assert.equal(store.map.has(ids[0]), false, 'the old session is gone');
    assert.equal(JSON.parse(store.map.get(ids[1])!).user, 'alice');
    await agent.get('/user').expect(200, 'alice');
  });

  test("the inherited Store#regenerate (which calls this.generate) gives req a new session", async () => {
    const store = new MapStore();
    const { app } = counterApp(store);
    app.get('/store-regenerate', (req, res, next) => {
      const oldId = req.sessionID;
      const oldSession = req.session;
      store.regenerate(req, (err) => {
        if (err) return next(err);
        res.json({
          changed: req.sessionID !== oldId,
          replaced: req.session !== oldSession,
          isSession: req.session instanceof session.Session,
          oldGone: !store.map.has(oldId),
        });
      });
    });
    const agent = request.agent(app);
    await agent.get('/').expect(200, '1');
    const res = await agent.get('/store-regenerate');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { changed: true, replaced: true, isSession: true, oldGone: true });
  });
});

describe('broken stores', () => {
  test('a store that throws synchronously in get: the error handler gets it', async () => {
    const failure = new Error('sync get failure');
    const store = {
      ...callbackStore(),
      get() {
        throw failure;
      },
    };
    const { app, counters } = counterApp(store);
    const agent = request.agent(app);
    await agent.get('/').expect(200, '1');
    const res = await agent.get('/');
    assert.equal(res.status, 500);
    assert.equal(res.text, 'sync get failure');
    await waitTurns();
    assert.deepEqual(counters.errors, [failure]);
    assert.equal(counters.handler, 1, 'the route did not run');
    assert.equal(counters.next, 1, 'next() was not called after next(err)');
  });

  test("a store's get returning a session without cookie: an error reaches the handler, the process stays up", async () => {
    const base = callbackStore();
    const store = {
      ...base,
      get(_sid: string, cb: Callback) {
        setImmediate(cb, null, { n: 5 });
      },
    };
    const { app, counters } = counterApp(store);
    const agent = request.agent(app);
    await agent.get('/').expect(200, '1');
    const res = await agent.get('/');
    assert.equal(res.status, 500);
    await waitTurns();
    assert.equal(counters.errors.length, 1);
    assert.ok(counters.errors[0] instanceof Error);
    assert.equal(counters.handler, 1, 'the route did not run');
    assert.equal(counters.next, 1, 'next() was not called after next(err)');
    // still serving
    await request(app).get('/').expect(200, '1');
  });
});
