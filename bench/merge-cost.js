'use strict';
// The cost of an atomic merge against a plain set, per store, on real servers
// started here on free loopback ports (redis-server and PostgreSQL from the
// system packages). Run: npm run build && node --import tsx bench/merge-cost.js
// Each figure names its store; one commit = one store call, 16 in flight.
// `npm run bench` runs it and puts its table in bench/RESULTS.md.
const { performance } = require('node:perf_hooks');
const { startPostgres, startRedis, isSkip } = require('../test/integration/servers.ts');
const session = require('..');
const { withAtomicMerge: redisMerge } = require('../dist/stores/redis.js');
const { withAtomicMerge: pgMerge } = require('../dist/stores/pg.js');

const COMMITS = Number(process.env.COMMITS || (process.argv.includes('--quick') ? 1000 : 4000));
const IN_FLIGHT = 16;

function sessionData() {
  const data = { cookie: { originalMaxAge: 3600000, expires: new Date(Date.now() + 3600000).toISOString(), httpOnly: true, path: '/' } };
  for (let i = 0; i < 20; i++) data[`key${i}`] = { value: i, text: 'x'.repeat(40) };
  return data;
}

function call(store, method, ...args) {
  return new Promise((resolve, reject) => store[method](...args, (err, value) => (err ? reject(err) : resolve(value))));
}

/** Commits per second: `commit(i)` COMMITS times, IN_FLIGHT at a time, over SESSIONS sessions. */
async function rate(commit) {
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < COMMITS) await commit(next++);
  }));
  return COMMITS / ((performance.now() - start) / 1000);
}

async function measure(name, store) {
  const sessions = Array.from({ length: IN_FLIGHT }, (_, i) => `bench-${i}`);
  for (const sid of sessions) await call(store, 'set', sid, sessionData());
  const data = sessionData();
  const change = (i) => ({ set: Object.assign(Object.create(null), { [`key${i % 20}`]: { value: i } }), deleted: [], cookie: data.cookie });
  const rounds = [];
  for (let round = 0; round < 3; round++) {
    const set = await rate((i) => call(store, 'set', sessions[i % IN_FLIGHT], data));
    const merge = await rate((i) => call(store, 'merge', sessions[i % IN_FLIGHT], change(i)));
    rounds.push({ set, merge });
  }
  const median = (values) => values.sort((a, b) => a - b)[1];
  const set = median(rounds.map((r) => r.set));
  const merge = median(rounds.map((r) => r.merge));
  console.log(`| ${name} | ${Math.round(set)} | ${Math.round(merge)} | ${(set / merge).toFixed(2)}× |`);
}

async function main() {
  const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const closers = [];
  try {
    console.log(`Commits per second, ${COMMITS} commits of a 20-key session, ${IN_FLIGHT} in flight (median of 3 rounds)\n`);
    console.log('| store | plain set | atomic merge | cost of a merge |');
    console.log('|---|---|---|---|');
    if (!isSkip(redis)) {
      const { createClient } = require('redis');
      const client = createClient({ url: redis.url });
      await client.connect();
      closers.push(() => client.close());
      const { RedisStore } = require('connect-redis');
      await measure('connect-redis 9 + redis (node-redis 5)', redisMerge(new RedisStore({ client })));
      const IORedis = require('ioredis');
      const io = new IORedis(redis.port, '127.0.0.1');
      closers.push(() => io.quit());
      const { RedisStore: RedisStore8 } = require('connect-redis8');
      await measure('connect-redis 8 + ioredis 5', redisMerge(new RedisStore8({ client: io, prefix: 'io:' }), { client: io }));
    } else console.log(`| Redis | skipped: ${redis.skip} | | |`);
    if (!isSkip(postgres)) {
      const pg = require('pg');
      const pool = new pg.Pool({ connectionString: postgres.connectionString, max: IN_FLIGHT });
      pool.on('error', () => undefined); // idle connections ended by the server's shutdown
      closers.push(() => pool.end());
      const PgStore = require('connect-pg-simple')(session);
      await measure('connect-pg-simple 10 + pg 8 (PostgreSQL, sess json)', pgMerge(new PgStore({ pool, createTableIfMissing: true, pruneSessionInterval: false })));
    } else console.log(`| PostgreSQL | skipped: ${postgres.skip} | | |`);
  } finally {
    for (const close of closers) await close();
    if (!isSkip(redis)) await redis.stop();
    if (!isSkip(postgres)) await postgres.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
