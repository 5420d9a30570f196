/**
 * One worker of the cross-process test (cross-process.test.ts): an Express app
 * with `concurrency: 'merge'` on a real store, listening on the port the
 * cluster primary shares. STORE picks the store (redis, ioredis, pg), ATOMIC=1
 * adds the atomic-merge adapter.
 */
import express from 'express';
import { createClient } from 'redis';
import IORedis from 'ioredis';
import session = require('../../src/index.js');
import { withAtomicMerge as withRedisMerge } from '../../src/stores/redis.js';
import { withAtomicMerge as withPgMerge } from '../../src/stores/pg.js';

type AnyStore = session.SessionStore & Record<string, unknown>;
type Kind = 'redis' | 'ioredis' | 'pg';

/** REDIS_URL and PG_URL name the servers; PORT the port the cluster shares. */
const { REDIS_URL, PG_URL, PORT } = process.env as Record<string, string | undefined>;

/** The store of one kind, with (atomic) or without the atomic-merge adapter; pg tables atomic_pg, plain_pg. */
async function makeStore(kind: Kind, atomic: boolean): Promise<AnyStore> {
  const mode = atomic ? 'atomic' : 'plain';
  if (kind === 'redis') {
    const { RedisStore } = require('connect-redis') as { RedisStore: new (o: object) => AnyStore };
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    const store = new RedisStore({ client, prefix: `${kind}-${mode}:` });
    return atomic ? (withRedisMerge(store as never) as unknown as AnyStore) : store;
  }
  if (kind === 'ioredis') {
    const { RedisStore } = require('connect-redis8') as { RedisStore: new (o: object) => AnyStore };
    const client = new IORedis(REDIS_URL!);
    const store = new RedisStore({ client, prefix: `${kind}-${mode}:` });
    return atomic ? (withRedisMerge(store as never, { client }) as unknown as AnyStore) : store;
  }
  const connectPgSimple = require('connect-pg-simple') as (s: typeof session) => new (o: object) => AnyStore;
  const Store = connectPgSimple(session);
  const store = new Store({ conString: PG_URL, tableName: `${mode}_pg`, pruneSessionInterval: false });
  return atomic ? (withPgMerge(store as never) as unknown as AnyStore) : store;
}

function data(req: express.Request): Record<string, unknown> {
  return req.session as unknown as Record<string, unknown>;
}

/** The routes of one store, mounted at /<kind>/<atomic|plain>. */
function routes(store: AnyStore): express.Router {
  const router = express.Router();
  router.use(session({ secret: 'cross-process secret', resave: false, saveUninitialized: false, store, concurrency: 'merge' }));
  router.get('/login', (req, res) => {
    data(req).init = true;
    res.end(req.sessionID);
  });
  // Every request loads, waits so that all have loaded, then sets its own key:
  // the commits of different processes meet within one store round trip.
  router.get('/set/:i', (req, res) => {
    setTimeout(() => {
      data(req)[`k${req.params.i}`] = Number(req.params.i);
      res.end(String(process.pid));
    }, Number(req.query.wait ?? 40));
  });
  router.get('/logout', (req, res, next) => {
    req.session.destroy().then(() => res.end('bye'), next);
  });
  router.get('/read', (req, res) => {
    res.json(data(req));
  });
  return router;
}

async function main(): Promise<void> {
  const app = express();
  const kinds: Kind[] = [...(REDIS_URL ? ['redis', 'ioredis'] as const : []), ...(PG_URL ? ['pg'] as const : [])];
  for (const kind of kinds) {
    for (const atomic of [true, false]) app.use(`/${kind}/${atomic ? 'atomic' : 'plain'}`, routes(await makeStore(kind, atomic)));
  }
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).end(`error: ${err.message}`);
  });
  app.listen(Number(PORT), '127.0.0.1');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
