// Small units of the core checked directly, beside the HTTP tests that use them:
// the request path, store calls that fail oddly, the commit queue, what a store
// hands back, the optional-feature objects, and the lifecycle's error exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import express from 'express';
import request from 'supertest';
import session = require('../src/index.js');
import { CookieClearer } from '../src/clear-on-destroy.js';
import { CommitQueue } from '../src/commit-queue.js';
import { Cookie } from '../src/cookie.js';
import { holdAsEnded } from '../src/ended-response.js';
import { ExpiryWatch } from '../src/expiry-watch.js';
import { hasExpired, Lifetime } from '../src/lifetime.js';
import type { SessionIncomingMessage } from '../src/options.js';
import { requestPathname } from '../src/request.js';
import { Session, type SessionHolder } from '../src/session.js';
import { callStore } from '../src/store-call.js';
import { storedExpiry } from '../src/stored-session.js';

const holder = (sid: string): SessionHolder => ({ sessionID: sid, sessionStore: new session.MemoryStore() as unknown as SessionHolder['sessionStore'] });

function sessionWith(cookie: Cookie, sid = 'sid'): Session {
  const result = new Session(holder(sid));
  result.cookie = cookie;
  return result;
}

test('requestPathname: origin-form, absolute-form, `*` and a target that is no URL', () => {
  const path = (url: string, originalUrl?: string): string => requestPathname({ url, originalUrl } as SessionIncomingMessage);
  assert.equal(path('/a/b?q=1#h'), '/a/b');
  assert.equal(path('/?q'), '/');
  assert.equal(path('/x', '/mounted/x'), '/mounted/x');
  assert.equal(path('http://example.com/p/q?r'), '/p/q');
  assert.equal(path('*'), '*');
  assert.equal(path(''), '/');
});

test('callStore: a store that throws or rejects with nothing still fails with an error', async () => {
  const throwing = { get(): never { throw undefined; } };
  await assert.rejects(callStore(throwing, 'get', ['sid']), /store\.get\(\) threw undefined/);
  const rejecting = { get: (): Promise<never> => Promise.reject(null) };
  await assert.rejects(callStore(rejecting, 'get', ['sid']), /store\.get\(\) rejected with null/);
});

test('CommitQueue: one task at a time per key; the queue empties behind them', async () => {
  const queue = new CommitQueue(10_000);
  const order: string[] = [];
  let release!: () => void;
  const first = queue.run('a', () => new Promise<void>((resolve) => { release = resolve; }).then(() => void order.push('a1')));
  const second = queue.run('a', async () => void order.push('a2'));
  const other = queue.run('b', async () => void order.push('b1'));
  assert.equal(queue.size, 2);
  await other;
  release();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['b1', 'a1', 'a2']);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(queue.size, 0);
});

test('storedExpiry: what a store hands back is checked, with a message that names it', () => {
  assert.equal(storedExpiry({ cookie: {} }), undefined);
  assert.equal(storedExpiry({ cookie: { expires: new Date(0) } }), undefined);
  assert.equal(storedExpiry({ cookie: { expires: '2030-01-01T00:00:00.000Z' } })?.toISOString(), '2030-01-01T00:00:00.000Z');
  const cases: Array<[unknown, RegExp]> = [
    [null, /returned null from get\(\)/],
    ['x'.repeat(41), /returned a string from get\(\)/],
    ['short', /returned a string "short" from get\(\)/],
    [[1], /without a cookie object \(cookie: undefined\)/],
    [{ cookie: { expires: [1] } }, /cookie\.expires is not a date \(an array\)/],
    [7, /returned a number from get\(\)/],
    [{ cookie: 'c' }, /without a cookie object \(cookie: a string "c"\)/],
    [{ cookie: { expires: 'not a date' } }, /cookie\.expires is not a date \(a string "not a date"\)/],
    [{ cookie: { expires: new Date(NaN) } }, /cookie\.expires is not a date \(an object\)/],
    [{ cookie: { expires: 5 } }, /cookie\.expires is not a date \(a number\)/],
  ];
  for (const [data, message] of cases) assert.throws(() => storedExpiry(data), message);
});

test('ExpiryWatch: notes once whether the loaded session\'s expiry changed, by id', () => {
  const loaded = sessionWith(new Cookie({ maxAge: 60_000 }));
  const unchanged = new ExpiryWatch(loaded);
  unchanged.note(sessionWith(new Cookie({ maxAge: 60_000 }), 'another id'));
  assert.equal(unchanged.changed, undefined, 'another session is not the loaded one');
  unchanged.note(loaded);
  assert.equal(unchanged.changed, false);

  const changed = new ExpiryWatch(loaded);
  loaded.cookie.maxAge = 120_000;
  changed.note(loaded);
  assert.equal(changed.changed, true);
  loaded.cookie.maxAge = 60_000;
  changed.note(loaded);
  assert.equal(changed.changed, true, 'noted once');
});

test('CookieClearer: the destroyed session\'s cookie, or with unset: \'destroy\' the last one the request had', () => {
  const first = sessionWith(new Cookie({ path: '/first' }));
  const keep = new CookieClearer(false);
  keep.seen(first);
  assert.equal(keep.cookieToClear(), undefined);
  keep.destroyedSession(first);
  assert.equal(keep.cookieToClear(), first.cookie);
  const unset = new CookieClearer(true);
  unset.seen(first);
  assert.equal(unset.cookieToClear(), first.cookie);
});

