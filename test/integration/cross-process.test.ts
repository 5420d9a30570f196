/**
 * No lost updates across processes: four Node processes (a cluster) behind one
 * port, `concurrency: 'merge'`, each firing at one session in parallel, every
 * request setting its own key. With the atomic-merge adapters the session holds
 * all N keys afterwards, against a real Redis (node-redis with connect-redis 9,
 * ioredis with connect-redis 8) and a real PostgreSQL (connect-pg-simple); with
 * the plain store the same schedule loses keys, so the test can fail. A logout
 * racing writes from the other processes is never undone.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import path from 'node:path';
import { freePort, isSkip, startPostgres, startRedis, type PostgresServer, type RedisServer, type Skip } from './servers.js';

const WORKERS = 4;
const N = 40;
const pg = require('pg') as { Client: new (o: object) => { connect(): Promise<void>; query(sql: string): Promise<unknown>; end(): Promise<void> } };

let redis: RedisServer | Skip;
let postgres: PostgresServer | Skip;
let served: Cluster | undefined;

before(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  if (!isSkip(postgres)) {
    const client = new pg.Client({ connectionString: postgres.connectionString });
    await client.connect();
    for (const table of ['atomic_pg', 'plain_pg']) {
      await client.query(`CREATE TABLE ${table} (sid varchar PRIMARY KEY, sess json NOT NULL, expire timestamp(6) NOT NULL)`);
    }
    await client.end();
  }
  if (isSkip(redis) && isSkip(postgres)) return;
  served = await startCluster({
    ...(isSkip(redis) ? {} : { REDIS_URL: redis.url }),
    ...(isSkip(postgres) ? {} : { PG_URL: postgres.connectionString }),
  });
});

after(async () => {
  await served?.stop();
  if (!isSkip(redis)) await redis.stop();
  if (!isSkip(postgres)) await postgres.stop();
});

interface Reply {
  status: number;
  body: string;
  cookie?: string;
}

interface Cluster {
  get(path: string, cookie?: string): Promise<Reply>;
  stop(): Promise<void>;
}

/** Four workers of cross-process-worker.ts sharing one port. */
async function startCluster(env: Record<string, string>): Promise<Cluster> {
  const port = await freePort();
  cluster.setupPrimary({ exec: path.join(__dirname, 'cross-process-worker.ts'), execArgv: ['--import', 'tsx'], silent: false });
  const workers: Worker[] = [];
  await Promise.all(Array.from({ length: WORKERS }, () => new Promise<void>((resolve, reject) => {
    const worker = cluster.fork({ ...env, PORT: String(port) });
    workers.push(worker);
    worker.once('listening', () => resolve());
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  })));
  const get: Cluster['get'] = (urlPath, cookie) => new Promise((resolve, reject) => {
    // A new connection each time: the primary hands connections to the workers in turn.
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, headers: cookie ? { cookie } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body, cookie: res.headers['set-cookie']?.[0]?.split(';')[0] }));
    });
    req.on('error', reject);
  });
  return {
    get,
    async stop() {
      await Promise.all(workers.map((worker) => new Promise<void>((resolve) => {
        worker.removeAllListeners('exit');
        if (worker.isDead()) resolve();
        else {
          worker.once('exit', () => resolve());
          worker.kill();
        }
      })));
    },
  };
}

type Kind = 'redis' | 'ioredis' | 'pg';

/** The cluster, or undefined after marking the test skipped. */
function cluster4(kind: Kind, t: TestContext): Cluster | undefined {
  const s = kind === 'pg' ? postgres : redis;
  if (isSkip(s)) {
    t.skip(s.skip);
    return undefined;
  }
  return served;
}

/** N parallel requests from all workers on one session; the keys the session holds afterwards, and which workers served. */
async function fire(served: Cluster, base: string): Promise<{ kept: number; pids: Set<string> }> {
  const login = await served.get(`${base}/login`);
  assert.equal(login.status, 200, login.body);
  assert.ok(login.cookie);
  const responses = await Promise.all(Array.from({ length: N }, (_, i) => served.get(`${base}/set/${i}`, login.cookie)));
  for (const res of responses) assert.equal(res.status, 200, res.body);
  const stored = JSON.parse((await served.get(`${base}/read`, login.cookie)).body) as Record<string, unknown>;
  assert.equal(stored.init, true, 'the session is still there');
  const kept = Array.from({ length: N }, (_, i) => i).filter((i) => stored[`k${i}`] === i).length;
  return { kept, pids: new Set(responses.map((res) => res.body)) };
}

for (const kind of ['redis', 'ioredis', 'pg'] as const) {
  describe(`four processes, one session, ${kind}`, () => {
    test(`with the atomic merge, ${N} parallel requests each setting its own key lose none`, async (t) => {
      const app = cluster4(kind, t);
      if (!app) return;
      const { kept, pids } = await fire(app, `/${kind}/atomic`);
      assert.equal(pids.size, WORKERS, 'every worker served requests');
      assert.equal(kept, N);
    });

    test('with the plain store the same schedule loses keys (the test can see loss)', async (t) => {
      const app = cluster4(kind, t);
      if (!app) return;
      const { kept } = await fire(app, `/${kind}/plain`);
      assert.ok(kept < N, `the plain store kept ${kept} of ${N}`);
    });

    test('a logout racing writes from the other processes is never undone', async (t) => {
      const app = cluster4(kind, t);
      if (!app) return;
      const base = `/${kind}/atomic`;
      for (let round = 0; round < 3; round++) {
        const login: Reply = await app.get(`${base}/login`);
        const writes: Promise<Reply>[] = Array.from({ length: N }, (_, i) => app.get(`${base}/set/${i}?wait=${i % 20}`, login.cookie));
        await new Promise((resolve) => setTimeout(resolve, 8));
        const logout: Reply = await app.get(`${base}/logout`, login.cookie);
        assert.equal(logout.status, 200, logout.body);
        for (const res of await Promise.all(writes)) assert.equal(res.status, 200, res.body);
        const left = JSON.parse((await app.get(`${base}/read`, login.cookie)).body) as Record<string, unknown>;
        assert.deepEqual(Object.keys(left), ['cookie'], `round ${round}: the old cookie loads a new, empty session`);
      }
    });
  });
}
