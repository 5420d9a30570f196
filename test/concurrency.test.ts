/**
 * `concurrency: 'merge'` (no lost updates) with MemoryStore:
 * - N parallel requests on one session, each adding, changing or deleting its
 *   own key, lose none of them; with the default `'overwrite'` (and with
 *   express-session) the same schedule loses keys, which proves the test sees loss.
 * - a parallel destroy (logout) is not undone by a merge; a key changed by two
 *   requests ends with the value of the last commit.
 * - the commits of one session run one at a time (a store spy sees no overlap).
 * - what holds across processes (two middlewares sharing a store): a commit
 *   lands on the latest stored version, but two read-merge-writes that
 *   interleave inside one store round trip can still lose a change.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import session = require('../src/index.js');
import { oracle } from './helpers/oracle.js';
import { barrier, delay, until } from './helpers/async.js';
import { data } from './helpers/responses.js';

type Callback = (err?: unknown, value?: unknown) => void;
interface StoreLike {
  get(sid: string, cb: Callback): unknown;
  set(sid: string, sess: unknown, cb?: Callback): unknown;
  destroy(sid: string, cb?: Callback): unknown;
}
type Factory = (options: Record<string, unknown>) => express.RequestHandler;
const ours = session as unknown as Factory;
const theirs = oracle as unknown as Factory;

const N = 25;
const SECRET = 'concurrency secret';

function storeGet(store: StoreLike, sid: string): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve, reject) => {
    store.get(sid, (err, value) => (err ? reject(err) : resolve((value ?? undefined) as Record<string, unknown> | undefined)));
  });
}

/** A promise with its resolve function, for handlers the test releases. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

interface Served {
  server: http.Server;
  /** GET with the session cookie (if given); resolves the supertest response. */
  get(path: string, cookie?: string): Promise<request.Response>;
  close(): Promise<void>;
}

type Routes = (app: express.Express) => void;

/**
 * An app with the middleware, `/login` (saves `init`, `del<i>` and `chg<i>`
 * and answers the session id), `/read` (the session as JSON) and `routes`.
 */
