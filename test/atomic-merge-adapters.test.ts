/**
 * The atomic-merge adapters' own rules, without a server (the real Redis and
 * PostgreSQL runs are in test/integration/atomic-merge-stores.test.ts and
 * cross-process.test.ts): what they accept, the script's arguments for each
 * client library and TTL rule, giving up under endless contention, and the
 * PostgreSQL statement's parameters and answers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import type { SessionChange } from '../src/session-change.js';
import { withAtomicMerge as withRedisMerge, type RedisStoreLike } from '../src/stores/redis.js';
import { withAtomicMerge as withPgMerge, type PgStoreLike } from '../src/stores/pg.js';

const change = (cookie: unknown = { expires: null }): SessionChange => ({
  set: Object.assign(Object.create(null) as Record<string, unknown>, { a: 2 }),
  deleted: ['gone'],
  cookie,
});

type MergeFn = (sid: string, change: SessionChange, cb: (err: unknown, merged?: Record<string, unknown> | null) => void) => void;
const mergeOf = (store: object) => promisify((store as { merge: MergeFn }).merge);

/** A Redis client that answers from `replies` and records each script call's arguments. */
function fakeClient(style: 'node-redis' | 'ioredis', stored: string | null, replies: unknown[]) {
  const calls: unknown[][] = [];
  const client: Record<string, unknown> = {
    get: async () => stored,
    eval: async (...args: unknown[]) => {
      calls.push(args);
      return replies.shift();
    },
  };
  if (style === 'ioredis') client.call = () => undefined;
  return { client, calls };
}

function redisStore(extra: Partial<RedisStoreLike> = {}): RedisStoreLike {
  return { prefix: 'sess:', serializer: JSON, getTTL: () => 60, ...extra };
}

const STORED = JSON.stringify({ cookie: {}, a: 1, gone: true });

describe('express-session-cn/redis', () => {
  test('refuses what is not a connect-redis store, and a client it cannot run a script on', () => {
    for (const store of [null, {}, { prefix: 'x' }, 'store']) {
      assert.throws(() => withRedisMerge(store as never), { name: 'TypeError', message: /expects a connect-redis store, e\.g\. withAtomicMerge\(new RedisStore\(\{ client \}\)\)/ });
    }
    // connect-redis 7 and 8 keep a wrapper without eval as store.client.
    const wrapped = { get: async () => null, set: async () => 'OK' };
    assert.throws(() => withRedisMerge(redisStore({ client: wrapped })), { name: 'TypeError', message: /pass it as withAtomicMerge\(store, \{ client \}\)/ });
    assert.throws(() => withRedisMerge(redisStore()), TypeError);
    for (const maxAttempts of [0, 1.5, -1]) {
      assert.throws(() => withRedisMerge(redisStore(), { client: fakeClient('ioredis', null, []).client, maxAttempts }), { name: 'TypeError', message: /maxAttempts must be a whole number of at least 1/ });
    }
  });

  for (const style of ['node-redis', 'ioredis'] as const) {
    test(`${style}: the script gets the key, the value read, the merged value and the store's TTL`, async () => {
      const { client, calls } = fakeClient(style, STORED, [[1]]);
      const merged = await mergeOf(withRedisMerge(redisStore(), { client }))('id', change());
      assert.deepEqual(merged, { cookie: { expires: null }, a: 2 });
      const args = style === 'ioredis' ? calls[0]!.slice(1) : [calls[0]![1]];
      const expected = [STORED, JSON.stringify(merged), '60'];
      if (style === 'ioredis') assert.deepEqual(args, [1, 'sess:id', ...expected]);
      else assert.deepEqual(args, [{ keys: ['sess:id'], arguments: expected }]);
    });
  }

  test('TTL rules as the store\'s set: disableTTL writes without one, a TTL of 0 or less is passed on (the script deletes)', async () => {
    const noTTL = fakeClient('ioredis', STORED, [[1]]);
    await mergeOf(withRedisMerge(redisStore({ disableTTL: true }), { client: noTTL.client }))('id', change());
    assert.equal(noTTL.calls[0]!.at(-1), '');
    const expired = fakeClient('ioredis', STORED, [[1]]);
    // connect-redis 7 and 8 name it _getTTL.
    await mergeOf(withRedisMerge({ prefix: 'sess:', serializer: JSON, _getTTL: () => -5, disableTTL: true }, { client: expired.client }))('id', change());
    assert.equal(expired.calls[0]!.at(-1), '-5');
  });

  test('starts again from the newer value when another writer got in between, and reports a session gone meanwhile', async () => {
    const newer = JSON.stringify({ cookie: {}, theirs: 1 });
    const { client, calls } = fakeClient('ioredis', STORED, [[2, newer], [1]]);
    const merged = await mergeOf(withRedisMerge(redisStore(), { client }))('id', change());
    assert.deepEqual(merged, { cookie: { expires: null }, theirs: 1, a: 2 });
    assert.equal(calls[1]![3], newer, 'the second attempt compares with the newer value');
    const gone = fakeClient('ioredis', STORED, [[0]]);
    assert.equal(await mergeOf(withRedisMerge(redisStore(), { client: gone.client }))('id', change()), null);
    const never = fakeClient('ioredis', null, []);
    assert.equal(await mergeOf(withRedisMerge(redisStore(), { client: never.client }))('id', change()), null);
    assert.equal(never.calls.length, 0, 'nothing is written for a session that is not stored');
  });

  test('gives up with an error after maxAttempts conflicting writes', async () => {
    const { client, calls } = fakeClient('ioredis', STORED, [[2, STORED], [2, STORED], [2, STORED]]);
    await assert.rejects(mergeOf(withRedisMerge(redisStore(), { client, maxAttempts: 3 }))('id', change()), /gave up after 3 attempts/);
    assert.equal(calls.length, 3);
  });
});

