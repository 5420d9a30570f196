// Issue 7: a MemoryStore that does not leak. Expired sessions are swept (as
// sessions are written and by an unref'd timer) so that the store ends up
// holding only live ones; the timer never keeps the process alive; `max`
// evicts the least recently used session first.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path = require('node:path');
import { install } from '@sinonjs/fake-timers';
import express from 'express';
import request from 'supertest';
import session = require('../src/index.js');

type Store = InstanceType<typeof session.MemoryStore>;

function storedSession(maxAge: number): { cookie: InstanceType<typeof session.Cookie>; n: number } {
  return { cookie: new session.Cookie({ maxAge }), n: 1 };
}

/** The number of entries the store holds internally, expired or not. */
function held(store: Store): number {
  return Object.keys(store.sessions).length;
}

function length(store: Store): Promise<number> {
  return new Promise((resolve, reject) => store.length((err, n) => (err ? reject(err) : resolve(n!))));
}

function get(store: Store, sid: string): Promise<unknown> {
  return new Promise((resolve, reject) => store.get(sid, (err, sess) => (err ? reject(err) : resolve(sess))));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MemoryStore does not leak', () => {
  test('100,000 sessions that expired are swept while traffic goes on; live ones stay', async () => {
    // Fake Date and interval timers: the sweep timer runs on exact ticks, and
    // 3 s of traffic take no real time. setImmediate stays real for callbacks.
    const clock = install({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    try {
      const store = new session.MemoryStore();
      const EXPIRED = 100_000;
      for (let i = 0; i < EXPIRED; i++) {
        store.set(`short-${i}`, storedSession(50) as never);
      }
      assert.equal(held(store), EXPIRED);
      clock.tick(100);

      // 3 s of traffic, a longer-lived session every 5 ms. Nobody reads the
      // short ones again, so only the sweeps (per write, per timer tick) can
      // remove them: 3 ticks of the default 1000 ms timer go round the map.
      const live: string[] = [];
      for (let t = 0; t < 3000; t += 5) {
        const sid = `long-${live.length}`;
        store.set(sid, storedSession(60_000) as never);
        live.push(sid);
        clock.tick(5);
      }

      assert.equal(held(store), live.length, 'expired sessions are still held');
      assert.equal(store.sessions['short-0'], undefined);
      assert.deepEqual(Object.keys(store.sessions).sort(), [...live].sort());
      assert.equal(await length(store), live.length);
      for (const sid of [live[0], live[live.length - 1]]) {
        const sess = (await get(store, sid)) as { n?: number } | undefined;
        assert.equal(sess?.n, 1, `live session ${sid} is gone`);
      }
    } finally {
      clock.uninstall();
    }
  });

  test('the real timer sweeps an idle store (no writes after the sessions expired)', async () => {
    const store = new session.MemoryStore({ sweepInterval: 20 });
    for (let i = 0; i < 1000; i++) store.set(`short-${i}`, storedSession(10) as never);
    store.set('long', storedSession(60_000) as never);
    // Wait (real time) for the expiry and a few timer ticks.
    for (let i = 0; i < 50 && held(store) > 1; i++) await sleep(20);
    assert.deepEqual(Object.keys(store.sessions), ['long']);
  });

  test('writes alone sweep expired sessions too (a few per write)', async () => {
    // A timer far in the future: only the per-write sweep can run.
    const store = new session.MemoryStore({ sweepInterval: 2 ** 31 - 1 });
    for (let i = 0; i < 1000; i++) store.set(`short-${i}`, storedSession(20) as never);
    await sleep(40);
    for (let i = 0; i < 1000; i++) store.set(`long-${i}`, storedSession(60_000) as never);
    assert.equal(held(store), 1000);
  });

  test('the sweep timer does not keep the process alive', async () => {
    const entry = path.resolve(__dirname, '../src/index.ts');
    const code = `
      const session = require(${JSON.stringify(entry)});
      const store = new session.MemoryStore({ sweepInterval: 10 });
      for (let i = 0; i < 1000; i++) store.set('s' + i, { cookie: new session.Cookie({ maxAge: 60000 }) });
      store.set('forever', { cookie: new session.Cookie() });
      console.log('stored ' + Object.keys(store.sessions).length);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    // A hang detector, not a speed check: a ref'd timer would keep the child alive forever.
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const [code_, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    assert.equal(signal, null, `the child had to be killed; stderr: ${stderr}`);
    assert.equal(code_, 0, stderr);
    assert.equal(stdout.trim(), 'stored 1001');
  });
});

describe('MemoryStore max: least recently used first out', () => {
  function filled(max: number): Store {
    const store = new session.MemoryStore({ max });
    for (const sid of ['a', 'b', 'c']) store.set(sid, storedSession(60_000) as never);
    return store;
  }

  test('without use, the oldest write goes first', () => {
    const store = filled(3);
    store.set('d', storedSession(60_000) as never);
    assert.deepEqual(Object.keys(store.sessions).sort(), ['b', 'c', 'd']);
    store.set('e', storedSession(60_000) as never);
    assert.deepEqual(Object.keys(store.sessions).sort(), ['c', 'd', 'e']);
  });

  test('get refreshes recency', async () => {
    const store = filled(3);
    assert.ok(await get(store, 'a'));
    store.set('d', storedSession(60_000) as never);
    assert.deepEqual(Object.keys(store.sessions).sort(), ['a', 'c', 'd']);
  });

  test('touch refreshes recency', () => {
    const store = filled(3);
    store.touch('a', storedSession(60_000) as never);
    store.set('d', storedSession(60_000) as never);
    assert.deepEqual(Object.keys(store.sessions).sort(), ['a', 'c', 'd']);
  });

  test('set of an existing session refreshes recency', () => {
    const store = filled(3);
    store.set('a', storedSession(60_000) as never);
    store.set('d', storedSession(60_000) as never);
    assert.deepEqual(Object.keys(store.sessions).sort(), ['a', 'c', 'd']);
  });

  test('a get of a missing session refreshes nothing', async () => {
    const store = filled(3);
    assert.equal(await get(store, 'zzz'), undefined);
    store.set('d', storedSession(60_000) as never);
    assert.deepEqual(Object.keys(store.sessions).sort(), ['b', 'c', 'd']);
  });

  test('max: 1 keeps only the latest', () => {
    const store = filled(1);
    assert.deepEqual(Object.keys(store.sessions), ['c']);
  });

  test('the middleware honours max: the least recently active client loses its session', async () => {
    const store = new session.MemoryStore({ max: 2 });
    const mw = session({ secret: 'max secret', resave: false, saveUninitialized: true, store });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const req = { headers: {}, url: '/', method: 'GET' } as unknown as Parameters<typeof mw>[0];
      await new Promise<void>((resolve) => mw(req, { end() {} } as unknown as Parameters<typeof mw>[1], () => resolve()));
      ids.push((req as unknown as { sessionID: string }).sessionID);
      await new Promise<void>((resolve) => (req as unknown as { session: session.Session }).session.save(() => resolve()));
    }
    assert.deepEqual(Object.keys(store.sessions).sort(), [ids[1], ids[2]].sort());
  });
});

describe('MemoryStore max under a flood: sessions without data go first', () => {
  const bare = () => ({ cookie: new session.Cookie({ maxAge: 60_000 }) });

  test('a flood of sessions holding only their cookie never pushes out one with data', async () => {
    const store = new session.MemoryStore({ max: 3 });
    store.set('alice', { ...bare(), user: 'alice' } as never);
    for (let i = 0; i < 1000; i++) store.set('anon' + i, bare() as never);
    assert.equal(await length(store), 3);
    assert.equal((await get(store, 'alice') as { user?: string } | undefined)?.user, 'alice');
    // The others are the latest anonymous ones.
    assert.deepEqual(Object.keys(store.sessions).sort(), ['alice', 'anon998', 'anon999']);
  });

  test('among sessions without data, the least recently used goes first', async () => {
    const store = new session.MemoryStore({ max: 3 });
    store.set('a', bare() as never);
    store.set('b', bare() as never);
    store.set('data', { ...bare(), n: 1 } as never);
    assert.ok(await get(store, 'a'));
    store.set('c', bare() as never);
    assert.deepEqual(Object.keys(store.sessions).sort(), ['a', 'c', 'data']);
    store.touch('a', bare() as never);
    store.set('d', bare() as never);
    assert.deepEqual(Object.keys(store.sessions).sort(), ['a', 'd', 'data']);
  });

  test('when every session holds data, a new session without data is the one dropped', () => {
    const store = filledWithData(2);
    store.set('anon', bare() as never);
    assert.deepEqual(Object.keys(store.sessions).sort(), ['a', 'b']);
    // A new session with data still pushes out the least recently used one.
    store.set('c', { ...bare(), n: 1 } as never);
    assert.deepEqual(Object.keys(store.sessions).sort(), ['b', 'c']);
  });

  test('a session that gains data is kept; one that loses it may go', () => {
    const store = new session.MemoryStore({ max: 2 });
    store.set('a', bare() as never);
    store.set('b', bare() as never);
    store.set('a', { ...bare(), cart: ['apple'] } as never);
    store.set('b', { ...bare(), cart: ['pear'] } as never);
    store.set('a', bare() as never); // emptied (e.g. a cart checked out)
    store.set('c', { ...bare(), n: 1 } as never);
    assert.deepEqual(Object.keys(store.sessions).sort(), ['b', 'c']);
  });

  test('sessions written through store.sessions count the same way', () => {
    const store = new session.MemoryStore({ max: 2 });
    store.sessions.kept = JSON.stringify({ ...bare(), user: 'x' });
    store.sessions.first = JSON.stringify(bare());
    store.sessions.second = JSON.stringify(bare());
    assert.deepEqual(Object.keys(store.sessions).sort(), ['kept', 'second']);
  });

  test('through the middleware: 1,000 requests without a cookie leave a signed-in user signed in', async () => {
    const store = new session.MemoryStore({ max: 50 });
    const app = express();
    app.use(session({ secret: 'flood secret', resave: false, saveUninitialized: true, store }));
    app.get('/login', (req, res) => {
      (req.session as unknown as { user: string }).user = 'alice';
      res.send('ok');
    });
    app.get('/', (req, res) => res.send(String((req.session as unknown as { user?: string }).user ?? 'anonymous')));
    const login = await request(app).get('/login');
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    for (let i = 0; i < 1000; i++) {
      const res = await request(app).get('/');
      assert.equal(res.text, 'anonymous');
    }
    assert.equal(await length(store), 50);
    assert.equal((await request(app).get('/').set('Cookie', cookie)).text, 'alice');
  });
});

function filledWithData(max: number): Store {
  const store = new session.MemoryStore({ max });
  for (const sid of ['a', 'b']) store.set(sid, storedSession(60_000) as never);
  return store;
}

describe('MemoryStore options are validated', () => {
  for (const max of [0, -1, NaN, '5', {}]) {
    test(`max: ${String(max)} throws a TypeError`, () => {
      assert.throws(() => new session.MemoryStore({ max: max as number }), (err: unknown) =>
        err instanceof TypeError && /^max option is invalid: /.test(err.message));
    });
  }
  for (const sweepInterval of [0, -1, NaN, Infinity, '1000', {}]) {
    test(`sweepInterval: ${String(sweepInterval)} throws a TypeError`, () => {
      assert.throws(() => new session.MemoryStore({ sweepInterval: sweepInterval as number }), (err: unknown) =>
        err instanceof TypeError && /^sweepInterval option is invalid: /.test(err.message));
    });
  }
  for (const options of [{}, { max: 1 }, { max: Infinity }, { sweepInterval: 1 }, { max: undefined, sweepInterval: undefined }]) {
    test(`${JSON.stringify(options)} is accepted`, () => {
      assert.ok(new session.MemoryStore(options) instanceof session.Store);
    });
  }
});
