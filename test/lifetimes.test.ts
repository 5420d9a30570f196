// Session lifetimes (issue 8): maxLifetime (absolute timeout), checkExpiry
// (a stale session a store still returns is never used), touchAfter (fewer
// store touches), async genid on the expired-session path, and the option
// validation. express-session has none of these options, so the oracle is used
// where it can say what the unchanged default is (checkExpiry: false, the touch
// count without touchAfter).
//
// Time is a fake clock that fakes Date only (@sinonjs/fake-timers with
// toFake: ['Date']): setImmediate and timers still run, and both MemoryStores
// and our expiry checks read Date.now().
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { install } from '@sinonjs/fake-timers';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import signature = require('cookie-signature');
import session = require('../src/index.js');
import { oracle } from './helpers/oracle.js';
import { data, sessionCookie } from './helpers/responses.js';

const SECRET = 'keyboard cat';
const MINUTE = 60 * 1000;
/** A whole second, so cookie Expires (second precision) can be compared exactly. */
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

type Data = Record<string, unknown>;
type Handler = (req: Request, res: Response, next: NextFunction) => void;

let clock: ReturnType<typeof install>;
beforeEach(() => {
  clock = install({ now: T0, toFake: ['Date'] });
});
afterEach(() => {
  clock.uninstall();
});

/** The `Expires` attribute of the session cookie, as a Date (undefined: none). */
function cookieExpires(res: request.Response): Date | undefined {
  const line = sessionCookie(res);
  assert.ok(line, 'a session cookie was sent');
  const match = /; Expires=([^;]+)/.exec(line);
  return match ? new Date(match[1]!) : undefined;
}

/** `connect.sid=<value>` for a Cookie request header, from a response's Set-Cookie. */
function cookieHeader(res: request.Response): string {
  const line = sessionCookie(res);
  assert.ok(line, 'a session cookie was sent');
  return line.split(';')[0]!;
}

function cookieFor(id: string, secret = SECRET): string {
  return 'connect.sid=' + encodeURIComponent('s:' + signature.sign(id, secret));
}

interface StoreCall {
  method: string;
  sid: string;
}

