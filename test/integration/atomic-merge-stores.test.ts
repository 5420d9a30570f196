/**
 * The atomic-merge adapters (`express-session-cn/redis`, `express-session-cn/pg`)
 * on the published stores, unmodified, against a real Redis (node-redis with
 * connect-redis 9, ioredis with connect-redis 8) and a real PostgreSQL
 * (connect-pg-simple, `sess` as json and as jsonb): a merge applies a change to
 * the latest stored version, writes what the store's own `set` would write
 * (same bytes, same TTL or `expire`), never brings back a session that is gone,
 * and parallel merges from separate connections lose nothing.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import IORedis from 'ioredis';
import session = require('../../src/index.js');
import { applyChange, type SessionChange } from '../../src/session-change.js';
import { withAtomicMerge as withRedisMerge } from '../../src/stores/redis.js';
import { withAtomicMerge as withPgMerge } from '../../src/stores/pg.js';
import { isSkip, startPostgres, startRedis, type PostgresServer, type RedisServer, type Skip } from './servers.js';

type AnyStore = Record<string, (...args: unknown[]) => unknown>;
type Merge = (sid: string, change: SessionChange) => Promise<Record<string, unknown> | null | undefined>;

const { RedisStore } = require('connect-redis') as { RedisStore: new (options: object) => AnyStore };
const { RedisStore: RedisStore8 } = require('connect-redis8') as { RedisStore: new (options: object) => AnyStore };
const connectPgSimple = require('connect-pg-simple') as (s: typeof session) => new (options: object) => AnyStore;
const pg = require('pg') as { Pool: new (options: object) => { query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>; end(): Promise<void>; on(event: 'error', listener: (err: Error) => void): void } };

/** A stored session whose data do not survive a naive JSON round trip through Lua's cjson. */
function storedSession(expiresInMs = 60_000): Record<string, unknown> {
  return {
    cookie: { originalMaxAge: expiresInMs, expires: new Date(Date.now() + expiresInMs).toISOString(), httpOnly: true, path: '/' },
    list: [],
    nested: { empty: [], deep: { n: 0.1, big: 2 ** 70, tiny: 5e-324, text: 'ünï "quoted" \u2028' } },
    keep: 'kept',
    drop: 'dropped',
  };
}

function change(expiresInMs = 120_000): SessionChange {
  const set = Object.create(null) as Record<string, unknown>;
  set.keep = ['changed', []];
  set.added = { at: 1 };
  return {
    set,
    deleted: ['drop'],
    cookie: { originalMaxAge: expiresInMs, expires: new Date(Date.now() + expiresInMs).toISOString(), httpOnly: true, path: '/' },
  };
}

function mergeOf(store: AnyStore): Merge {
  return promisify(store.merge as (sid: string, change: SessionChange, cb: (err: unknown, merged?: Record<string, unknown> | null) => void) => void);
}

function call<T>(store: AnyStore, method: string, ...args: unknown[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    store[method].call(store, ...args, (err: unknown, value?: T) => (err ? reject(err) : resolve(value as T)));
  });
}

/** The contract, run against one store: `raw(sid)` reads what the store holds, `ttl(sid)` its expiry in seconds from now. */
function contract(name: string, setup: () => Promise<{ store: AnyStore; raw(sid: string): Promise<unknown>; ttl(sid: string): Promise<number>; skip?: string }>): void {
  describe(name, () => {
    let env: Awaited<ReturnType<typeof setup>>;
    before(async () => {
      env = await setup();
    });

    function ready(t: TestContext): boolean {
      if (env.skip) t.skip(env.skip);
      return !env.skip;
    }

    test('applies the change to the latest version: what the store holds equals applyChange, byte for byte as its own set writes it', async (t) => {
      if (!ready(t)) return;
      const { store } = env;
      const latest = storedSession();
      await call(store, 'set', 'a', latest);
      const c = change();
      const merged = await mergeOf(store)('a', c);
      const expected = applyChange(JSON.parse(JSON.stringify(latest)) as Record<string, unknown>, c);
      assert.deepEqual(merged, JSON.parse(JSON.stringify(expected)));
      assert.deepEqual(await call(store, 'get', 'a'), JSON.parse(JSON.stringify(expected)));
      // The same object written by the store's own set gives the same stored value.
      await call(store, 'set', 'b', expected);
      assert.deepEqual(await env.raw('a'), await env.raw('b'));
    });

    test('the expiry after a merge is the one the store\'s own set gives', async (t) => {
      if (!ready(t)) return;
      const { store } = env;
      await call(store, 'set', 'e', storedSession());
      const c = change(3_600_000);
      const merged = await mergeOf(store)('e', c);
      await call(store, 'set', 'f', merged);
      const [merge, plain] = [await env.ttl('e'), await env.ttl('f')];
      assert.ok(Math.abs(merge - plain) <= 1, `merge ${merge} s, set ${plain} s`);
      assert.ok(merge > 3500, `the new cookie's expiry counts, got ${merge} s`);
    });

    test('a session that is gone is not written back', async (t) => {
      if (!ready(t)) return;
      const { store } = env;
      await call(store, 'set', 'g', storedSession());
      await call(store, 'destroy', 'g');
      assert.equal(await mergeOf(store)('g', change()), null);
      assert.equal(await call(store, 'get', 'g') ?? null, null);
      assert.equal(await mergeOf(store)('never', change()), null);
      assert.equal(await call(store, 'get', 'never') ?? null, null);
    });

    test('parallel merges, each setting its own key, lose none', async (t) => {
      if (!ready(t)) return;
      const { store } = env;
      await call(store, 'set', 'p', storedSession());
      const N = 40;
      await Promise.all(Array.from({ length: N }, (_, i) => {
        const set = Object.create(null) as Record<string, unknown>;
        set[`k${i}`] = i;
        return mergeOf(store)('p', { set, deleted: [], cookie: storedSession().cookie });
      }));
      const stored = await call<Record<string, unknown>>(store, 'get', 'p');
      for (let i = 0; i < N; i++) assert.equal(stored[`k${i}`], i, `key k${i}`);
    });
  });
}