async function serve(middleware: express.RequestHandler, routes: Routes): Promise<Served> {
  const app = express();
  app.use(middleware);
  app.get('/login', (req, res) => {
    const sess = data(req);
    sess.init = true;
    for (let i = 0; i < N; i++) {
      sess[`del${i}`] = i;
      sess[`chg${i}`] = 'old';
    }
    res.end(req.sessionID);
  });
  app.get('/read', (req, res) => {
    res.json(req.session);
  });
  routes(app);
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).end(`error: ${err.message}`);
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    get(path, cookie) {
      const req = request(url).get(path);
      return cookie ? req.set('Cookie', cookie) : req;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function login(served: Served): Promise<{ cookie: string; sid: string }> {
  const res = await served.get('/login');
  assert.equal(res.status, 200);
  const setCookie = res.headers['set-cookie'] as unknown as string[] | undefined;
  assert.ok(setCookie?.[0], 'login sets the session cookie');
  return { cookie: setCookie[0].split(';')[0]!, sid: res.text };
}

/**
 * `/set/:i` sets `k<i>`, deletes `del<i>` and changes `chg<i>`, then waits
 * until all N requests have loaded the session (so every one of them starts
 * from the same version) and a small random delay before it responds.
 */
function parallelRoutes(arrivals: { arrive(): Promise<void> }): Routes {
  return (app) => {
    app.get('/set/:i', (req, res, next) => {
      const i = req.params.i;
      const sess = data(req);
      sess[`k${i}`] = Number(i);
      delete sess[`del${i}`];
      sess[`chg${i}`] = `new${i}`;
      arrivals.arrive()
        .then(() => delay(Math.floor(Math.random() * 6)))
        .then(() => res.end('ok'), next);
    });
  };
}

/** Runs N parallel `/set/:i` on one session; resolves what the store holds afterwards. */
async function runParallel(factory: Factory, options: Record<string, unknown>, Store: new () => StoreLike): Promise<Record<string, unknown>> {
  const store = new Store();
  const arrivals = barrier(N);
  const served = await serve(factory({ secret: SECRET, resave: false, saveUninitialized: false, store, ...options }), parallelRoutes(arrivals));
  try {
    const { cookie, sid } = await login(served);
    const responses = await Promise.all(Array.from({ length: N }, (_, i) => served.get(`/set/${i}`, cookie)));
    for (const res of responses) assert.equal(res.status, 200, res.text);
    assert.equal(arrivals.arrived, N);
    const stored = await storeGet(store, sid);
    assert.ok(stored, 'the session is still stored');
    return stored;
  } finally {
    await served.close();
  }
}

function keysPresent(stored: Record<string, unknown>): number[] {
  return Array.from({ length: N }, (_, i) => i).filter((i) => stored[`k${i}`] === i);
}

describe("concurrency: 'merge' with MemoryStore", () => {
  test(`${N} parallel requests each adding, changing and deleting their own key lose nothing`, async () => {
    const stored = await runParallel(ours, { concurrency: 'merge' }, session.MemoryStore as unknown as new () => StoreLike);
    assert.equal(stored.init, true, 'a key no request touched is kept');
    assert.deepEqual(keysPresent(stored), Array.from({ length: N }, (_, i) => i), 'every added key is present');
    for (let i = 0; i < N; i++) {
      assert.ok(!(`del${i}` in stored), `del${i} was deleted`);
      assert.equal(stored[`chg${i}`], `new${i}`, `chg${i} was changed`);
    }
    assert.equal(typeof stored.cookie, 'object');
  });

  test('requests that change nothing (store.touch) in parallel with writers undo nothing', async () => {
    // Unmodified sessions are touched, not written: MemoryStore's touch (like
    // connect-redis's) updates only the expiry, never the data.
    const store = new session.MemoryStore();
    const arrivals = barrier(N);
    const touches: string[] = [];
    const touch = store.touch.bind(store);
    store.touch = (sid, sess, cb) => {
      touches.push(sid);
      touch(sid, sess, cb);
    };
    const served = await serve(ours({ secret: SECRET, resave: false, saveUninitialized: false, store, concurrency: 'merge' }), (app) => {
      app.get('/maybe/:i', (req, res, next) => {
        const i = Number(req.params.i);
        if (i % 2 === 0) data(req)[`k${i}`] = i;
        arrivals.arrive()
          .then(() => delay(Math.floor(Math.random() * 6)))
          .then(() => res.end('ok'), next);
      });
    });
    try {
      const { cookie, sid } = await login(served);
      await Promise.all(Array.from({ length: N }, (_, i) => served.get(`/maybe/${i}`, cookie)));
      assert.equal(touches.length, Math.floor(N / 2), 'the readers touched');
      const stored = await storeGet(store as unknown as StoreLike, sid);
      assert.deepEqual(keysPresent(stored!), Array.from({ length: N }, (_, i) => i).filter((i) => i % 2 === 0));
    } finally {
      await served.close();
    }
  });

  test("the default 'overwrite' loses updates in the same schedule, as express-session does", async () => {
    // Proves the test above can see a lost update: every request saves its
    // whole copy, loaded before any of them saved, so the last one wins.
    const oursStored = await runParallel(ours, {}, session.MemoryStore as unknown as new () => StoreLike);
    const theirsStored = await runParallel(theirs, {}, oracle.MemoryStore as unknown as new () => StoreLike);
    const oursKept = keysPresent(oursStored).length;
    assert.ok(oursKept < N, `overwrite kept ${oursKept} of ${N} keys`);
    assert.equal(oursKept, keysPresent(theirsStored).length, 'the same loss as express-session');
    assert.equal(oursKept, 1, 'only the last writer\'s key survives');
    const deleted = Array.from({ length: N }, (_, i) => i).filter((i) => !(`del${i}` in oursStored));
    assert.equal(deleted.length, 1, 'only the last writer\'s delete survives');
  });

  test("'overwrite' is also what an explicit concurrency: 'overwrite' does", async () => {
    const stored = await runParallel(ours, { concurrency: 'overwrite' }, session.MemoryStore as unknown as new () => StoreLike);
    assert.ok(keysPresent(stored).length < N);
  });

  test('a parallel destroy (logout) is not undone by a merge', async () => {
    for (const concurrency of ['merge', 'overwrite'] as const) {
      const store = new session.MemoryStore();
      const hold = gate();
      let inHandler = false;
      const served = await serve(ours({ secret: SECRET, resave: false, saveUninitialized: false, store, concurrency }), (app) => {
        app.get('/slow', (req, res, next) => {
          data(req).late = 'change';
          inHandler = true;
          hold.promise.then(() => res.end('ok'), next);
        });
        app.get('/logout', (req, res, next) => {
          req.session.destroy().then(() => res.end('bye'), next);
        });
      });
      try {
        const { cookie, sid } = await login(served);
        const slow = served.get('/slow', cookie);
        const slowDone = slow.then((res) => res);
        await until(() => inHandler);
        assert.equal((await served.get('/logout', cookie)).status, 200);
        assert.equal(await storeGet(store as unknown as StoreLike, sid), undefined, 'logout destroyed it');
        hold.open();
        assert.equal((await slowDone).status, 200);
        const after = await storeGet(store as unknown as StoreLike, sid);
        if (concurrency === 'merge') {
          assert.equal(after, undefined, 'merge did not resurrect the destroyed session');
        } else {
          // express-session's behaviour, kept by 'overwrite': the slow request writes its copy back.
          assert.equal(after?.late, 'change', 'overwrite resurrects it (which is why merge checks)');
        }
      } finally {
        await served.close();
      }
    }
  });

  test('a key changed by two requests ends with the value of the last commit', async () => {
    // Documented: merge is per top-level key, so two changes of the same key
    // are not combined; the request whose commit runs last wins that key.
    for (const order of [['a', 'b'], ['b', 'a']] as const) {
      const store = new session.MemoryStore();
      const loaded = barrier(2);
      const holds = { a: gate(), b: gate() };
      const served = await serve(ours({ secret: SECRET, resave: false, saveUninitialized: false, store, concurrency: 'merge' }), (app) => {
        app.get('/color/:who', (req, res, next) => {
          const who = req.params.who as 'a' | 'b';
          data(req).color = who === 'a' ? 'red' : 'blue';
          data(req)[`only_${who}`] = true;
          void loaded.arrive();
          holds[who].promise.then(() => res.end('ok'), next);
        });
      });
      try {
        const { cookie, sid } = await login(served);
        const first = served.get(`/color/${order[0]}`, cookie).then((r) => r);
        const second = served.get(`/color/${order[1]}`, cookie).then((r) => r);
        await until(() => loaded.arrived === 2);
        holds[order[0]].open();
        assert.equal((await first).status, 200);
        holds[order[1]].open();
        assert.equal((await second).status, 200);
        const stored = await storeGet(store as unknown as StoreLike, sid);
        assert.equal(stored?.color, order[1] === 'a' ? 'red' : 'blue', `last commit (${order[1]}) wins`);
        assert.equal(stored?.only_a, true);
        assert.equal(stored?.only_b, true);
      } finally {
        await served.close();
      }
    }
  });

  test('a save() inside the request moves the baseline: the end-of-response commit does not rewrite keys saved before', async () => {
    const store = new session.MemoryStore();
    const saved = gate();
    const resume = gate();
    let savedOnce = false;
    const served = await serve(ours({ secret: SECRET, resave: false, saveUninitialized: false, store, concurrency: 'merge' }), (app) => {
      app.get('/a', (req, res, next) => {
        data(req).x = 'a';
        req.session.save()
          .then(() => {
            savedOnce = true;
            saved.open();
            return resume.promise;
          })
          .then(() => {
            data(req).y = 'a';
            res.end('ok');
          })
          .catch(next);
      });
      app.get('/b', (req, res) => {
        data(req).x = 'b';
        res.end('ok');
      });
    });
    try {
      const { cookie, sid } = await login(served);
      const a = served.get('/a', cookie).then((r) => r);
      await saved.promise;
      assert.ok(savedOnce);
      assert.equal((await served.get('/b', cookie)).status, 200);
      resume.open();
      assert.equal((await a).status, 200);
      const stored = await storeGet(store as unknown as StoreLike, sid);
      assert.equal(stored?.x, 'b', "a's end commit did not write back x, which it had saved before b changed it");
      assert.equal(stored?.y, 'a');
    } finally {
      await served.close();
    }
  });

  test('new sessions and sessions made by regenerate() are written whole', async () => {
    const store = new session.MemoryStore();
    const served = await serve(ours({ secret: SECRET, resave: false, saveUninitialized: false, store, concurrency: 'merge' }), (app) => {
      app.get('/regenerate', (req, res, next) => {
        req.session.regenerate().then(() => {
          data(req).fresh = 1;
          data(req).other = [1, 2];
          res.end(req.sessionID);
        }, next);
      });
    });
    try {
      const first = await served.get('/login');
      const sid = first.text;
      const stored = await storeGet(store as unknown as StoreLike, sid);
      assert.equal(stored?.init, true);
      assert.equal(stored?.chg0, 'old');
      const cookie = (first.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
      const regenerated = await served.get('/regenerate', cookie);
      assert.equal(regenerated.status, 200);
      assert.notEqual(regenerated.text, sid);
      assert.equal(await storeGet(store as unknown as StoreLike, sid), undefined, 'the old id is destroyed');
      const fresh = await storeGet(store as unknown as StoreLike, regenerated.text);
      assert.deepEqual({ fresh: fresh?.fresh, other: fresh?.other, init: fresh?.init }, { fresh: 1, other: [1, 2], init: undefined });
    } finally {
      await served.close();
    }
  });

  test('the commits of one session never overlap: a store spy sees get, set, get, set …', async () => {
    // A MemoryStore whose calls answer after a random delay, so that commits
    // running side by side would overlap if they were not queued.
    const inner = new session.MemoryStore();
    const events: string[] = [];
    let recording = false;
    let inFlight = 0;
    let maxInFlight = 0;
    const spied = (method: 'get' | 'set') => (...args: unknown[]): void => {
      const callback = args[args.length - 1] as Callback;
      const rest = args.slice(0, -1);
      const tracked = recording;
      if (tracked) {
        events.push(`${method}:start`);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
      }
      setTimeout(() => {
        (inner[method] as (...a: unknown[]) => void).call(inner, ...rest, (err: unknown, value: unknown) => {
          if (tracked) {
            inFlight -= 1;
            events.push(`${method}:end`);
          }
          callback(err, value);
        });
      }, Math.floor(Math.random() * 4));
    };
    const store = {
      get: spied('get'),
      set: spied('set'),
      destroy: (sid: string, cb: Callback) => inner.destroy(sid, cb),
    };
    const arrivals = barrier(N);
    const served = await serve(ours({ secret: SECRET, resave: false, saveUninitialized: false, store, concurrency: 'merge' }), (app) => {
      app.get('/set/:i', (req, res, next) => {
        data(req)[`k${req.params.i}`] = Number(req.params.i);
        arrivals.arrive().then(() => {
          // From here on only commits touch the store (every request has loaded).
          recording = true;
          res.end('ok');
        }, next);
      });
    });
    try {
      const { cookie, sid } = await login(served);
      const responses = await Promise.all(Array.from({ length: N }, (_, i) => served.get(`/set/${i}`, cookie)));
      for (const res of responses) assert.equal(res.status, 200);
      assert.equal(maxInFlight, 1, 'at most one store call of this session at a time');
      assert.deepEqual(events, Array.from({ length: N }, () => ['get:start', 'get:end', 'set:start', 'set:end']).flat());
      const stored = await storeGet(inner as unknown as StoreLike, sid);
      assert.deepEqual(keysPresent(stored!), Array.from({ length: N }, (_, i) => i));
    } finally {
      await served.close();
    }
  });

  test("concurrency: 'bogus' throws a TypeError", () => {
    assert.throws(
      () => session({ secret: SECRET, concurrency: 'bogus' as unknown as 'merge' }),
      (err: unknown) => err instanceof TypeError && /concurrency/.test(err.message) && /bogus/.test(err.message),
    );
  });
});

describe('across processes (two middlewares sharing one store)', () => {
  /**
   * Two middlewares on one store stand for two processes: each has its own
   * commit queue. A store wrapper can park commit-time gets until both have
   * been issued, which forces the interleaving a real deployment hits only
   * when two commits fall within one store round trip.
   */
  async function twoProcesses(options: { interleave: boolean; concurrency: 'merge' | 'overwrite' }) {
    const inner = new session.MemoryStore();
    let parkGets = false;
    const parked: Array<() => void> = [];
    const store = {
      get(sid: string, cb: Callback) {
        if (!parkGets) return inner.get(sid, cb);
        parked.push(() => inner.get(sid, cb));
        if (parked.length === 2) for (const run of parked.splice(0)) run();
        return undefined;
      },
      set: (sid: string, sess: unknown, cb: Callback) => inner.set(sid, sess as session.StoredSession, cb),
      destroy: (sid: string, cb: Callback) => inner.destroy(sid, cb),
    };
    const loaded = barrier(2);
    const holds = { a: gate(), b: gate() };
    const routes: Routes = (app) => {
      app.get('/set/:who', (req, res, next) => {
        const who = req.params.who as 'a' | 'b';
        data(req)[`from_${who}`] = true;
        void loaded.arrive();
        holds[who].promise.then(() => res.end('ok'), next);
      });
    };
    const settings = { secret: SECRET, resave: false, saveUninitialized: false, store, concurrency: options.concurrency };
    const processA = await serve(ours(settings), routes);
    const processB = await serve(ours(settings), routes);
    try {
      const { cookie, sid } = await login(processA);
      const a = processA.get('/set/a', cookie).then((r) => r);
      const b = processB.get('/set/b', cookie).then((r) => r);
      await until(() => loaded.arrived === 2);
      if (options.interleave) {
        parkGets = true;
        holds.a.open();
        holds.b.open();
        assert.equal((await a).status, 200);
        assert.equal((await b).status, 200);
      } else {
        holds.a.open();
        assert.equal((await a).status, 200);
        holds.b.open();
        assert.equal((await b).status, 200);
      }
      parkGets = false;
      const stored = await storeGet(inner as unknown as StoreLike, sid);
      return { a: stored?.from_a === true, b: stored?.from_b === true };
    } finally {
      await processA.close();
      await processB.close();
    }
  }

  test('commits that do not interleave both land: merge reads the latest version, even from another process', async () => {
    assert.deepEqual(await twoProcesses({ interleave: false, concurrency: 'merge' }), { a: true, b: true });
    // The same schedule with 'overwrite' loses a's key: b saves the copy it loaded before a committed.
    assert.deepEqual(await twoProcesses({ interleave: false, concurrency: 'overwrite' }), { a: false, b: true });
  });

  test('read-merge-writes of two processes that interleave within one store round trip can lose a change', async () => {
    // Documented limit: without an atomic store operation, both processes read
    // the same version and the second write drops the first one's key.
    const result = await twoProcesses({ interleave: true, concurrency: 'merge' });
    assert.equal(Number(result.a) + Number(result.b), 1, `exactly one key survives: ${JSON.stringify(result)}`);
  });
});
