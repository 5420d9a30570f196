'use strict';
// What a read-only request waits for with a store that answers after a round
// trip (STORE_MS, as Redis or PostgreSQL over a network would): ours sends the
// response at once and touches after; express-session holds its last byte until
// the touch has answered. Sequential requests over loopback, one process; the
// figure is the median time from request to the end of the response.
const http = require('node:http');
const express = require('express');

const STORE_MS = 5;
const REQUESTS = process.argv.includes('--quick') ? 50 : 200;

function laterStore(session) {
  class LaterStore extends session.MemoryStore {}
  for (const method of ['get', 'set', 'touch', 'destroy']) {
    LaterStore.prototype[method] = function (...args) {
      setTimeout(() => session.MemoryStore.prototype[method].apply(this, args), STORE_MS);
    };
  }
  return new LaterStore();
}

function get(port, headers) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    http.get({ host: '127.0.0.1', port, path: '/', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ res, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    }).on('error', reject);
  });
}

async function measure(session) {
  const app = express();
  app.use(session({ secret: 'benchmark secret', resave: false, saveUninitialized: false, store: laterStore(session) }));
  app.get('/', (req, res) => {
    if (req.session.user === undefined) req.session.user = 'ada';
    res.send('ok');
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  try {
    const { res } = await get(port, {});
    const cookie = res.headers['set-cookie'][0].split(';')[0];
    const times = [];
    for (let i = 0; i < REQUESTS; i++) times.push((await get(port, { cookie })).ms);
    times.sort((a, b) => a - b);
    return times[times.length >> 1];
  } finally {
    server.close();
  }
}

async function main() {
  const ours = await measure(require('..'));
  const theirs = await measure(require('express-session'));
  return [
    `**A read-only request with a store that answers after ${STORE_MS} ms** (a returning visitor, the session unchanged: a touch; ${REQUESTS} sequential requests over loopback, median time to the end of the response):`,
    '',
    '| ours ms | express-session ms |',
    '|---|---|',
    `| ${ours.toFixed(2)} | ${theirs.toFixed(2)} |`,
  ].join('\n');
}

module.exports = { main };

if (require.main === module) {
  main().then(console.log, (err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
