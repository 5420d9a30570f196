// Our middleware with real third-party session stores against real servers:
// connect-redis (as published, extending express-session's own Store, and with
// `express-session` aliased to this package), connect-pg-simple on PostgreSQL,
// memorystore, and session-file-store. Every store gets the same checks, and
// every check reads the backend itself (Redis keys, table rows, files, the LRU)
// rather than trusting the store's own answers.
//
// Servers are started on free loopback ports with temporary data directories
// (see ./servers.ts). Without the server binaries the Redis and PostgreSQL
// cases skip and say why; under CI=true a missing server fails them.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { createClient } from 'redis';
import session = require('../../src/index.js');
import { isSkip, startPostgres, startRedis, type PostgresServer, type RedisServer, type Skip } from './servers.js';

declare module '../../src/index.js' {
  interface SessionData {
    count?: number;
  }
}

// ---------------------------------------------------------------------------
// The stores' shapes (none of these packages ships types we can use here)

type Store = session.SessionStore;
type StoreConstructor<O> = new (options: O) => Store;
type RedisStoreModule = { RedisStore: StoreConstructor<{ client: unknown; prefix?: string }> };

interface PgPool {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}
const pg = require('pg') as { Pool: new (config: { connectionString: string; max?: number }) => PgPool };

interface LruCache {
  dump(): { k: string; v: string; e: number }[];
}

const expressSessionStore = (require('express-session') as { Store: new () => object }).Store;

/** Store behaviours the checks rely on, read straight from the backend. */
interface Fixture {
  store: Store;
  /** The session as the backend holds it (past the store's API), or undefined when absent. */
  read(sid: string): Promise<Stored | undefined>;
  close(): Promise<void>;
}

interface Stored {
  data: { count?: unknown; cookie?: { expires?: unknown; originalMaxAge?: unknown } };
  /** When the backend will drop the entry, in ms since the epoch (Infinity: never). */
  expiresAt: number;
}

interface StoreCase {
  name: string;
  open(): Promise<Fixture | Skip>;
}

// ---------------------------------------------------------------------------
// Servers: started once, on first use, and stopped after all tests

let redisServer: Promise<RedisServer | Skip> | undefined;
let postgresServer: Promise<PostgresServer | Skip> | undefined;

async function stopServers(): Promise<void> {
  const servers = await Promise.allSettled([redisServer, postgresServer]);
  for (const result of servers) {
    if (result.status === 'fulfilled' && result.value && !isSkip(result.value)) await result.value.stop();
  }
}

// ---------------------------------------------------------------------------
// connect-redis, twice

const SRC_INDEX = require.resolve('../../src/index.js');
const CONNECT_REDIS = require.resolve('connect-redis');

/** connect-redis as published: its RedisStore extends express-session's Store. */
function loadConnectRedis(): RedisStoreModule {
  return require('connect-redis') as RedisStoreModule;
}

/**
 * A second copy of connect-redis whose `require('express-session')` gets this
 * package, as an app that aliases express-session to us would load it. Only
 * that one require is redirected, and the module cache is left as it was.
 */
function loadConnectRedisOnOurSession(): RedisStoreModule {
  const loader = Module as unknown as {
    _resolveFilename(request: string, parent: { filename?: string } | undefined, ...rest: unknown[]): string;
  };
  const resolve = loader._resolveFilename;
  const cached = require.cache[CONNECT_REDIS];
  delete require.cache[CONNECT_REDIS];
  loader._resolveFilename = function (this: unknown, request, parent, ...rest) {
    if (request === 'express-session' && parent?.filename === CONNECT_REDIS) return SRC_INDEX;
    return resolve.call(this, request, parent, ...rest);
  };
  try {
    return require(CONNECT_REDIS) as RedisStoreModule;
  } finally {
    loader._resolveFilename = resolve;
    if (cached) require.cache[CONNECT_REDIS] = cached;
    else delete require.cache[CONNECT_REDIS];
  }
}