/** Records the calls the middleware makes on a store (any store with these methods). */
function spy<S extends object>(store: S): { store: S; calls: StoreCall[]; count(method: string): number } {
  const calls: StoreCall[] = [];
  const target = store as unknown as Record<string, unknown>;
  for (const method of ['get', 'set', 'touch', 'destroy']) {
    const original = target[method];
    if (typeof original !== 'function') continue;
    target[method] = function (this: unknown, ...args: unknown[]) {
      calls.push({ method, sid: String(args[0]) });
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  return { store, calls, count: (method) => calls.filter((call) => call.method === method).length };
}

/**
 * A store that keeps JSON and never expires anything itself (like a store with
 * a lagging TTL or a broken clock): only the middleware's own check stands
 * between a stale session and its use.
 */
class NaiveStore extends EventEmitter {
  readonly sessions = new Map<string, string>();
  failDestroy = false;

  get(sid: string, callback: session.StoreCallback<session.StoredSession | undefined>): void {
    const json = this.sessions.get(sid);
    setImmediate(callback, null, json === undefined ? undefined : (JSON.parse(json) as session.StoredSession));
  }

  set(sid: string, sess: unknown, callback?: (err?: unknown) => void): void {
    this.sessions.set(sid, JSON.stringify(sess));
    if (callback) setImmediate(callback);
  }

  touch(sid: string, sess: unknown, callback?: (err?: unknown) => void): void {
    this.set(sid, sess, callback);
  }

  destroy(sid: string, callback?: (err?: unknown) => void): void {
    if (this.failDestroy) {
      if (callback) setImmediate(callback, new Error('destroy failed'));
      return;
    }
    this.sessions.delete(sid);
    if (callback) setImmediate(callback);
  }
}

/**
 * express-session builds loaded sessions with `store.createSession`, which only
 * its own Store has: the NaiveStore's methods on an express-session Store.
 */
function forOracle(naive: NaiveStore): object {
  const store = new oracle.Store();
  return Object.assign(store, {
    get: naive.get.bind(naive),
    set: naive.set.bind(naive),
    touch: naive.touch.bind(naive),
    destroy: naive.destroy.bind(naive),
  });
}

/** What a store holds for `sid`, parsed from MemoryStore's `sessions` view (ours or express-session's). */
function storedCookie(sessions: Record<string, string>, sid: string): Data | undefined {
  const json = sessions[sid];
  return json === undefined ? undefined : (JSON.parse(json) as { cookie: Data }).cookie;
}

/**
 * An app around `middleware`:
 * - `/login?tag=X` stores `tag`
 * - `/bump` increments `n`
 * - `/whoami` reads only
 * each answering `{ id, tag, n }`; errors answer 500 with the message.
 */
function makeApp(middleware: Handler): express.Express {
  const app = express();
  app.use(middleware);
  const answer = (req: Request, res: Response): void => {
    res.json({ id: req.sessionID, tag: data(req).tag ?? null, n: data(req).n ?? null });
  };
  app.get('/login', (req, res) => {
    data(req).tag = req.query.tag;
    answer(req, res);
  });
  app.get('/bump', (req, res) => {
    data(req).n = ((data(req).n as number | undefined) ?? 0) + 1;
    answer(req, res);
  });
  app.get('/whoami', answer);
  app.get('/cookie', (req, res) => {
    const cookie = req.session.cookie;
    res.json({ id: req.sessionID, createdAt: cookie.createdAt ?? null, expires: cookie.expires?.valueOf() ?? null });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).send('error: ' + (err instanceof Error ? err.message : String(err)));
  });
  return app;
}

function ours(options: session.SessionOptions): express.Express {
  return makeApp(session({ secret: SECRET, resave: false, saveUninitialized: false, ...options }) as unknown as Handler);
}

function theirs(options: Data): express.Express {
  return makeApp(oracle({ secret: SECRET, resave: false, saveUninitialized: false, ...options }) as unknown as Handler);
}

// ---------------------------------------------------------------------------

describe('maxLifetime', () => {
  test('a new session records createdAt, and cookie.expires (header and store) stops at the absolute end', async () => {
    const store = new session.MemoryStore();
    const app = ours({ store, maxLifetime: 10 * MINUTE, cookie: { maxAge: 60 * MINUTE } });
    const res = await request(app).get('/login').query({ tag: 'a' });
    assert.equal(res.status, 200);
    assert.equal(cookieExpires(res)?.valueOf(), T0 + 10 * MINUTE);
    const stored = storedCookie(store.sessions, res.body.id as string);
    assert.ok(stored);
    assert.equal(stored.createdAt, T0);
    assert.equal(stored.expires, new Date(T0 + 10 * MINUTE).toISOString());
    // The idle timeout that touches reset to is left alone.
    assert.equal(stored.originalMaxAge, 60 * MINUTE);
  });

  test('without maxLifetime nothing changes: no createdAt, and expires is the idle timeout (as express-session)', async () => {
    const ourStore = new session.MemoryStore();
    const theirStore = new oracle.MemoryStore();
    const a = await request(ours({ store: ourStore, cookie: { maxAge: 60 * MINUTE } })).get('/login').query({ tag: 'a' });
    const b = await request(theirs({ store: theirStore, cookie: { maxAge: 60 * MINUTE } })).get('/login').query({ tag: 'a' });
    assert.equal(cookieExpires(a)?.valueOf(), cookieExpires(b)?.valueOf());
    assert.deepEqual(storedCookie(ourStore.sessions, a.body.id as string), storedCookie(theirStore.sessions, b.body.id as string));
    assert.equal(storedCookie(ourStore.sessions, a.body.id as string)?.createdAt, undefined);
  });

  test('a shorter idle timeout is kept as it is', async () => {
    const app = ours({ maxLifetime: 60 * MINUTE, cookie: { maxAge: 5 * MINUTE } });
    const res = await request(app).get('/login').query({ tag: 'a' });
    assert.equal(cookieExpires(res)?.valueOf(), T0 + 5 * MINUTE);
  });

  test('a browser-session cookie (maxAge null) gets the absolute end as its expiry', async () => {
    const store = new session.MemoryStore();
    const app = ours({ store, rolling: true, maxLifetime: 10 * MINUTE });
    const login = await request(app).get('/login').query({ tag: 'a' });
    assert.equal(cookieExpires(login)?.valueOf(), T0 + 10 * MINUTE);
    clock.tick(3 * MINUTE);
    // A touch resets maxAge to null; the expiry is clamped again, not dropped.
    const res = await request(app).get('/whoami').set('Cookie', cookieHeader(login));
    assert.equal(res.body.tag, 'a');
    assert.equal(cookieExpires(res)?.valueOf(), T0 + 10 * MINUTE);
    assert.equal(storedCookie(store.sessions, login.body.id as string)?.originalMaxAge, null);
  });

  test('activity with rolling never moves the expiry past the absolute end; after it the session is gone', async () => {
    const { store, calls } = spy(new session.MemoryStore());
    const app = ours({ store, rolling: true, maxLifetime: 10 * MINUTE, cookie: { maxAge: 60 * MINUTE } });
    const login = await request(app).get('/login').query({ tag: 'a' });
    const id = login.body.id as string;
    const cookie = cookieHeader(login);

    clock.tick(4 * MINUTE);
    const bump = await request(app).get('/bump').set('Cookie', cookie);
    assert.equal(bump.body.id, id);
    assert.equal(bump.body.n, 1);
    assert.equal(cookieExpires(bump)?.valueOf(), T0 + 10 * MINUTE, 'saved (set) sessions are clamped');

    clock.tick(4 * MINUTE);
    const read = await request(app).get('/whoami').set('Cookie', cookie);
    assert.equal(read.body.id, id);
    assert.equal(cookieExpires(read)?.valueOf(), T0 + 10 * MINUTE, 'touched sessions are clamped');
    assert.equal(storedCookie(store.sessions, id)?.expires, new Date(T0 + 10 * MINUTE).toISOString());
    assert.ok(calls.some((call) => call.method === 'touch' && call.sid === id));

    clock.tick(2 * MINUTE);
    const late = await request(app).get('/whoami').set('Cookie', cookie);
    assert.equal(late.status, 200);
    assert.notEqual(late.body.id, id);
    assert.equal(late.body.tag, null);
    assert.equal(storedCookie(store.sessions, id), undefined);
  });

  test('the clock keeps running across middlewares that share the store: createdAt survives saves and touches', async () => {
    const store = new session.MemoryStore();
    const app = ours({ store, maxLifetime: 10 * MINUTE, cookie: { maxAge: 60 * MINUTE } });
    const login = await request(app).get('/login').query({ tag: 'a' });
    const id = login.body.id as string;
    clock.tick(MINUTE);
    await request(app).get('/bump').set('Cookie', cookieHeader(login)); // set
    clock.tick(MINUTE);
    await request(app).get('/whoami').set('Cookie', cookieHeader(login)); // touch
    assert.equal(storedCookie(store.sessions, id)?.createdAt, T0);
  });

  test('an older session without createdAt gets it on its first load, and its absolute end counts from there', async () => {
    const store = new session.MemoryStore();
    // Made before maxLifetime was turned on.
    const before = ours({ store, cookie: { maxAge: 60 * MINUTE } });
    const login = await request(before).get('/login').query({ tag: 'old' });
    const id = login.body.id as string;
    assert.equal(storedCookie(store.sessions, id)?.createdAt, undefined);

    clock.tick(5 * MINUTE);
    const app = ours({ store, maxLifetime: 10 * MINUTE });
    // The app sees createdAt and the clamped expiry as soon as the session is loaded.
    const first = await request(app).get('/cookie').set('Cookie', cookieHeader(login));
    assert.deepEqual(first.body, { id, createdAt: T0 + 5 * MINUTE, expires: T0 + 15 * MINUTE });
    const stored = storedCookie(store.sessions, id);
    assert.equal(stored?.createdAt, T0 + 5 * MINUTE, 'persisted by the touch');
    assert.equal(stored?.expires, new Date(T0 + 15 * MINUTE).toISOString());

    clock.tick(9 * MINUTE);
    assert.equal((await request(app).get('/whoami').set('Cookie', cookieHeader(login))).body.id, id);
    clock.tick(MINUTE);
    const late = await request(app).get('/whoami').set('Cookie', cookieHeader(login));
    assert.notEqual(late.body.id, id);
    assert.equal(late.body.tag, null);
  });

  test('a createdAt that is not a number (string, null) counts as missing: the lifetime starts now', async () => {
    for (const garbage of ['abc', '1700000000000', null]) {
      const store = new session.MemoryStore();
      const id = `garbage-${String(garbage)}`;
      store.sessions[id] = JSON.stringify({
        tag: 'x',
        cookie: { originalMaxAge: 60 * MINUTE, expires: new Date(T0 + 60 * MINUTE).toISOString(), httpOnly: true, path: '/', createdAt: garbage },
      });
      const app = ours({ store, maxLifetime: 10 * MINUTE });
      const first = await request(app).get('/cookie').set('Cookie', cookieFor(id));
      assert.deepEqual(first.body, { id, createdAt: T0, expires: T0 + 10 * MINUTE }, `createdAt ${String(garbage)}`);
      clock.tick(10 * MINUTE);
      const late = await request(app).get('/whoami').set('Cookie', cookieFor(id));
      assert.notEqual(late.body.id, id, `createdAt ${String(garbage)}: the absolute end still applies`);
      clock.setSystemTime(T0);
    }
  });

  test('a createdAt in the future makes the session invalid: it is replaced at once', async () => {
    for (const future of [1e300, T0 + 60 * MINUTE, T0 + 1]) {
      const store = new session.MemoryStore();
      const id = `future-${String(future)}`;
      store.sessions[id] = JSON.stringify({
        tag: 'x',
        cookie: { originalMaxAge: 60 * MINUTE, expires: new Date(T0 + 60 * MINUTE).toISOString(), httpOnly: true, path: '/', createdAt: future },
      });
      const app = ours({ store, maxLifetime: 10 * MINUTE });
      const res = await request(app).get('/whoami').set('Cookie', cookieFor(id));
      assert.notEqual(res.body.id, id, `createdAt ${future}`);
      assert.equal(res.body.tag, null, `createdAt ${future}: none of its data`);
    }
  });

  for (const touch of ['none', 'ttl-only'] as const) {
    test(`a missing createdAt is persisted by a save when the store's touch is ${touch === 'none' ? 'missing' : 'TTL-only'}: the absolute end applies`, async () => {
      const naive = new NaiveStore();
      const store = touch === 'none'
        ? { get: naive.get.bind(naive), set: naive.set.bind(naive), destroy: naive.destroy.bind(naive) }
        // As connect-redis: touch only refreshes a TTL, it never writes the session.
        : Object.assign(naive, { touch: (_sid: string, _sess: unknown, callback?: (err?: unknown) => void) => callback && setImmediate(callback) });
      const id = `no-created-at-${touch}`;
      naive.sessions.set(id, JSON.stringify({
        tag: 'x',
        cookie: { originalMaxAge: 60 * MINUTE, expires: new Date(T0 + 60 * MINUTE).toISOString(), httpOnly: true, path: '/' },
      }));
      const app = ours({ store: store as session.SessionStore, maxLifetime: 1000 });
      assert.equal((await request(app).get('/whoami').set('Cookie', cookieFor(id))).body.id, id);
      const stored = JSON.parse(naive.sessions.get(id)!) as { cookie: { createdAt?: number } };
      assert.equal(stored.cookie.createdAt, T0, 'the new creation time is stored');
      clock.tick(600);
      assert.equal((await request(app).get('/whoami').set('Cookie', cookieFor(id))).body.id, id, 'still within its lifetime');
      clock.tick(2600);
      const late = await request(app).get('/whoami').set('Cookie', cookieFor(id));
      assert.notEqual(late.body.id, id, 'past maxLifetime, counted from the first load');
    });
  }

  test('a loaded session past its absolute end is expired even when cookie.expires has not passed', async () => {
    const { store, calls } = spy(new NaiveStore());
    store.sessions.set('stale', JSON.stringify({
      tag: 'x',
      cookie: { originalMaxAge: 60 * MINUTE, expires: new Date(T0 + 30 * MINUTE).toISOString(), httpOnly: true, path: '/', createdAt: T0 - 20 * MINUTE },
    }));
    const res = await request(ours({ store, maxLifetime: 10 * MINUTE })).get('/whoami').set('Cookie', cookieFor('stale'));
    assert.equal(res.status, 200);
    assert.notEqual(res.body.id, 'stale');
    assert.equal(res.body.tag, null);
    assert.deepEqual(calls.filter((call) => call.method === 'destroy'), [{ method: 'destroy', sid: 'stale' }]);
    assert.equal(store.sessions.has('stale'), false);
  });

  test('an app that calls touch() or resetMaxAge() sees the expiry clamped to the absolute end at once', async () => {
    const app = express();
    app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, maxLifetime: 10 * MINUTE, cookie: { maxAge: 60 * MINUTE } }));
    app.get('/login', (req, res) => {
      data(req).user = 'u';
      res.end();
    });
    app.get('/touch', (req, res) => {
      const viaTouch = req.session.touch().cookie.expires?.valueOf();
      const viaReset = req.session.resetMaxAge().cookie.expires?.valueOf();
      res.json({ viaTouch, viaReset, maxAge: req.session.cookie.maxAge });
    });
    const login = await request(app).get('/login');
    clock.tick(4 * MINUTE);
    const res = await request(app).get('/touch').set('Cookie', cookieHeader(login));
    assert.deepEqual(res.body, { viaTouch: T0 + 10 * MINUTE, viaReset: T0 + 10 * MINUTE, maxAge: 6 * MINUTE });
  });

  test('a "remember me" maxAge set by the app is clamped to the absolute end too', async () => {
    const app = express();
    app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, maxLifetime: 10 * MINUTE, resendOnExpiryChange: true, cookie: { maxAge: 5 * MINUTE } }));
    app.get('/login', (req, res) => {
      data(req).user = 'u';
      res.end();
    });
    app.get('/remember', (req, res) => {
      req.session.cookie.maxAge = 30 * 24 * 60 * MINUTE;
      res.end();
    });
    const login = await request(app).get('/login');
    assert.equal(cookieExpires(login)?.valueOf(), T0 + 5 * MINUTE);
    clock.tick(MINUTE);
    const res = await request(app).get('/remember').set('Cookie', cookieHeader(login));
    assert.equal(cookieExpires(res)?.valueOf(), T0 + 10 * MINUTE);
  });
});

