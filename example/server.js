'use strict';
// `npm start`: the demo on http://localhost:3000 (PORT to change it). Sessions
// live in memory unless REDIS_URL points at a Redis server.
const { createApp } = require('./app');

async function main() {
  const port = Number(process.env.PORT) || 3000;
  const store = process.env.REDIS_URL ? await redisStore(process.env.REDIS_URL) : undefined;
  const server = createApp({ store }).listen(port, 'localhost', () => {
    console.log(`express-session-cn demo on http://localhost:${port} (${store ? 'Redis' : 'MemoryStore'})`);
  });
  server.on('error', (err) => {
    if (err.code !== 'EADDRINUSE') throw err;
    fail(`Port ${port} is already in use: stop the other server, or start on another port, e.g. PORT=${port + 1} npm start`);
  });
}

async function redisStore(url) {
  const { createClient } = require('redis');
  const { RedisStore } = require('connect-redis');
  // No endless reconnecting at start-up: a Redis that is not there is one clear message.
  let connected = false;
  const client = createClient({ url, socket: { reconnectStrategy: (retries) => (connected ? Math.min(retries * 100, 3000) : false) } });
  client.on('error', (err) => {
    if (connected) console.error('redis:', err.message);
  });
  try {
    await client.connect();
  } catch (err) {
    fail(`Cannot connect to Redis at ${url} (${err.message || err.code}): start Redis, or leave REDIS_URL unset to use MemoryStore`);
  }
  connected = true;
  return new RedisStore({ client, prefix: 'demo:' });
}

/** One line on stderr, no stack: the problem and its fix. */
function fail(message) {
  console.error(message);
  process.exit(1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
