// The built-in MemoryStore is read and written by the middleware without the
// callback round trip (src/memory-store.ts, directStoreOf). None of that may
// be visible: the same store contents, responses and timing as express-session
// with its own MemoryStore, and a store whose methods are wrapped or overridden
// still sees every call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { install } from '@sinonjs/fake-timers';
import express from 'express';
import request from 'supertest';
import session = require('../src/index.js');
import { directStoreOf } from '../src/memory-store.js';
import { oracle } from './helpers/oracle.js';

type Side = 'ours' | 'theirs';
type Callback = (err?: unknown, value?: unknown) => void;
interface AnyStore {
  sessions: Record<string, string>;
  get(sid: string, cb: Callback): void;
  set(sid: string, sess: unknown, cb?: Callback): void;
  touch(sid: string, sess: unknown, cb?: Callback): void;
  destroy(sid: string, cb?: Callback): void;
}

function newStore(side: Side): AnyStore {
  return (side === 'ours' ? new session.MemoryStore() : new oracle.MemoryStore()) as unknown as AnyStore;
}

function middleware(side: Side, options: Record<string, unknown>): express.RequestHandler {
  return side === 'ours'
    ? (session(options as session.SessionOptions) as unknown as express.RequestHandler)
    : (oracle(options) as unknown as express.RequestHandler);
}

/** A small app: /set changes a value, /read only reads, /destroy ends the session. */
function app(side: Side, store: AnyStore, options: Record<string, unknown> = {}): express.Express {
  const result = express();
  result.use(middleware(side, { secret: 'direct', resave: false, saveUninitialized: false, store, cookie: { maxAge: 60_000 }, ...options }));
  result.get('/set', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.send(String(req.session.views));
  });
  result.get('/read', (req, res) => {
    res.send(String(req.session.views ?? 0));
  });
  result.get('/destroy', (req, res, next) => {
    req.session.destroy((err) => (err ? next(err) : res.send('gone')));
  });
  return result;
}

const cookieOf = (res: request.Response): string | undefined => (res.headers['set-cookie'] as unknown as string[] | undefined)?.[0];

/** What a user can observe of one run: responses (ids blanked) and the stored JSON (ids dropped). */
async function run(side: Side, options: Record<string, unknown>, paths: string[], tick: () => void): Promise<unknown[]> {
  const store = newStore(side);
  const server = app(side, store, options);
  const seen: unknown[] = [];
  let cookie: string | undefined;
  for (const path of paths) {
    tick(); // every touch moves the expiry
    const req = request(server).get(path);
    if (cookie) req.set('Cookie', cookie);
    const res = await req;
    const setCookie = cookieOf(res);
    if (setCookie) cookie = setCookie.split(';')[0];
    seen.push({ path, status: res.status, body: res.text, setCookie: setCookie?.replace(/=s%3A[^;]+/, '=<id>') });
    seen.push({ stored: Object.values(store.sessions).map((json) => JSON.parse(json) as unknown) });
  }
  return seen;
}

for (const options of [{}, { rolling: true }, { saveUninitialized: true }, { resave: true }]) {
  test(`default MemoryStore, ${JSON.stringify(options)}: the same responses and stored sessions as express-session's`, async (t) => {
    const start = Date.UTC(2031, 0, 2, 3, 4, 5);
    const clock = install({ now: start, toFake: ['Date'] });
    t.after(() => clock.uninstall());
    const tick = (): void => void clock.tick(1000);
    const paths = ['/read', '/set', '/read', '/set', '/read', '/destroy', '/read'];
    const ours = await run('ours', options, paths, tick);
    clock.setSystemTime(start);
    assert.deepEqual(ours, await run('theirs', options, paths, tick));
  });
}

test('timing as with any store: the app runs, and the response ends, on a later turn', async () => {
  const store = newStore('ours');
  const mw = middleware('ours', { secret: 'direct', resave: false, saveUninitialized: false, store });
  const server = express();
  const observed: { nextWasSync?: boolean; endedAtOnce?: boolean } = {};
  server.use((req, res, next) => {
    let sync = true;
    mw(req, res, (err?: unknown) => {
      if (req.path === '/read') observed.nextWasSync = sync;
      next(err);
    });
    sync = false;
  });
  server.get('/set', (req, res) => {
    req.session.views = 1;
    res.send('set');
  });
  server.get('/read', (req, res) => {
    res.end(String(req.session.views));
    observed.endedAtOnce = res.writableEnded;
  });
  const first = await request(server).get('/set').expect(200, 'set');
  await request(server).get('/read').set('Cookie', cookieOf(first)!.split(';')[0]).expect(200, '1');
  assert.deepEqual(observed, { nextWasSync: false, endedAtOnce: false });
});

/** Wraps get, set and touch on the instance, as a test spy or an instrumenting library would. */
function recordCalls(store: AnyStore): string[] {
  const calls: string[] = [];
  for (const method of ['get', 'set', 'touch'] as const) {
    const original = store[method] as (...args: unknown[]) => void;
    (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      calls.push(method);
      original.apply(store, args);
    };
  }
  return calls;
}