function redisCase(name: string, load: () => RedisStoreModule, prefix: string, checkBase: (store: Store) => void): StoreCase {
  return {
    name,
    async open() {
      const server = await (redisServer ??= startRedis());
      if (isSkip(server)) return server;
      const { RedisStore } = load();
      const client = createClient({ url: server.url });
      client.on('error', () => undefined); // reported by the failing command instead
      const store = new RedisStore({ client, prefix });
      checkBase(store);
      await client.connect();
      return {
        store,
        async read(sid) {
          const key = prefix + sid;
          const [raw, pttl] = await Promise.all([client.get(key), client.pTTL(key)]);
          if (raw == null) return undefined;
          return { data: JSON.parse(raw) as Stored['data'], expiresAt: pttl < 0 ? Infinity : Date.now() + pttl };
        },
        async close() {
          await client.close();
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------
// The stores

const cases: StoreCase[] = [
  redisCase("connect-redis (extends express-session's Store)", loadConnectRedis, 'real:', (store) => {
    assert.ok(store instanceof expressSessionStore, 'connect-redis should extend the real express-session Store');
    assert.ok(!(store instanceof session.Store));
  }),
  redisCase('connect-redis with express-session aliased to this package', loadConnectRedisOnOurSession, 'alias:', (store) => {
    // Proves the alias took: the store is built on OUR Store, not express-session's.
    assert.ok(store instanceof session.Store, 'aliased connect-redis should extend our Store');
    assert.ok(!(store instanceof expressSessionStore));
  }),
  {
    name: 'connect-pg-simple',
    async open() {
      const server = await (postgresServer ??= startPostgres());
      if (isSkip(server)) return server;
      const pool = new pg.Pool({ connectionString: server.connectionString, max: 4 });
      // The table exactly as connect-pg-simple's docs create it.
      await pool.query('DROP TABLE IF EXISTS "session"');
      await pool.query(await readFile(require.resolve('connect-pg-simple/table.sql'), 'utf8'));
      const PgStore = (require('connect-pg-simple') as (s: typeof session) => StoreConstructor<object>)(session);
      const store = new PgStore({ pool, createTableIfMissing: false, pruneSessionInterval: false });
      assert.ok(store instanceof session.Store);
      return {
        store,
        async read(sid) {
          // `expire` is a timestamp without time zone written through to_timestamp(),
          // i.e. in the connection's TimeZone; casting back in the same connection is exact.
          const { rows } = await pool.query(
            'SELECT sess, extract(epoch FROM expire::timestamptz) * 1000 AS expires_at FROM "session" WHERE sid = $1',
            [sid],
          );
          const row = rows[0];
          if (!row) return undefined;
          return { data: row.sess as Stored['data'], expiresAt: Number(row.expires_at) };
        },
        async close() {
          await pool.end();
        },
      };
    },
  },
  {
    name: 'memorystore',
    async open() {
      const MemoryStore = (require('memorystore') as (s: typeof session) => StoreConstructor<object>)(session);
      const store = new MemoryStore({});
      assert.ok(store instanceof session.Store);
      const lru = (store as unknown as { store: LruCache }).store;
      return {
        store,
        async read(sid) {
          // dump() lists only entries the LRU has not yet aged out, with their expiry.
          const entry = lru.dump().find((hit) => hit.k === sid);
          return entry && { data: JSON.parse(entry.v) as Stored['data'], expiresAt: entry.e };
        },
        async close() {
          (store as unknown as { stopInterval(): void }).stopInterval();
        },
      };
    },
  },
  {
    name: 'session-file-store',
    async open() {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'esc-file-store-'));
      const FileStore = (require('session-file-store') as (s: typeof session) => StoreConstructor<object>)(session);
      const store = new FileStore({ path: dir, logFn: () => undefined, retries: 0, reapInterval: -1 });
      assert.ok(store instanceof session.Store);
      return {
        store,
        async read(sid) {
          const file = path.join(dir, `${sid}.json`);
          if (!existsSync(file)) return undefined;
          const data = JSON.parse(await readFile(file, 'utf8')) as Stored['data'] & { __lastAccess: number };
          // session-file-store's own rule (helpers.isExpired): last access + originalMaxAge.
          return { data, expiresAt: data.__lastAccess + Number(data.cookie?.originalMaxAge) };
        },
        async close() {
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

// ---------------------------------------------------------------------------
// The app every store is checked with

const SECRET = 'integration secret';
const LONG_MAX_AGE = 60_000;
const SHORT_MAX_AGE = 1000;

interface Reply {
  id: string;
  count?: number;
}

function appFor(store: Store, maxAge: number): express.Express {
  const app = express();
  app.use(session({ secret: SECRET, store, resave: false, saveUninitialized: false, cookie: { maxAge } }));
  app.get('/count', (req, res) => {
    req.session.count = (req.session.count ?? 0) + 1;
    res.json({ id: req.sessionID, count: req.session.count });
  });
  app.get('/regenerate', (req, res, next) => {
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.count = 100;
      res.json({ id: req.sessionID, count: req.session.count });
    });
  });
  app.get('/destroy', (req, res, next) => {
    const id = req.sessionID;
    req.session.destroy((err) => {
      if (err) return next(err);
      res.json({ id });
    });
  });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(err instanceof Error ? err.stack : String(err));
  });
  return app;
}

/** GETs `url`, sending `cookie` if given; returns the JSON reply and the session cookie set, if any. */
async function get(app: express.Express, url: string, cookie?: string): Promise<{ body: Reply; cookie: string | undefined }> {
  const req = request(app).get(url);
  if (cookie) req.set('Cookie', cookie);
  const res = await req;
  assert.equal(res.status, 200, res.text);
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('connect.sid='));
  return { body: res.body as Reply, cookie: setCookie?.split(';')[0] };
}

/** The store's own answer for `sid` (ENOENT, as session-file-store gives for a missing file, is none). */
function storeGet(store: Store, sid: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    store.get(sid, (err, sess) => {
      if (err && (err as { code?: unknown }).code !== 'ENOENT') reject(err);
      else resolve(err ? null : sess);
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// The checks, identical for every store

describe('session stores against real servers', { concurrency: true }, () => {
  after(stopServers);

  for (const storeCase of cases) {
    describe(storeCase.name, { concurrency: false }, () => {
      let fixture: Fixture | undefined;
      let skipped = 'store did not open';

      before(async () => {
        const opened = await storeCase.open();
        if (isSkip(opened)) skipped = opened.skip;
        else fixture = opened;
      });
      after(async () => {
        await fixture?.close();
      });

      /** The fixture, or undefined after marking the test skipped with the reason. */
      function use(t: TestContext): Fixture | undefined {
        if (!fixture) t.skip(skipped);
        return fixture;
      }

      test('a counter persists across requests', async (t) => {
        const f = use(t);
        if (!f) return;
        const app = appFor(f.store, LONG_MAX_AGE);
        const first = await get(app, '/count');
        assert.equal(first.body.count, 1);
        assert.ok(first.cookie, 'the first request sets the session cookie');
        const second = await get(app, '/count', first.cookie);
        const third = await get(app, '/count', first.cookie);
        assert.deepEqual([second.body, third.body], [{ id: first.body.id, count: 2 }, { id: first.body.id, count: 3 }]);
        const stored = await f.read(first.body.id);
        assert.equal(stored?.data.count, 3);
        // Close to it, not equal: the expires setter recomputes originalMaxAge from
        // the time left, which reads less by the milliseconds elapsed in between
        // (express-session does the same; a GC pause on a busy machine made it 4).
        const originalMaxAge = stored?.data.cookie?.originalMaxAge as number;
        assert.ok(originalMaxAge <= LONG_MAX_AGE && originalMaxAge >= LONG_MAX_AGE - 1000, `originalMaxAge ${originalMaxAge}`);
      });

      test('regenerate removes the old id from the store', async (t) => {
        const f = use(t);
        if (!f) return;
        const app = appFor(f.store, LONG_MAX_AGE);
        const first = await get(app, '/count');
        await get(app, '/count', first.cookie);
        const oldId = first.body.id;
        assert.equal((await f.read(oldId))?.data.count, 2);

        const regenerated = await get(app, '/regenerate', first.cookie);
        const newId = regenerated.body.id;
        assert.notEqual(newId, oldId);
        assert.ok(regenerated.cookie, 'regenerate sets a new cookie');
        assert.equal(await f.read(oldId), undefined, 'the old id is gone from the backend');
        assert.equal(await storeGet(f.store, oldId) ?? null, null);
        assert.equal((await f.read(newId))?.data.count, 100);

        // The new cookie carries on with the new session; the old one starts afresh.
        assert.deepEqual((await get(app, '/count', regenerated.cookie)).body, { id: newId, count: 101 });
        const stale = await get(app, '/count', first.cookie);
        assert.equal(stale.body.count, 1);
        assert.notEqual(stale.body.id, oldId);
        assert.equal(await f.read(oldId), undefined, 'the old id was not written back');
      });

      test('destroy removes the session from the store', async (t) => {
        const f = use(t);
        if (!f) return;
        const app = appFor(f.store, LONG_MAX_AGE);
        const first = await get(app, '/count');
        const id = first.body.id;
        assert.ok(await f.read(id), 'stored before destroy');

        const destroyed = await get(app, '/destroy', first.cookie);
        assert.equal(destroyed.body.id, id);
        assert.equal(await f.read(id), undefined, 'the id is gone from the backend');
        assert.equal(await storeGet(f.store, id) ?? null, null);

        const after = await get(app, '/count', first.cookie);
        assert.equal(after.body.count, 1);
        assert.notEqual(after.body.id, id);
        assert.equal(await f.read(id), undefined, 'the destroyed id was not written back');
      });

      test('an expired session is not resurrected', async (t) => {
        const f = use(t);
        if (!f) return;
        const app = appFor(f.store, SHORT_MAX_AGE);
        const sent = Date.now();
        const first = await get(app, '/count');
        const oldId = first.body.id;
        const stored = await f.read(oldId);
        assert.ok(stored, 'stored before it expires');
        // Stores round TTLs up to whole seconds: the backend keeps it at most a second longer.
        assert.ok(stored.expiresAt <= Date.now() + SHORT_MAX_AGE + 1000, 'the backend expires it with the cookie');

        // Past both the cookie's expiry and the backend's.
        await sleep(Math.max(stored.expiresAt, sent + SHORT_MAX_AGE) - Date.now() + 250);

        // The client still sends the old cookie (a browser would not, an attacker could).
        const next = await get(app, '/count', first.cookie);
        assert.equal(next.body.count, 1, 'the counter restarts');
        assert.notEqual(next.body.id, oldId);
        assert.equal(await storeGet(f.store, oldId) ?? null, null, 'the store does not answer for the old id');
        const old = await f.read(oldId);
        assert.ok(old === undefined || old.expiresAt <= Date.now(), 'the backend holds no live data for the old id');
        assert.equal((await f.read(next.body.id))?.data.count, 1);
      });

      test('the TTL the store sets matches cookie.maxAge', async (t) => {
        const f = use(t);
        if (!f) return;
        const app = appFor(f.store, LONG_MAX_AGE);
        const sent = Date.now();
        const first = await get(app, '/count');
        const received = Date.now();
        const stored = await f.read(first.body.id);
        assert.ok(stored, 'stored');
        // Redis and PostgreSQL keep whole seconds (rounded up): allow a second either side.
        assert.ok(
          stored.expiresAt >= sent + LONG_MAX_AGE - 1000 && stored.expiresAt <= received + LONG_MAX_AGE + 1000,
          `backend expiry ${stored.expiresAt - received} ms from now, cookie.maxAge ${LONG_MAX_AGE}`,
        );
        const cookieExpires = Date.parse(String(stored.data.cookie?.expires));
        assert.ok(Math.abs(stored.expiresAt - cookieExpires) <= 1000, 'backend expiry matches the stored cookie.expires');
      });
    });
  }
});