describe('checkExpiry', () => {
  /** A session saved at T0 with a one-minute cookie, then the clock moved past it. */
  async function staleSession(app: express.Express): Promise<{ id: string; cookie: string }> {
    const login = await request(app).get('/login').query({ tag: 'stale' });
    assert.equal(login.status, 200);
    clock.tick(2 * MINUTE);
    return { id: login.body.id as string, cookie: cookieHeader(login) };
  }

  test('express-session uses a stale session the store still returns; checkExpiry: false does the same', async () => {
    const theirStore = new NaiveStore();
    const theirApp = theirs({ store: forOracle(theirStore), cookie: { maxAge: MINUTE } });
    const theirStale = await staleSession(theirApp);
    const expected = await request(theirApp).get('/whoami').set('Cookie', theirStale.cookie);

    clock.setSystemTime(T0);
    const ourStore = new NaiveStore();
    const ourApp = ours({ store: ourStore, cookie: { maxAge: MINUTE }, checkExpiry: false });
    const ourStale = await staleSession(ourApp);
    const actual = await request(ourApp).get('/whoami').set('Cookie', ourStale.cookie);

    assert.equal(expected.body.id, theirStale.id, 'the oracle reuses the stale session');
    assert.equal(actual.body.id, ourStale.id);
    assert.equal(actual.body.tag, expected.body.tag);
    assert.equal(ourStore.sessions.has(ourStale.id), theirStore.sessions.has(theirStale.id));
  });

  test('by default a stale session is destroyed and the client gets a fresh one with a new id', async () => {
    const { store, calls } = spy(new NaiveStore());
    const app = ours({ store, cookie: { maxAge: MINUTE } });
    const stale = await staleSession(app);
    calls.length = 0;

    const res = await request(app).get('/bump').set('Cookie', stale.cookie);
    assert.equal(res.status, 200);
    assert.notEqual(res.body.id, stale.id);
    assert.equal(res.body.tag, null);
    assert.equal(res.body.n, 1);
    assert.deepEqual(calls.filter((call) => call.method === 'destroy'), [{ method: 'destroy', sid: stale.id }]);
    assert.equal(store.sessions.has(stale.id), false);
    // The fresh session was modified, so it is saved and its cookie sent.
    assert.ok(store.sessions.has(res.body.id as string));
    assert.equal(cookieHeader(res), cookieFor(res.body.id as string));
  });

  test('a session whose expiry is exactly now counts as expired', async () => {
    const store = new NaiveStore();
    // No touch: the first check must not move the stored expiry.
    (store as unknown as Record<string, unknown>).touch = undefined;
    const app = ours({ store, cookie: { maxAge: MINUTE } });
    const login = await request(app).get('/login').query({ tag: 'a' });
    clock.tick(MINUTE - 1);
    assert.equal((await request(app).get('/whoami').set('Cookie', cookieHeader(login))).body.id, login.body.id);
    clock.tick(1);
    assert.notEqual((await request(app).get('/whoami').set('Cookie', cookieHeader(login))).body.id, login.body.id);
  });

  test('a session without an expiry (browser-session cookie) never expires by this check', async () => {
    const store = new NaiveStore();
    const app = ours({ store });
    const login = await request(app).get('/login').query({ tag: 'a' });
    clock.tick(365 * 24 * 60 * MINUTE);
    const res = await request(app).get('/whoami').set('Cookie', cookieHeader(login));
    assert.equal(res.body.id, login.body.id);
    assert.equal(res.body.tag, 'a');
  });

  test('a store that fails to destroy the stale session does not fail the request', async () => {
    const store = new NaiveStore();
    const app = ours({ store, cookie: { maxAge: MINUTE } });
    const stale = await staleSession(app);
    store.failDestroy = true;
    const res = await request(app).get('/whoami').set('Cookie', stale.cookie);
    assert.equal(res.status, 200);
    assert.notEqual(res.body.id, stale.id);
    assert.equal(res.body.tag, null);
  });

  test('an async genid is waited for when replacing a stale session', async () => {
    const store = new NaiveStore();
    let n = 0;
    const genid = (): Promise<string> => new Promise((resolve) => setImmediate(resolve, `async-${++n}`));
    const app = ours({ store, genid, cookie: { maxAge: MINUTE } });
    const stale = await staleSession(app);
    assert.equal(stale.id, 'async-1');
    const res = await request(app).get('/bump').set('Cookie', stale.cookie);
    assert.equal(res.body.id, 'async-2');
    assert.equal(cookieHeader(res), cookieFor('async-2'));
    assert.ok(store.sessions.has('async-2'));
    assert.equal(store.sessions.has('async-1'), false);
  });

  test('a rejected genid while replacing a stale session reaches the error handler', async () => {
    const store = new NaiveStore();
    let fail = false;
    const genid = (): Promise<string> => (fail ? Promise.reject(new Error('no ids today')) : Promise.resolve('first'));
    const app = ours({ store, genid, cookie: { maxAge: MINUTE } });
    const stale = await staleSession(app);
    fail = true;
    const res = await request(app).get('/whoami').set('Cookie', stale.cookie);
    assert.equal(res.status, 500);
    assert.equal(res.text, 'error: no ids today');
  });
});