test('a MemoryStore whose methods are wrapped sees every call, as express-session\'s does', async () => {
  const sequences: string[][] = [];
  for (const side of ['ours', 'theirs'] as const) {
    const store = newStore(side);
    const calls = recordCalls(store);
    const server = app(side, store);
    const first = await request(server).get('/set').expect(200, '1');
    const cookie = cookieOf(first)!.split(';')[0];
    await request(server).get('/read').set('Cookie', cookie).expect(200, '1');
    await request(server).get('/set').set('Cookie', cookie).expect(200, '2');
    sequences.push(calls);
  }
  assert.deepEqual(sequences[0], ['set', 'get', 'touch', 'get', 'set']);
  assert.deepEqual(sequences[0], sequences[1]);
});

test('a subclass that overrides get is called for every load', async () => {
  const loads: string[] = [];
  class CountingStore extends session.MemoryStore {
    override get(sid: string, callback: Parameters<session.MemoryStore['get']>[1]): void {
      loads.push(sid);
      super.get(sid, callback);
    }
  }
  const store = new CountingStore() as unknown as AnyStore;
  assert.equal(directStoreOf(store), undefined);
  const server = app('ours', store);
  const first = await request(server).get('/set').expect(200, '1');
  await request(server).get('/set').set('Cookie', cookieOf(first)!.split(';')[0]).expect(200, '2');
  assert.equal(loads.length, 1);
});

test('directStoreOf: only for a MemoryStore with its own state and the built-in methods', () => {
  const store = new session.MemoryStore();
  const direct = directStoreOf(store);
  assert.ok(direct);
  assert.equal(directStoreOf(store), direct, 'made once per store');
  assert.equal(directStoreOf(Object.create(session.MemoryStore.prototype) as object), undefined);
  assert.equal(directStoreOf(Reflect.construct(session.Store, []) as object), undefined);
  assert.equal(directStoreOf({ get() {}, set() {}, destroy() {} }), undefined);
  store.touch = store.touch.bind(store);
  assert.equal(directStoreOf(store), undefined);
});

test('a spy installed while a request runs sees that request\'s commit', async () => {
  const store = newStore('ours');
  const server = express();
  server.use(middleware('ours', { secret: 'direct', resave: false, saveUninitialized: false, store }));
  const calls: string[] = [];
  server.get('/set', (req, res) => {
    req.session.views = 1;
    res.send('set');
  });
  server.get('/spy', (_req, res) => {
    const touch = store.touch;
    store.touch = (...args: Parameters<AnyStore['touch']>) => {
      calls.push('touch (spied)');
      touch.apply(store, args);
    };
    res.send('spied');
  });
  const first = await request(server).get('/set').expect(200, 'set');
  await request(server).get('/spy').set('Cookie', cookieOf(first)!.split(';')[0]).expect(200, 'spied');
  assert.deepEqual(calls, ['touch (spied)']);
});

test('each request keeps its own AsyncLocalStorage context through the load and the held end', async () => {
  const als = new AsyncLocalStorage<string>();
  const store = newStore('ours');
  const server = express();
  server.use((req, _res, next) => als.run(String(req.headers['x-id']), next));
  server.use(middleware('ours', { secret: 'direct', resave: false, saveUninitialized: true, store }));
  const atFinish: string[] = [];
  server.get('/', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    // The held end runs from the shared queue: still in this request's context.
    res.on('finish', () => atFinish.push(`${String(req.headers['x-id'])}:${String(als.getStore())}`));
    res.send(`${String(req.headers['x-id'])}:${String(als.getStore())}`);
  });
  const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
  const first = await Promise.all(ids.map((id) => request(server).get('/').set('x-id', `new-${id}`)));
  assert.deepEqual(first.map((res) => res.text), ids.map((id) => `new-${id}:new-${id}`));
  const again = await Promise.all(ids.map((id, i) => request(server).get('/').set('x-id', `again-${id}`).set('Cookie', cookieOf(first[i])!.split(';')[0])));
  assert.deepEqual(again.map((res) => res.text), ids.map((id) => `again-${id}:again-${id}`));
  assert.deepEqual(atFinish.filter((entry) => entry.split(':')[0] !== entry.split(':')[1]), []);
  assert.equal(atFinish.length, 2 * ids.length);
});

test('fake timers installed after the module loaded do not stall requests, during or after', { timeout: 10_000 }, async () => {
  const store = newStore('ours');
  const server = app('ours', store);
  const first = await request(server).get('/set').expect(200, '1');
  const cookie = cookieOf(first)!.split(';')[0];
  const clock = install({ toFake: ['setImmediate'] });
  try {
    await request(server).get('/set').set('Cookie', cookie).expect(200, '2');
  } finally {
    clock.uninstall();
  }
  await request(server).get('/set').set('Cookie', cookie).expect(200, '3');
  await request(server).get('/read').expect(200, '0');
});

test('a save wrapped on Session.prototype (an APM agent, a test) is called at the end of the response', async (t) => {
  const proto = session.Session.prototype as unknown as { save: (...args: unknown[]) => unknown };
  const original = proto.save;
  let calls = 0;
  proto.save = function save(this: unknown, ...args: unknown[]) {
    calls++;
    return original.apply(this, args);
  };
  t.after(() => {
    proto.save = original;
  });
  const store = newStore('ours');
  const server = app('ours', store);
  await request(server).get('/set').expect(200, '1');
  assert.equal(calls, 1);
  assert.equal(Object.keys(store.sessions).length, 1);
});