function pgStore(row: Record<string, unknown> | undefined, err?: Error, ttl?: number) {
  const queries: unknown[][] = [];
  const store: PgStoreLike = {
    ttl,
    quotedTable: () => '"session"',
    query: (sql, params, callback) => {
      queries.push([sql, params]);
      setImmediate(() => callback(err ?? null, row));
    },
  };
  return { store, queries };
}

describe('express-session-cn/pg', () => {
  test('refuses what is not a connect-pg-simple store', () => {
    for (const store of [null, {}, { query() {} }, 42]) {
      assert.throws(() => withPgMerge(store as never), { name: 'TypeError', message: /expects a connect-pg-simple store/ });
    }
  });

  test('one UPDATE with the keys deleted, the keys set with the cookie, and the store\'s expire rule', async () => {
    const expires = new Date(Date.now() + 90_000);
    const { store, queries } = pgStore({ sess: JSON.stringify({ cookie: {}, a: 2 }) });
    const merged = await mergeOf(withPgMerge(store))('id', change({ expires }));
    assert.deepEqual(merged, { cookie: {}, a: 2 }, 'a json column answered as text is parsed');
    const [sql, params] = queries[0] as [string, unknown[]];
    assert.match(sql, /^UPDATE "session"\s+SET sess = .*WHERE sid = \$1 AND expire >= to_timestamp\(\$5\)\s+RETURNING sess$/s);
    assert.deepEqual(params.slice(0, 4), ['id', ['gone'], JSON.stringify({ a: 2, cookie: { expires } }), Math.ceil(expires.valueOf() / 1000)]);
  });

  test('without a cookie expiry, expire is now plus the store\'s ttl (a day by default)', async () => {
    for (const [ttl, seconds] of [[undefined, 86400], [120, 120]] as const) {
      const { store, queries } = pgStore({ sess: { cookie: {} } }, undefined, ttl);
      const before = Math.ceil(Date.now() / 1000);
      await mergeOf(withPgMerge(store))('id', change());
      const expire = (queries[0]![1] as unknown[])[3] as number;
      assert.ok(expire >= before + seconds && expire <= before + seconds + 1, `ttl ${String(ttl)}: expire ${expire}`);
    }
  });

  test('no row (gone or expired) is null; a query error is the error', async () => {
    assert.equal(await mergeOf(withPgMerge(pgStore(undefined).store))('id', change()), null);
    await assert.rejects(mergeOf(withPgMerge(pgStore(undefined, new Error('connection lost')).store))('id', change()), /connection lost/);
  });
});
