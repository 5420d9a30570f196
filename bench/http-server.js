'use strict';
// One benchmark server: `node bench/http-server.js <kind> <store mode> [redis url]`
//   kind: ours | express-session | none (no session) | raw-get (no session, one raw Redis GET per request)
//         | store-only (no session; the store's own get, and its touch after the response)
//   store mode: memory | async | redis (see stores.js; ignored by none)
// Serves the HTTP scenarios of scenarios.js, each under its own path with its own
// middleware options: GET /S2/seed starts a session as the scenario's seed does,
// GET /S2/ is the scenario's request. Tells its parent the port over IPC, then
// serves until killed; any message from the parent asks for its CPU time so far.
const express = require('express');
const { scenarios, storedSessionExample } = require('./scenarios');
const { STORE_MODES } = require('./stores');

const [kind, storeMode, redisUrl] = process.argv.slice(2);
const RAW_KEY = 'bench:raw-get';
const HTTP_SCENARIOS = scenarios.filter((scenario) => scenario.http);

async function redisClient() {
  const { createClient } = require('redis');
  const client = createClient({ url: redisUrl });
  client.on('error', (err) => console.error(`bench server ${kind}: redis: ${err.message}`));
  await client.connect();
  return client;
}

/**
 * Every app routes alike: one Router per scenario, mounted at `/<id>`, with
 * `/seed` and `/`. The session apps put their middleware first in it; the
 * baselines put their own handler in its place or none, so that "ours ÷ no
 * session" measures the session layer, not a difference in routing.
 */
function scenarioRoutes(app, middlewareOf, handlerOf) {
  for (const scenario of HTTP_SCENARIOS) {
    const router = express.Router();
    const middleware = middlewareOf?.(scenario);
    if (middleware) router.use(middleware);
    router.get('/seed', (req, res) => {
      if (middleware) scenario.seed?.(req);
      res.send('ok');
    });
    router.get('/', handlerOf(scenario));
    app.use(`/${scenario.id}`, router);
  }
}

function sessionRoutes(app, session, store) {
  scenarioRoutes(app, (scenario) => session({ ...scenario.options(), store }), (scenario) => (req, res) => {
    scenario.handle(req);
    res.send('ok');
  });
}

/** The scenarios' routes without a session; `before` (optional) is awaited first. */
function baselineRoutes(app, before) {
  const handler = before
    ? (_req, res, next) => { before().then(() => res.send('ok'), next); }
    : (_req, res) => { res.send('ok'); };
  scenarioRoutes(app, undefined, () => handler);
}

async function main() {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  if (kind === 'ours' || kind === 'express-session') {
    const session = kind === 'ours' ? require('..') : require('express-session');
    const redis = storeMode === 'redis' ? { client: await redisClient(), prefix: `bench-${kind}:` } : undefined;
    sessionRoutes(app, session, STORE_MODES[storeMode].create(session, redis));
  } else if (kind === 'raw-get') {
    // The practical limit for a Redis-backed session: one GET of a session-sized value, no session.
    const client = await redisClient();
    await client.set(RAW_KEY, JSON.stringify(storedSessionExample()));
    baselineRoutes(app, async () => {
      if ((await client.get(RAW_KEY)) === null) throw new Error('raw GET found nothing');
    });
  } else if (kind === 'store-only') {
    // The store calls a returning read-only visitor needs by express-session's
    // rules (a get, and a touch after the response), with no session layer:
    // what any implementation of those rules costs at least, on this store.
    const session = require('..');
    const redis = storeMode === 'redis' ? { client: await redisClient(), prefix: 'bench-store-only:' } : undefined;
    const store = STORE_MODES[storeMode].create(session, redis);
    const sid = 'store-only-session';
    await new Promise((resolve, reject) => store.set(sid, storedSessionExample(), (err) => (err ? reject(err) : resolve())));
    const handler = (_req, res, next) => {
      store.get(sid, (err, stored) => {
        if (err || !stored) return next(err || new Error('store-only: session not found'));
        res.send('ok');
        store.touch(sid, stored, (touchErr) => { if (touchErr) console.error(touchErr); });
      });
    };
    scenarioRoutes(app, undefined, () => handler);
  } else if (kind === 'none') {
    baselineRoutes(app);
  } else {
    throw new Error(`kind is invalid: ${kind} (use ours, express-session, none, raw-get or store-only)`);
  }
  const server = app.listen(0, '127.0.0.1', () => {
    process.send({ port: server.address().port });
  });
}

process.on('SIGINT', () => process.exit(0));
// The CPU time this server has spent so far (µs), for the parent's per-request figure.
process.on('message', () => {
  const { user, system } = process.cpuUsage();
  process.send({ cpu: user + system });
});
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
