'use strict';
// Over HTTP on loopback: the same Express app in one process per implementation,
// loaded by autocannon from this process, rounds alternating between them.
const { fork } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const autocannon = require('autocannon');

const KINDS = ['ours', 'express-session', 'none'];
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 5;
const DURATION = quick ? 2 : 4;
const CONNECTIONS = 16;

function start(kind) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'http-server.js'), [kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', ({ port }) => resolve({ kind, child, port }));
    child.once('error', reject);
  });
}

function get(port, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    }).on('error', reject);
  });
}

/** A returning visitor's cookie, checked to resume the session (a benchmark of a broken path is worthless). */
async function returningCookie(server) {
  if (server.kind === 'none') return undefined;
  const first = await get(server.port, '/');
  const cookie = first.headers['set-cookie']?.[0]?.split(';')[0];
  if (!cookie) throw new Error(`${server.kind}: no session cookie`);
  const again = await get(server.port, '/returning', { cookie });
  if (again.statusCode !== 200 || again.headers['set-cookie']) throw new Error(`${server.kind}: session not resumed`);
  return cookie;
}

function load(port, urlPath, headers) {
  return new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}${urlPath}`, connections: CONNECTIONS, duration: DURATION, headers }, (err, result) => {
      if (err) return reject(err);
      if (result.non2xx || result.errors) return reject(new Error(`${port}${urlPath}: ${result.non2xx} non-2xx, ${result.errors} errors`));
      resolve(result.requests.average);
    });
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function main() {
  const servers = [];
  for (const kind of KINDS) servers.push(await start(kind));
  try {
    const scenarios = [
      { id: 'returning', title: 'returning visitor (read-only)', path: '/returning' },
      { id: 'new', title: 'new visitor (saveUninitialized)', path: '/' },
    ];
    const rows = [];
    for (const scenario of scenarios) {
      const cookies = scenario.id === 'returning' ? await Promise.all(servers.map(returningCookie)) : servers.map(() => undefined);
      const rates = servers.map(() => []);
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate the order each round so that neither side always runs first.
        const order = round % 2 ? [...servers.keys()].reverse() : [...servers.keys()];
        for (const i of order) {
          const headers = cookies[i] ? { cookie: cookies[i] } : {};
          rates[i].push(await load(servers[i].port, scenario.path, headers));
        }
      }
      const [ours, theirs, none] = rates.map(median);
      process.stderr.write(`${scenario.id}: ours ${ours.toFixed(0)} req/s, express-session ${theirs.toFixed(0)}, no session ${none.toFixed(0)}\n`);
      rows.push({ scenario, ours, theirs, none });
    }
    return rows;
  } finally {
    for (const s of servers) s.child.kill();
  }
}

function report(rows) {
  const lines = ['| scenario | ours req/s | express-session req/s | no session req/s | ours ÷ express-session | ours ÷ no session |', '|---|---|---|---|---|---|'];
  let pass = true;
  for (const { scenario, ours, theirs, none } of rows) {
    const vsTheirs = ours / theirs;
    const vsNone = ours / none;
    const checks = scenario.id === 'returning' ? [vsTheirs >= 1.3, vsNone >= 0.85] : [true, true];
    pass &&= checks.every(Boolean);
    const mark = (ok) => (ok ? '✓' : '✗');
    lines.push(`| ${scenario.title} | ${ours.toFixed(0)} | ${theirs.toFixed(0)} | ${none.toFixed(0)} | ${vsTheirs.toFixed(2)}×${scenario.id === 'returning' ? ` (≥ 1.3 ${mark(checks[0])})` : ''} | ${vsNone.toFixed(2)}×${scenario.id === 'returning' ? ` (≥ 0.85 ${mark(checks[1])})` : ''} |`);
  }
  return { markdown: lines.join('\n'), pass };
}

module.exports = { main, report };

if (require.main === module) {
  main().then((rows) => {
    const { markdown, pass } = report(rows);
    console.log(markdown);
    process.exitCode = pass ? 0 : 1;
  }, (err) => { console.error(err); process.exitCode = 1; });
}