describe('touchAfter', () => {
  /** The number of store.touch calls over: login at T0, then a read-only request at each offset (ms). */
  async function touches(app: express.Express, count: () => number, offsets: number[]): Promise<number[]> {
    const login = await request(app).get('/login').query({ tag: 'a' });
    const cookie = cookieHeader(login);
    const seen: number[] = [];
    for (const offset of offsets) {
      clock.setSystemTime(T0 + offset);
      const res = await request(app).get('/whoami').set('Cookie', cookie);
      assert.equal(res.body.id, login.body.id);
      seen.push(count());
    }
    return seen;
  }

  const OFFSETS = [1 * MINUTE, 6 * MINUTE, 7 * MINUTE, 12 * MINUTE, 12 * MINUTE + 1000];

  test('without touchAfter every read-only request touches the store, as in express-session', async () => {
    const our = spy(new session.MemoryStore());
    const ourCounts = await touches(ours({ store: our.store, cookie: { maxAge: 60 * MINUTE } }), () => our.count('touch'), OFFSETS);
    clock.setSystemTime(T0);
    const their = spy(new oracle.MemoryStore());
    const theirCounts = await touches(theirs({ store: their.store, cookie: { maxAge: 60 * MINUTE } }), () => their.count('touch'), OFFSETS);
    assert.deepEqual(ourCounts, theirCounts);
    assert.deepEqual(ourCounts, [1, 2, 3, 4, 5]);
  });

  test('store.touch is skipped while the session was touched less than touchAfter ago', async () => {
    const { store, count } = spy(new session.MemoryStore());
    const app = ours({ store, touchAfter: 5 * MINUTE, cookie: { maxAge: 60 * MINUTE } });
    // Saved (last touched) at T0: skipped at 1 min; touched at 6 min; skipped at
    // 7 and 10 min (< 5 min after 6); touched at 11:01; skipped at 12 min.
    const counts = await touches(app, () => count('touch'), [1 * MINUTE, 6 * MINUTE, 7 * MINUTE, 10 * MINUTE, 11 * MINUTE + 1000, 12 * MINUTE]);
    assert.deepEqual(counts, [0, 1, 1, 1, 2, 2]);
  });

  test('the store keeps the last touched expiry: a skipped touch leaves it where it was', async () => {
    const { store } = spy(new session.MemoryStore());
    const app = ours({ store, touchAfter: 5 * MINUTE, cookie: { maxAge: 60 * MINUTE } });
    const login = await request(app).get('/login').query({ tag: 'a' });
    const id = login.body.id as string;
    clock.tick(2 * MINUTE);
    await request(app).get('/whoami').set('Cookie', cookieHeader(login));
    assert.equal(storedCookie(store.sessions, id)?.expires, new Date(T0 + 60 * MINUTE).toISOString());
    clock.tick(4 * MINUTE);
    await request(app).get('/whoami').set('Cookie', cookieHeader(login));
    assert.equal(storedCookie(store.sessions, id)?.expires, new Date(T0 + 66 * MINUTE).toISOString());
  });

  test('modified sessions are still saved, whatever touchAfter says', async () => {
    const { store, count } = spy(new session.MemoryStore());
    const app = ours({ store, touchAfter: 5 * MINUTE, cookie: { maxAge: 60 * MINUTE } });
    const login = await request(app).get('/login').query({ tag: 'a' });
    assert.equal(count('set'), 1);
    clock.tick(MINUTE);
    const res = await request(app).get('/bump').set('Cookie', cookieHeader(login));
    assert.equal(res.body.n, 1);
    assert.equal(count('set'), 2);
    assert.equal(count('touch'), 0);
  });

  test('with rolling the cookie is still sent on every response (the store expiry may lag it by up to touchAfter)', async () => {
    const { store, count } = spy(new session.MemoryStore());
    const app = ours({ store, rolling: true, touchAfter: 5 * MINUTE, cookie: { maxAge: 60 * MINUTE } });
    const login = await request(app).get('/login').query({ tag: 'a' });
    clock.tick(MINUTE);
    const res = await request(app).get('/whoami').set('Cookie', cookieHeader(login));
    assert.equal(cookieExpires(res)?.valueOf(), T0 + 61 * MINUTE);
    assert.equal(count('touch'), 0);
    assert.equal(storedCookie(store.sessions, login.body.id as string)?.expires, new Date(T0 + 60 * MINUTE).toISOString());
  });

  test('a session without an expiry is touched every time (its last touch is unknown)', async () => {
    const { store, count } = spy(new session.MemoryStore());
    const app = ours({ store, touchAfter: 5 * MINUTE });
    const counts = await touches(app, () => count('touch'), [MINUTE, 2 * MINUTE]);
    assert.deepEqual(counts, [1, 2]);
  });
});

