/**
 * `concurrency: 'merge'` against a real Redis through connect-redis (as
 * published, built on express-session's Store): N parallel requests on one
 * session, each setting its own key, lose none; the default 'overwrite' loses
 * some in the same schedule; a parallel destroy is not undone. Skips when
 * redis-server is not installed (fails under CI=true, see servers.ts).
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { createClient } from 'redis';
import session = require('../../src/index.js');
import { isSkip, startRedis, type RedisServer, type Skip } from './servers.js';
import { barrier, delay, until } from '../helpers/async.js';
import { data } from '../helpers/responses.js';

type RedisStoreModule = { RedisStore: new (options: { client: unknown; prefix?: string }) => session.SessionStore };
type RedisClient = ReturnType<typeof createClient>;

const N = 25;
const SECRET = 'redis concurrency secret';

let server: RedisServer | Skip | undefined;
let client: RedisClient | undefined;

before(async () => {
  server = await startRedis();
  if (isSkip(server)) return;
  client = createClient({ url: server.url });
  client.on('error', () => undefined); // reported by the failing command instead
  await client.connect();
});

after(async () => {
  await client?.close();
  if (server && !isSkip(server)) await server.stop();
});

/** The Redis client, or undefined after marking the test skipped. */
function redisOrSkip(t: TestContext): RedisClient | undefined {
  if (!server || isSkip(server)) {
    t.skip(server ? server.skip : 'redis did not start');
    return undefined;
  }
  return client;
}

interface Served {
  get(path: string, cookie?: string): Promise<request.Response>;
  close(): Promise<void>;
}

async function serve(middleware: express.RequestHandler, routes: (app: express.Express) => void): Promise<Served> {
  const app = express();
  app.use(middleware);
  app.get('/login', (req, res) => {
    data(req).init = true;
    for (let i = 0; i < N; i++) data(req)[`del${i}`] = i;
    res.end(req.sessionID);
  });
  routes(app);
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).end(`error: ${err.message}`);
  });
  const httpServer = http.createServer(app);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  return {
    get(path, cookie) {
      const req = request(url).get(path);
      return cookie ? req.set('Cookie', cookie) : req;
    },
    async close() {
      httpServer.closeAllConnections();
      await new Promise((resolve) => httpServer.close(resolve));
    },
  };
}

async function login(served: Served): Promise<{ cookie: string; sid: string }> {
  const res = await served.get('/login');
  assert.equal(res.status, 200, res.text);
  const setCookie = res.headers['set-cookie'] as unknown as string[] | undefined;
  assert.ok(setCookie?.[0]);
  return { cookie: setCookie[0].split(';')[0]!, sid: res.text };
}

let prefixes = 0;
function redisStore(redis: RedisClient): { store: session.SessionStore; read(sid: string): Promise<Record<string, unknown> | undefined> } {
  const { RedisStore } = require('connect-redis') as RedisStoreModule;
  const prefix = `conc${++prefixes}:`;
  return {
    store: new RedisStore({ client: redis, prefix }),
    async read(sid) {
      const raw = await redis.get(prefix + sid);
      return raw == null ? undefined : (JSON.parse(raw) as Record<string, unknown>);
    },
  };
}

/** N parallel requests, each setting `k<i>` and deleting `del<i>` once all have loaded; what Redis holds afterwards. */
async function runParallel(redis: RedisClient, concurrency: 'merge' | 'overwrite' | undefined): Promise<Record<string, unknown>> {
  const { store, read } = redisStore(redis);
  const arrivals = barrier(N);
  const options = { secret: SECRET, resave: false, saveUninitialized: false, store, ...(concurrency ? { concurrency } : {}) };
  const served = await serve(session(options) as unknown as express.RequestHandler, (app) => {
    app.get('/set/:i', (req, res, next) => {
      data(req)[`k${req.params.i}`] = Number(req.params.i);
      delete data(req)[`del${req.params.i}`];
      arrivals.arrive()
        .then(() => delay(Math.floor(Math.random() * 6)))
        .then(() => res.end('ok'), next);
    });
  });
  try {
    const { cookie, sid } = await login(served);
    const responses = await Promise.all(Array.from({ length: N }, (_, i) => served.get(`/set/${i}`, cookie)));
    for (const res of responses) assert.equal(res.status, 200, res.text);
    const stored = await read(sid);
    assert.ok(stored, 'the session is in Redis');
    return stored;
  } finally {
    await served.close();
  }
}

function keysPresent(stored: Record<string, unknown>): number[] {
  return Array.from({ length: N }, (_, i) => i).filter((i) => stored[`k${i}`] === i);
}

describe("concurrency: 'merge' with connect-redis on a real Redis", () => {
  test(`${N} parallel requests on one session, each setting and deleting its own key, lose none`, async (t) => {
    const redis = redisOrSkip(t);
    if (!redis) return;
    const stored = await runParallel(redis, 'merge');
    assert.deepEqual(keysPresent(stored), Array.from({ length: N }, (_, i) => i));
    assert.deepEqual(Object.keys(stored).filter((key) => key.startsWith('del')), [], 'every delete landed');
    assert.equal(stored.init, true);
  });

  test("the default 'overwrite' loses some in the same schedule (the test can see loss)", async (t) => {
    const redis = redisOrSkip(t);
    if (!redis) return;
    const stored = await runParallel(redis, undefined);
    const kept = keysPresent(stored).length;
    assert.ok(kept < N, `overwrite kept ${kept} of ${N}`);
  });

  test('a parallel destroy is not undone by a merge', async (t) => {
    const redis = redisOrSkip(t);
    if (!redis) return;
    const { store, read } = redisStore(redis);
    let inHandler = false;
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const options = { secret: SECRET, resave: false, saveUninitialized: false, store, concurrency: 'merge' as const };
    const served = await serve(session(options) as unknown as express.RequestHandler, (app) => {
      app.get('/slow', (req, res, next) => {
        data(req).late = 'change';
        inHandler = true;
        held.then(() => res.end('ok'), next);
      });
      app.get('/logout', (req, res, next) => {
        req.session.destroy().then(() => res.end('bye'), next);
      });
    });
    try {
      const { cookie, sid } = await login(served);
      const slow = served.get('/slow', cookie).then((r) => r);
      await until(() => inHandler);
      assert.equal((await served.get('/logout', cookie)).status, 200);
      assert.equal(await read(sid), undefined);
      release();
      assert.equal((await slow).status, 200);
      assert.equal(await read(sid), undefined, 'still destroyed after the slow request committed');
    } finally {
      await served.close();
    }
  });
});