let redis: RedisServer | Skip;
let postgres: PostgresServer | Skip;
const cleanups: (() => Promise<unknown>)[] = [];

before(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  if (!isSkip(redis)) await redis.stop();
  if (!isSkip(postgres)) await postgres.stop();
});

contract('connect-redis 9 with the redis client', async () => {
  if (isSkip(redis)) return { skip: redis.skip } as never;
  const client = createClient({ url: redis.url });
  client.on('error', () => undefined); // a failing command reports its own error
  await client.connect();
  cleanups.push(() => client.close());
  const store = withRedisMerge(new RedisStore({ client, prefix: 'r9:' }) as never) as unknown as AnyStore;
  return { store, raw: (sid) => client.get(`r9:${sid}`), ttl: (sid) => client.ttl(`r9:${sid}`) };
});

contract('connect-redis 8 with ioredis', async () => {
  if (isSkip(redis)) return { skip: redis.skip } as never;
  const client = new IORedis(redis.port, '127.0.0.1');
  client.on('error', () => undefined); // a failing command reports its own error
  cleanups.push(() => client.quit());
  const store = withRedisMerge(new RedisStore8({ client, prefix: 'r8:' }) as never, { client }) as unknown as AnyStore;
  return { store, raw: (sid) => client.get(`r8:${sid}`), ttl: (sid) => client.ttl(`r8:${sid}`) };
});

test('Redis: a merge whose cookie has expired deletes the session, as the store\'s set does; disableTTL writes without a TTL', async (t) => {
  if (isSkip(redis)) {
    t.skip(redis.skip);
    return;
  }
  const client = createClient({ url: redis.url });
  await client.connect();
  try {
    const store = withRedisMerge(new RedisStore({ client, prefix: 'ttl:' }) as never) as unknown as AnyStore;
    await call(store, 'set', 'x', storedSession());
    assert.equal(await mergeOf(store)('x', change(-60_000)) !== undefined, true);
    assert.equal(await client.exists('ttl:x'), 0, 'deleted');
    const noTTL = withRedisMerge(new RedisStore({ client, prefix: 'nottl:', disableTTL: true }) as never) as unknown as AnyStore;
    await call(noTTL, 'set', 'y', storedSession());
    await mergeOf(noTTL)('y', change());
    assert.equal(await client.ttl('nottl:y'), -1, 'no TTL');
    assert.equal((await call<Record<string, unknown>>(noTTL, 'get', 'y')).added !== undefined, true);
  } finally {
    await client.close();
  }
});

for (const type of ['json', 'jsonb']) {
  contract(`connect-pg-simple, sess ${type}`, async () => {
    if (isSkip(postgres)) return { skip: postgres.skip } as never;
    const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 8 });
    // An idle connection that the server ends at shutdown reports it here (pg's advice: always listen).
    pool.on('error', () => undefined);
    cleanups.push(() => pool.end());
    const table = `session_${type}`;
    await pool.query(`CREATE TABLE ${table} (sid varchar PRIMARY KEY, sess ${type} NOT NULL, expire timestamp(6) NOT NULL)`);
    const Store = connectPgSimple(session);
    const store = withPgMerge(new Store({ pool, tableName: table, pruneSessionInterval: false }) as never) as unknown as AnyStore;
    return {
      store,
      raw: async (sid) => (await pool.query(`SELECT sess::jsonb AS sess FROM ${table} WHERE sid = $1`, [sid])).rows[0]?.sess,
      ttl: async (sid) => Number((await pool.query(`SELECT extract(epoch FROM expire) - extract(epoch FROM now()::timestamp) AS ttl FROM ${table} WHERE sid = $1`, [sid])).rows[0]?.ttl),
    };
  });
}
