'use strict';
// The stores the benchmark runs on ("modes"), each made for one implementation
// from that implementation's own exports. Every figure names the mode it used.
const { jsonMapStoreOf } = require('./json-map-store');

const STORE_MODES = {
  memory: {
    id: 'memory',
    title: 'built-in MemoryStore',
    create: (session) => new session.MemoryStore(),
    /** `{ sid: json }` stored now (express-session's public `store.sessions`). */
    snapshot: (store) => ({ ...store.sessions }),
  },
  async: {
    id: 'async',
    title: 'async JSON Map store (the benchmark\'s own, built on each implementation\'s `Store`, answering on a later turn)',
    create: (session) => new (jsonMapStoreOf(session))(),
    snapshot: (store) => store.snapshot(),
  },
  redis: {
    id: 'redis',
    title: 'connect-redis 9 and the `redis` client against a real redis-server on loopback',
    /** `redis`: `{ client, prefix }`, a connected `redis` client shared by the app. */
    create: (_session, redis) => {
      const { RedisStore } = require('connect-redis');
      return new RedisStore({ client: redis.client, prefix: redis.prefix });
    },
    snapshot: undefined,
  },
};

module.exports = { STORE_MODES };
