'use strict';
// `node bench/added-properties.js [--quick]`: what adding properties to Express's
// `req` costs per request over HTTP, with no session at all. One Express app per
// variant, each in its own process, loaded in turn by autocannon; each server
// reports the CPU time it spent (process.cpuUsage), which does not depend on
// how the load generator shares the cores.
//
// Express gives every request its own prototype (Object.setPrototypeOf). On
// Node 20 and 22, V8 then makes a new hidden class for each property added to
// that request, never shared with the next request's, so every later property
// access on it misses its inline cache; Node 24 shares them. A session
// middleware must add `req.session`, `req.sessionID` and `req.sessionStore`
// (express-session and this package alike): this shows what that alone costs.
const { fork } = require('node:child_process');
const autocannon = require('autocannon');

const VARIANTS = {
  'none': 'an Express app, a Router and a handler',
  'three-properties': 'the same, with a middleware that adds three properties to req',
};

if (process.argv[2] === '--serve') {
  serve(process.argv[3]);
} else {
  main(process.argv.includes('--quick')).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

function serve(variant) {
  const express = require('express');
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const router = express.Router();
  if (variant === 'three-properties') {
    const store = {};
    router.use((req, _res, next) => {
      req.sessionStore = store;
      req.sessionID = 'id';
      req.session = {};
      next();
    });
  }
  router.get('/', (_req, res) => res.send('ok'));
  app.use('/app', router);
  const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    process.send({ cpu: user + system });
  });
}

function cpuOf(child) {
  return new Promise((resolve) => {
    child.once('message', ({ cpu }) => resolve(cpu));
    child.send('cpu');
  });
}

function load(port, amount) {
  return new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}/app/`, connections: 16, amount }, (err, result) => {
      if (err) reject(err);
      else if (result.non2xx || result.errors) reject(new Error(`${result.non2xx} non-2xx responses, ${result.errors} errors`));
      else resolve(result);
    });
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function main(quick) {
  const requests = quick ? 5000 : 20000;
  const rounds = quick ? 3 : 6;
  const servers = [];
  try {
    for (const variant of Object.keys(VARIANTS)) {
      const child = fork(__filename, ['--serve', variant], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      servers.push({ variant, child, port: (await new Promise((resolve) => child.once('message', resolve))).port, samples: [] });
    }
    for (const server of servers) await load(server.port, requests / 2);
    for (let round = 0; round < rounds; round++) {
      // Alternating order, so that drift hits both alike.
      for (const server of round % 2 ? [...servers].reverse() : servers) {
        const before = await cpuOf(server.child);
        await load(server.port, requests);
        server.samples.push((await cpuOf(server.child) - before) / requests);
      }
    }
  } finally {
    for (const server of servers) server.child.kill();
  }
  const [none, three] = servers.map((server) => median(server.samples));
  console.log(`Node ${process.version}: server CPU per request over HTTP, median of ${rounds} rounds of ${requests} requests`);
  console.log('');
  console.log('| app | µs of CPU per request |');
  console.log('|---|---|');
  for (const server of servers) console.log(`| ${VARIANTS[server.variant]} | ${median(server.samples).toFixed(1)} |`);
  console.log('');
  const delta = three - none;
  console.log(`Three properties added to req: ${delta < 0 ? '−' : '+'}${Math.abs(delta).toFixed(1)} µs per request (${(three / none).toFixed(2)}×).`);
}
