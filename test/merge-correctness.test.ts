/**
 * Correctness of the commits under races and odd stores (concurrency: 'merge'
 * and explicit saves): a lost store callback blocks a session's later commits
 * for a bounded time only; a destroy is ordered with the session's merges, so
 * a merge never brings back a session destroyed after its request loaded it;
 * a new session is written whole; a failed explicit save does not count as
 * saved; and a store's atomic `merge` is used when it has one.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { install } from '@sinonjs/fake-timers';
import express from 'express';
import request from 'supertest';
import session = require('../src/index.js');
import { MERGE_QUEUE_WAIT } from '../src/middleware.js';
import { applyChange, type SessionChange } from '../src/session-change.js';
import { delay, until } from './helpers/async.js';
import { data } from './helpers/responses.js';

type Callback = (err?: unknown, value?: unknown) => void;
type Options = Partial<session.SessionOptions>;
const SECRET = 'merge correctness secret';

/** A MemoryStore whose every operation answers `latency` ms later (applied when it answers). */
class SlowStore extends session.MemoryStore {
  constructor(private readonly latency: number) {
    super();
  }

  override get(sid: string, callback: (err: unknown, session?: session.SessionData | null) => void): void {
    setTimeout(() => session.MemoryStore.prototype.get.call(this, sid, callback as never), this.latency);
  }

  override set(sid: string, sess: session.SessionData, callback?: Callback): void {
    setTimeout(() => session.MemoryStore.prototype.set.call(this, sid, sess, callback as never), this.latency);
  }

  override destroy(sid: string, callback?: Callback): void {
    setTimeout(() => session.MemoryStore.prototype.destroy.call(this, sid, callback as never), this.latency);
  }
}

function storedData(store: session.MemoryStore, sid: string): Record<string, unknown> | undefined {
  const json = (store.sessions as Record<string, string>)[sid];
  return json === undefined ? undefined : (JSON.parse(json) as Record<string, unknown>);
}

function app(options: Options, routes: (app: express.Express) => void): express.Express {
  const server = express();
  server.use(session({ secret: SECRET, resave: false, saveUninitialized: false, ...options }));
  server.get('/login', (req, res) => {
    data(req).user = 'ann';
    res.end(req.sessionID);
  });
  server.get('/read', (req, res) => {
    res.json({ id: req.sessionID, ...data(req) });
  });
  routes(server);
  server.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).end(`error: ${err.message}`);
  });
  return server;
}

function cookieOf(res: request.Response): string {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  assert.ok(header?.[0], 'a session cookie');
  return header[0].split(';')[0]!;
}

describe("concurrency: 'merge': a store that loses a callback", () => {
  let clock: ReturnType<typeof install> | undefined;
  afterEach(() => {
    clock?.uninstall();
    clock = undefined;
  });

  test(`blocks the session's later commits for at most ${MERGE_QUEUE_WAIT} ms without storeTimeout`, async () => {
    const store = new session.MemoryStore();
    let dropNextSet = false;
    const set = store.set.bind(store);
    store.set = (sid, sess, callback) => {
      if (dropNextSet) {
        dropNextSet = false;
        return; // the callback is lost
      }
      set(sid, sess, callback);
    };
    const served = app({ store, concurrency: 'merge' }, (server) => {
      server.get('/change/:n', (req, res) => {
        data(req)[`k${req.params.n}`] = true;
        res.end('ok');
      });
    });
    const listening = http.createServer(served);
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const port = (listening.address() as AddressInfo).port;
    // Plain node:http requests: no client-side timers for the fake clock to catch.
    const get = (path: string, cookie?: string): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path, agent: false, headers: cookie ? { cookie } : {} }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: res.statusCode!, body }));
      }).on('error', reject);
    });
    try {
      const login = await request(served).get('/login');
      const cookie = cookieOf(login);
      dropNextSet = true;
      void get('/change/1', cookie).catch(() => undefined); // never answered: its commit waits for ever, as without merge
      await until(() => !dropNextSet);
      clock = install({ toFake: ['setTimeout', 'clearTimeout'], shouldClearNativeTimers: true });
      let answered = false;
      const later = get('/change/2', cookie).then((res) => {
        answered = true;
        return res;
      });
      // Real turns of the event loop let the request reach its commit; the fake clock moves the wait.
      for (let waited = 0; waited <= MERGE_QUEUE_WAIT && !answered; waited += 250) {
        for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
        clock.tick(250);
      }
      clock.uninstall();
      clock = undefined;
      const res = await later;
      assert.equal(res.status, 200, res.body);
      assert.equal(storedData(store, login.text)?.k2, true);
    } finally {
      listening.closeAllConnections();
      await new Promise((resolve) => listening.close(resolve));
    }
  });
});

