// maxLifetime against a real connect-redis store on a real Redis server (issue 8).
// connect-redis takes a key's TTL from `sess.cookie.expires` (rounded up to whole
// seconds) on set and on touch, so the absolute lifetime only holds in Redis if
// the middleware keeps cookie.expires within it. Everything is read from Redis
// itself (PTTL, GET, EXISTS), not from the store's answers.
//
// Real time is used (Redis keeps its own clock); waits are kept short.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { createClient } from 'redis';
import session = require('../../src/index.js');
import { isSkip, startRedis, type RedisServer } from './servers.js';

const SECRET = 'keyboard cat';
const PREFIX = 'lifetime:';
/** connect-redis rounds TTLs up to whole seconds (EX). */
const SLACK = 1000;

type RedisClient = ReturnType<typeof createClient>;
type RedisStoreConstructor = new (options: { client: unknown; prefix?: string }) => session.SessionStore;
const { RedisStore } = require('connect-redis') as { RedisStore: RedisStoreConstructor };

interface StoredCookie {
  createdAt?: number;
  expires?: string;
  originalMaxAge?: number | null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

describe('maxLifetime with connect-redis', () => {
  let server: RedisServer | undefined;
  let client: RedisClient | undefined;
  let skipped = 'redis did not start';

  before(async () => {
    const started = await startRedis();
    if (isSkip(started)) {
      skipped = started.skip;
      return;
    }
    server = started;
    client = createClient({ url: server.url });
    client.on('error', () => undefined); // reported by the failing command instead
    await client.connect();
  });
  after(async () => {
    await client?.close();
    await server?.stop();
  });

  function use(t: TestContext): RedisClient | undefined {
    if (!client) t.skip(skipped);
    return client;
  }

  /** `/count` increments a counter, `/peek` only reads; both answer `{ id, count }`. */
  function appFor(options: session.SessionOptions): express.Express {
    const store = new RedisStore({ client, prefix: PREFIX });
    const app = express();
    app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false, ...options }));
    app.get('/count', (req, res) => {
      const data = req.session as unknown as { count?: number };
      data.count = (data.count ?? 0) + 1;
      res.json({ id: req.sessionID, count: data.count });
    });
    app.get('/peek', (req, res) => {
      res.json({ id: req.sessionID, count: (req.session as unknown as { count?: number }).count ?? null });
    });
    return app;
  }

  async function get(app: express.Express, path: string, cookie?: string): Promise<{ id: string; count: number | null; cookie: string | undefined }> {
    let req = request(app).get(path);
    if (cookie) req = req.set('Cookie', cookie);
    const res = await req;
    assert.equal(res.status, 200, res.text);
    const header = res.headers['set-cookie'] as unknown as string[] | undefined;
    return { id: res.body.id as string, count: res.body.count as number | null, cookie: header?.[0]?.split(';')[0] };
  }

  async function storedCookie(redis: RedisClient, sid: string): Promise<StoredCookie | undefined> {
    const raw = await redis.get(PREFIX + sid);
    return raw == null ? undefined : (JSON.parse(raw) as { cookie: StoredCookie }).cookie;
  }

  /** The key's PTTL must not reach past the absolute end (plus connect-redis's rounding). */
  async function assertWithinLifetime(redis: RedisClient, sid: string, maxLifetime: number, what: string): Promise<void> {
    const cookie = await storedCookie(redis, sid);
    assert.ok(cookie, `${what}: the session is in Redis`);
    assert.equal(typeof cookie.createdAt, 'number', `${what}: createdAt is stored`);
    const end = cookie.createdAt! + maxLifetime;
    assert.ok(Date.parse(cookie.expires!) <= end, `${what}: stored expires ${cookie.expires} is past the absolute end`);
    const pttl = await redis.pTTL(PREFIX + sid);
    const remaining = end - Date.now();
    assert.ok(pttl > 0, `${what}: the key has a TTL (PTTL ${pttl})`);
    assert.ok(pttl <= remaining + SLACK, `${what}: PTTL ${pttl} ms outlives the absolute end (${remaining} ms left)`);
  }

  test('without maxLifetime the TTL follows the idle timeout (the check below can fail)', async (t) => {
    const redis = use(t);
    if (!redis) return;
    const first = await get(appFor({ rolling: true, cookie: { maxAge: 60_000 } }), '/count');
    const pttl = await redis.pTTL(PREFIX + first.id);
    assert.ok(pttl > 55_000, `PTTL ${pttl}`);
    assert.equal((await storedCookie(redis, first.id))?.createdAt, undefined);
  });

  test('the TTL set on save and on touch never outlives maxLifetime, even with rolling', async (t) => {
    const redis = use(t);
    if (!redis) return;
    const maxLifetime = 5000;
    const app = appFor({ rolling: true, maxLifetime, cookie: { maxAge: 60_000 } });

    const first = await get(app, '/count');
    assert.ok(first.cookie);
    await assertWithinLifetime(redis, first.id, maxLifetime, 'after the first save');

    await sleep(300);
    const touched = await get(app, '/peek', first.cookie);
    assert.deepEqual([touched.id, touched.count], [first.id, 1]);
    assert.ok(touched.cookie, 'rolling sends the cookie');
    await assertWithinLifetime(redis, first.id, maxLifetime, 'after a touch');

    await sleep(300);
    const saved = await get(app, '/count', first.cookie);
    assert.deepEqual([saved.id, saved.count], [first.id, 2]);
    await assertWithinLifetime(redis, first.id, maxLifetime, 'after a second save');
  });

  test('after the absolute end the session is not used, and Redis drops an idle one by itself', async (t) => {
    const redis = use(t);
    if (!redis) return;
    const maxLifetime = 1500;
    const app = appFor({ rolling: true, maxLifetime, cookie: { maxAge: 60_000 } });

    const active = await get(app, '/count');
    const idle = await get(app, '/count');
    assert.ok(active.cookie && idle.cookie);
    const activeCreated = (await storedCookie(redis, active.id))!.createdAt!;
    const idleCreated = (await storedCookie(redis, idle.id))!.createdAt!;

    // Activity within the lifetime keeps the session...
    await sleep(700);
    const during = await get(app, '/count', active.cookie);
    assert.deepEqual([during.id, during.count], [active.id, 2]);

    // ...but not past its absolute end.
    await sleep(activeCreated + maxLifetime + 50 - Date.now());
    const late = await get(app, '/count', active.cookie);
    assert.notEqual(late.id, active.id);
    assert.equal(late.count, 1, 'the old data is not used');
    assert.equal(await redis.exists(PREFIX + active.id), 0, 'the old session is gone from Redis');

    // The idle one was never requested again: its TTL alone ends it (EX rounds up to whole seconds).
    await sleep(idleCreated + maxLifetime + SLACK + 100 - Date.now());
    assert.equal(await redis.exists(PREFIX + idle.id), 0, 'Redis expired the idle session');
  });
});
