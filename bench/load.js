'use strict';
// Load check (not a benchmark of speed): an Express app with the session
// middleware (from dist, as published) on 127.0.0.1, 50 concurrent clients ×
// 40 sequential keep-alive requests, each client counting in its own session.
// Passes when every counter equals its request count, nothing failed, and the
// server's heap after GC returns near where it started. Exit code 1 otherwise.
//
//   npm run load     (builds first; runs node --expose-gc bench/load.js)
//
// The server runs in a child process so that its heap is measured alone.
const http = require('node:http');
const { fork } = require('node:child_process');

const CLIENTS = Number(process.env.LOAD_CLIENTS) || 50;
const REQUESTS = Number(process.env.LOAD_REQUESTS) || 40;
/** How far above the start the heap may end, after GC: allocation caches, JIT feedback, the 50 sessions. */
const HEAP_SLACK_MB = 5;
const MB = 1024 * 1024;

if (process.argv[2] === '--server') {
  runServer();
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

// --- server (child process) ---------------------------------------------------

function runServer() {
  const express = require('express');
  const session = require('..');

  const app = express();
  app.use(session({ secret: 'load secret', resave: false, saveUninitialized: false }));
  app.get('/count', (req, res) => {
    req.session.count = (req.session.count || 0) + 1;
    res.type('text').send(String(req.session.count));
  });

  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 20);

  const server = app.listen(0, '127.0.0.1', () => {
    process.send({ type: 'listening', port: server.address().port });
  });

  process.on('message', (message) => {
    if (message.type === 'gc') {
      // Twice: the first pass can leave finalizable garbage for the second.
      global.gc();
      global.gc();
      const heapUsed = process.memoryUsage().heapUsed;
      if (message.resetPeak) peak = heapUsed;
      process.send({ type: 'heap', heapUsed, peak: Math.max(peak, heapUsed) });
    } else if (message.type === 'close') {
      clearInterval(sampler);
      server.close(() => process.exit(0));
      server.closeAllConnections();
    }
  });
}

// --- clients (parent process) -------------------------------------------------

async function main() {
  const child = fork(__filename, ['--server'], { execArgv: ['--expose-gc'], stdio: 'inherit' });
  const replies = [];
  const waiting = [];
  child.on('message', (message) => {
    const resolve = waiting.shift();
    if (resolve) resolve(message);
    else replies.push(message);
  });
  const nextMessage = () => (replies.length ? Promise.resolve(replies.shift()) : new Promise((resolve) => waiting.push(resolve)));
  const heap = async (resetPeak) => {
    child.send({ type: 'gc', resetPeak });
    return nextMessage();
  };

  const { port } = await nextMessage();

  // Warm up (lazy requires, JIT) before the baseline, with throwaway sessions
  // so that the baseline holds a few sessions, as the end will.
  await runClients(port, 5, 5);
  const start = await heap(true);

  const started = process.hrtime.bigint();
  const results = await runClients(port, CLIENTS, REQUESTS);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  // Let the server see the clients' sockets close before measuring.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const end = await heap(false);
  child.send({ type: 'close' });
  await new Promise((resolve) => child.on('exit', resolve));

  const total = CLIENTS * REQUESTS;
  const errors = results.reduce((sum, r) => sum + r.errors.length, 0);
  const wrongCounters = results.filter((r) => r.counter !== REQUESTS);
  const growthMb = (end.heapUsed - start.heapUsed) / MB;

  console.log('| requests | errors | req/s | heap start | heap peak | heap after GC |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(`| ${total} (${CLIENTS} clients × ${REQUESTS}) | ${errors} | ${Math.round(total / seconds)} | `
    + `${mb(start.heapUsed)} | ${mb(end.peak)} | ${mb(end.heapUsed)} |`);

  const failures = [];
  if (errors) failures.push(`${errors} request errors, e.g. ${results.find((r) => r.errors.length).errors[0]}`);
  if (wrongCounters.length) {
    failures.push(`${wrongCounters.length} clients ended with a wrong counter, e.g. ${wrongCounters[0].counter} instead of ${REQUESTS}`);
  }
  if (growthMb > HEAP_SLACK_MB) failures.push(`heap after GC grew by ${growthMb.toFixed(1)} MB (more than ${HEAP_SLACK_MB} MB)`);
  if (failures.length) {
    console.error(`\nFAIL\n- ${failures.join('\n- ')}`);
    process.exit(1);
  }
  console.log(`\nOK: every counter reached ${REQUESTS}; heap after GC within ${growthMb.toFixed(1)} MB of its start.`);
}

function mb(bytes) {
  return `${(bytes / MB).toFixed(1)} MB`;
}

function runClients(port, clients, requests) {
  return Promise.all(Array.from({ length: clients }, () => runClient(port, requests)));
}

/** One client: its own keep-alive connection and cookie, `requests` sequential requests. */
async function runClient(port, requests) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const errors = [];
  let cookie;
  let counter = 0;
  try {
    for (let i = 1; i <= requests; i++) {
      try {
        const res = await get(agent, port, cookie);
        const setCookie = res.headers['set-cookie'];
        if (setCookie) cookie = setCookie[0].split(';')[0];
        if (res.status !== 200) errors.push(`status ${res.status}: ${res.body}`);
        else if (res.body !== String(i)) errors.push(`request ${i} answered ${res.body}`);
        else counter = i;
      } catch (err) {
        errors.push(String(err));
      }
    }
  } finally {
    agent.destroy();
  }
  return { counter, errors };
}

function get(agent, port, cookie) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/count', agent, headers: cookie ? { cookie } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