describe("concurrency: 'merge' and destroy", () => {
  test('a merge never writes a session destroyed after its request loaded it, whatever the interleaving', async () => {
    for (let offset = 0; offset <= 30; offset += 5) {
      const store = new SlowStore(20);
      const served = app({ store, concurrency: 'merge' }, (server) => {
        server.get('/change', (req, res) => {
          data(req).late = 'change';
          res.end('changed');
        });
        server.get('/logout', (req, res, next) => {
          req.session.destroy().then(() => res.end('bye'), next);
        });
      });
      const login = await request(served).get('/login');
      const cookie = cookieOf(login);
      const change = request(served).get('/change').set('Cookie', cookie).then((res) => res);
      await delay(offset);
      const logout = await request(served).get('/logout').set('Cookie', cookie);
      assert.equal(logout.status, 200);
      assert.equal((await change).status, 200);
      await delay(50);
      assert.equal(storedData(store, login.text), undefined, `B ${offset} ms after A: the destroyed session was written back`);
    }
  });
});

describe("concurrency: 'merge' and new sessions", () => {
  test('a new session is written whole, never merged onto what the store holds under its id', async () => {
    const store = new session.MemoryStore();
    (store.sessions as Record<string, string>)['repeated-id'] = JSON.stringify({
      cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' },
      user: 'alice',
    });
    const served = app({ store, concurrency: 'merge', genid: () => 'repeated-id' }, (server) => {
      server.get('/anonymous', (req, res) => {
        data(req).views = 1;
        res.end('ok');
      });
    });
    await request(served).get('/anonymous').expect(200);
    const stored = storedData(store, 'repeated-id');
    assert.equal(stored?.views, 1);
    assert.equal(stored?.user, undefined, 'the anonymous visitor inherited nothing');
  });
});

describe('a failed explicit save', () => {
  for (const concurrency of ['overwrite', 'merge'] as const) {
    test(`is not counted as saved: the end-of-response commit saves again (${concurrency})`, async () => {
      const store = new session.MemoryStore();
      const set = store.set.bind(store);
      let failures = 0;
      store.set = (sid, sess, callback) => {
        if (failures > 0) {
          failures -= 1;
          setImmediate(() => callback?.(new Error('set failed')));
          return;
        }
        set(sid, sess, callback);
      };
      const served = app({ store, concurrency }, (server) => {
        server.get('/unawaited', (req, res) => {
          data(req).views = 1;
          void req.session.save();
          res.end('ok');
        });
      });
      const cookie = cookieOf(await request(served).get('/login'));
      const sid = (await request(served).get('/read').set('Cookie', cookie)).body.id as string;

      failures = 2; // the explicit save, then the commit's retry
      const failed = await request(served).get('/unawaited').set('Cookie', cookie);
      assert.equal(failed.status, 500, 'the error handler answers, not a silent 200');
      assert.equal(failed.text, 'error: set failed');
      assert.equal(storedData(store, sid)?.views, undefined);

      failures = 1; // only the explicit save fails: the commit's retry stores the data
      const retried = await request(served).get('/unawaited').set('Cookie', cookie);
      assert.equal(retried.status, 200, retried.text);
      assert.equal(storedData(store, sid)?.views, 1);
    });
  }
});

describe("a store's atomic merge", () => {
  test("concurrency: 'merge' calls the store's merge for a loaded session, and set for a new one", async () => {
    const store = new session.MemoryStore();
    const calls: string[] = [];
    const changes: SessionChange[] = [];
    for (const method of ['get', 'set'] as const) {
      const original = store[method].bind(store) as (...args: unknown[]) => void;
      (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        calls.push(method);
        original(...args);
      };
    }
    Object.assign(store, {
      merge(sid: string, change: SessionChange, callback: Callback) {
        calls.push('merge');
        changes.push(change);
        session.MemoryStore.prototype.get.call(store, sid, (err: unknown, stored: unknown) => {
          if (err || !stored) return callback(err, null);
          const merged = applyChange(stored as Record<string, unknown>, change);
          session.MemoryStore.prototype.set.call(store, sid, merged as never, (setErr: unknown) => callback(setErr, merged));
        });
      },
    });
    const served = app({ store, concurrency: 'merge' }, (server) => {
      server.get('/change', (req, res) => {
        data(req).cart = ['book'];
        delete data(req).user;
        res.end('ok');
      });
    });
    const cookie = cookieOf(await request(served).get('/login'));
    assert.deepEqual(calls, ['set'], 'a new session is written whole');
    calls.length = 0;
    await request(served).get('/change').set('Cookie', cookie).expect(200);
    assert.deepEqual(calls, ['get', 'merge'], 'one load, one atomic merge: no read-modify-write of its own');
    assert.deepEqual({ set: { ...changes[0]!.set }, deleted: changes[0]!.deleted }, { set: { cart: ['book'] }, deleted: ['user'] });
    const read = await request(served).get('/read').set('Cookie', cookie);
    assert.deepEqual(read.body.cart, ['book']);
    assert.equal(read.body.user, undefined);
  });

  test('a merge that finds the session gone writes nothing and the request still succeeds', async () => {
    const store = new session.MemoryStore();
    Object.assign(store, {
      merge(_sid: string, _change: SessionChange, callback: Callback) {
        setImmediate(callback, null, null);
      },
    });
    const served = app({ store, concurrency: 'merge' }, (server) => {
      server.get('/change', (req, res) => {
        data(req).cart = 1;
        res.end('ok');
      });
    });
    const login = await request(served).get('/login');
    await request(served).get('/change').set('Cookie', cookieOf(login)).expect(200, 'ok');
    assert.equal(storedData(store, login.text)?.cart, undefined);
  });
});