test('Lifetime: starts, limits and ends a session\'s absolute lifetime', () => {
  const lifetime = new Lifetime(1000);
  const cookie = new Cookie({ maxAge: 60_000 });
  const before = Date.now();
  lifetime.start(cookie);
  assert.ok(cookie.createdAt! >= before);
  assert.ok((cookie.expires as Date).valueOf() <= cookie.createdAt! + 1000);
  assert.equal(hasExpired(cookie, lifetime, cookie.createdAt! + 999), false);
  assert.equal(hasExpired(cookie, lifetime, cookie.createdAt! + 1000), true);
  assert.equal(hasExpired(new Cookie(), undefined, Date.now()), false);
  const garbage = new Cookie({ maxAge: 60_000 });
  garbage.createdAt = 'yesterday' as unknown as number;
  lifetime.limit(garbage);
  assert.equal(typeof garbage.createdAt, 'number', 'an unusable creation time starts the lifetime now');
});

test('a genid that throws for a request without a session: the error handler answers', async () => {
  const app = express();
  app.use(session({ secret: 's', resave: false, saveUninitialized: false, genid: () => { throw new Error('no ids today'); } }));
  app.get('/', (_req, res) => void res.send('unreachable'));
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(500).send(err.message));
  await request(app).get('/').expect(500, 'no ids today');
});

test('Store#regenerate waits for a generate that answers with a Promise', async () => {
  const store = new session.MemoryStore();
  session({ secret: 's', resave: false, saveUninitialized: false, store, genid: async () => 'async-id' });
  const req = { sessionID: 'old', sessionStore: store } as unknown as SessionHolder;
  await new Promise<void>((resolve, reject) => store.regenerate(req, (err) => (err ? reject(err as Error) : resolve())));
  assert.equal(req.sessionID, 'async-id');
  assert.equal(req.session?.id, 'async-id');
});

test('MemoryStore#sessions: symbol keys are not sessions; assigning null empties the store', () => {
  const store = new session.MemoryStore();
  store.set('a', { cookie: { path: '/' }, n: 1 } as unknown as session.SessionData);
  const view = store.sessions;
  const symbol = Symbol('not a session');
  assert.equal(Reflect.set(view, symbol, 'x'), false);
  assert.equal(Reflect.get(view, symbol), undefined);
  assert.equal(Reflect.deleteProperty(view, symbol), true);
  assert.equal(symbol in view, false);
  assert.equal(Object.getOwnPropertyDescriptor(view, symbol), undefined);
  assert.deepEqual(Object.keys(view), ['a']);
  (store as unknown as { sessions: unknown }).sessions = null;
  assert.deepEqual(Object.keys(store.sessions), []);
});

test('holdAsEnded: an own writeHead that is not a plain method (a getter) is replaced while held and put back as it was', () => {
  const res = new http.ServerResponse(new http.IncomingMessage(null as never));
  const own = (): string => 'own writeHead';
  Object.defineProperty(res, 'writeHead', { get: () => own, configurable: true, enumerable: false });
  const before = Object.getOwnPropertyDescriptor(res, 'writeHead');
  const release = holdAsEnded(res);
  assert.equal(res.writeHead, http.ServerResponse.prototype.writeHead, 'Node\'s own while held');
  assert.equal(res.headersSent, true);
  release();
  assert.deepEqual(Object.getOwnPropertyDescriptor(res, 'writeHead'), before);
  assert.equal(res.headersSent, false);
});

test('holdAsEnded: a header the app wrote but Node has not sent yet (corked until the next tick) is left to Node', () => {
  const res = new http.ServerResponse(new http.IncomingMessage(null as never)) as http.ServerResponse & { _header: string | null; _headerSent: boolean };
  res._header = 'HTTP/1.1 200 OK\r\n\r\n';
  const release = holdAsEnded(res);
  assert.equal(res._headerSent, false, 'while held: the next write still sends the header first');
  // The corked write goes out on the next tick, header first, while the response is held.
  res._headerSent = true;
  release();
  assert.equal(res._headerSent, true, 'release must not send the header a second time');
});

test('holdAsEnded: a hold adds no property to the response, and release leaves its own keys as they were', () => {
  const res = new http.ServerResponse(new http.IncomingMessage(null as never));
  res.setHeader('Set-Cookie', ['a=1']);
  // As on-headers leaves it: an own writeHead, assigned.
  const { writeHead } = res;
  res.writeHead = function wrapped(this: http.ServerResponse, ...args: Parameters<typeof writeHead>) {
    return writeHead.apply(this, args);
  } as typeof writeHead;
  const before = Reflect.ownKeys(res);
  const release = holdAsEnded(res);
  assert.deepEqual(Reflect.ownKeys(res), before, 'while held');
  release();
  assert.deepEqual(Reflect.ownKeys(res), before, 'after release');
});

test('holdAsEnded: release puts finished back as it was (a response already finished stays finished)', () => {
  const res = new http.ServerResponse(new http.IncomingMessage(null as never));
  const releaseOpen = holdAsEnded(res);
  assert.equal(res.finished, true, 'finished while held');
  releaseOpen();
  assert.equal(res.finished, false);
  res.finished = true;
  holdAsEnded(res)();
  assert.equal(res.finished, true);
});