describe('option validation', () => {
  for (const key of ['maxLifetime', 'touchAfter'] as const) {
    test(`${key} must be a positive number of milliseconds`, () => {
      for (const bad of [0, -1, Number.NaN, Infinity, '1000', true, null, {}]) {
        assert.throws(
          () => session({ secret: SECRET, resave: false, saveUninitialized: false, [key]: bad as unknown as number }),
          (err: unknown) => err instanceof TypeError && err.message.startsWith(`${key} option is invalid: `)
            && (typeof bad !== 'string' || err.message.includes(`'${bad}' (a string); use a number: ${key}: ${bad},`)),
          `${key}: ${String(bad)}`,
        );
      }
      for (const good of [1, 1000, 8 * 60 * 60 * 1000, undefined]) {
        assert.doesNotThrow(() => session({ secret: SECRET, resave: false, saveUninitialized: false, [key]: good }));
      }
    });
  }

  test('checkExpiry defaults to on; only false turns it off', async () => {
    for (const [checkExpiry, reused] of [[undefined, false], [true, false], [false, true]] as const) {
      clock.setSystemTime(T0);
      const store = new NaiveStore();
      const app = ours({ store, checkExpiry, cookie: { maxAge: MINUTE } });
      const login = await request(app).get('/login').query({ tag: 'a' });
      clock.tick(2 * MINUTE);
      const res = await request(app).get('/whoami').set('Cookie', cookieHeader(login));
      assert.equal(res.body.id === login.body.id, reused, `checkExpiry: ${String(checkExpiry)}`);
    }
  });
});
