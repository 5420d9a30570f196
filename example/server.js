'use strict';
// `npm start`: the demo on http://localhost:3000 (PORT to change it). Sessions
// live in memory unless REDIS_URL points at a Redis server.
const { createApp } = require('./app');

async function main() {
  let store;
  if (process.env.REDIS_URL) {
    const { createClient } = require('redis');
    const { RedisStore } = require('connect-redis');
    const client = createClient({ url: process.env.REDIS_URL });
    client.on('error', (err) => console.error('redis:', err.message));
    await client.connect();
    store = new RedisStore({ client, prefix: 'demo:' });
  }

  const port = Number(process.env.PORT) || 3000;
  const app = createApp({ store });
  app.listen(port, 'localhost', () => {
    console.log(`express-session-cn demo on http://localhost:${port} (${store ? 'Redis' : 'MemoryStore'})`);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
