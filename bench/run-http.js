'use strict';
// `node bench/run-http.js [--quick] [--store memory|async|redis]…`
// Over HTTP on loopback: one Express app per implementation and store mode, each
// in its own process, loaded by autocannon from this process in rounds that
// alternate their order; then the latency of one request at a time. Redis runs
// in a redis-server this benchmark starts on a free loopback port.
const { fork } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const autocannon = require('autocannon');
const { scenarios } = require('./scenarios');
const { STORE_MODES } = require('./stores');
const { startRedis } = require('./redis-server');
const { sequentialLatencies } = require('./http-latency');
const { HTTP, check, format } = require('./targets');

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 4;
const DURATION = quick ? 1 : 3;
const CONNECTIONS = 16;
const LATENCY_ROUNDS = quick ? 2 : 3;
const LATENCY_REQUESTS = quick ? 300 : 1000;

const byId = (id) => scenarios.find((scenario) => scenario.id === id);
const KIND_TITLES = {
  'ours': 'ours', 'express-session': 'express-session', 'none': 'no session', 'raw-get': 'raw GET, no session',
  'store-only': 'store calls alone',
};

/** What is measured: each group's servers are loaded one after the other, in alternating order. */
const GROUPS = [
  { mode: 'memory', scenario: byId('S2'), kinds: ['ours', 'express-session', 'none'] },
  { mode: 'memory', scenario: byId('S1'), kinds: ['ours', 'express-session', 'none'] },
  // `store-only`: the store's get and touch with no session layer, the least
  // express-session's rules cost on that store (no target; it shows how much of
  // the gap to the baseline is the store's own work).
  { mode: 'async', scenario: byId('S2'), kinds: ['ours', 'express-session', 'none', 'store-only'] },
  { mode: 'redis', scenario: byId('S2'), kinds: ['ours', 'express-session', 'raw-get', 'store-only'] },
];

/** Forks one server; `children` collects it so that it is killed however the run ends. */
function start(kind, mode, redisUrl, children) {
  return new Promise((resolve, reject) => {
    const args = [kind, mode, ...(redisUrl ? [redisUrl] : [])];
    const child = fork(path.join(__dirname, 'http-server.js'), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    child.once('message', ({ port }) => resolve({ kind, mode, child, port }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench server ${kind} (${mode}) exited with ${code}`)));
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

/**
 * The Cookie header the scenario's client sends (a returning visitor's, from the
 * seed route), after checking that the scenario's request answers as expected
 * (a benchmark of a broken path is worthless).
 */
async function prepareClient(server, scenario) {
  const label = `${server.kind} (${server.mode}) ${scenario.id}`;
  const hasSession = server.kind === 'ours' || server.kind === 'express-session';
  let cookie;
  if (hasSession && scenario.seed) {
    const seeded = await get(server.port, `/${scenario.id}/seed`);
    cookie = seeded.headers['set-cookie']?.[0]?.split(';')[0];
    if (!cookie) throw new Error(`${label}: seeding set no cookie`);
  }
  const headers = cookie ? { cookie } : {};
  const res = await get(server.port, `/${scenario.id}/`, headers);
  if (res.statusCode !== 200) throw new Error(`${label}: status ${res.statusCode}`);
  if (hasSession && Boolean(res.headers['set-cookie']) !== scenario.expect.setCookie) {
    throw new Error(`${label}: Set-Cookie ${res.headers['set-cookie'] ? 'sent' : 'missing'}`);
  }
  return headers;
}

function load(port, urlPath, headers, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}${urlPath}`, connections: CONNECTIONS, duration, headers }, (err, result) => {
      if (err) return reject(err);
      if (result.non2xx || result.errors) return reject(new Error(`${port}${urlPath}: ${result.non2xx} non-2xx, ${result.errors} errors`));
      resolve(result.requests);
    });
  });
}

/** The CPU time (µs) the server's process has spent so far (http-server.js answers over IPC). */
function cpuOf(server) {
  return new Promise((resolve) => {
    server.child.once('message', ({ cpu }) => resolve(cpu));
    server.child.send('cpu');
  });
}

/**
 * One measured load: requests per second, and the server's CPU time per
 * request. The second does not depend on how the load generator and the
 * server share the cores, so it moves far less from run to run.
 */
async function measure(server, urlPath, headers) {
  const before = await cpuOf(server);
  const requests = await load(server.port, urlPath, headers, DURATION);
  const after = await cpuOf(server);
  return { rate: requests.average, cpu: (after - before) / requests.total };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
/** Round-robin order, reversed every other round so that no server always goes first. */
const orderOf = (n, round) => (round % 2 ? [...Array(n).keys()].reverse() : [...Array(n).keys()]);

/** Starts the servers `groups` need (one per kind and store mode) and their clients. */
async function prepare(groups, redisUrl, children) {
  const servers = new Map();
  for (const group of groups) {
    group.servers = [];
    for (const kind of group.kinds) {
      const key = kind === 'none' ? kind : `${kind}/${group.mode}`;
      if (!servers.has(key)) servers.set(key, start(kind, group.mode, redisUrl, children));
      group.servers.push(await servers.get(key));
    }
    group.headers = [];
    for (const server of group.servers) group.headers.push(await prepareClient(server, group.scenario));
  }
}

async function throughput(groups) {
  for (const group of groups) {
    // Warm up (JIT, connection pools) before the first measured round.
    for (const [i, server] of group.servers.entries()) await load(server.port, `/${group.scenario.id}/`, group.headers[i], 1);
    group.rates = group.servers.map(() => []);
    group.cpu = group.servers.map(() => []);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const group of groups) {
      for (const i of orderOf(group.servers.length, round)) {
        const { rate, cpu } = await measure(group.servers[i], `/${group.scenario.id}/`, group.headers[i]);
        group.rates[i].push(rate);
        group.cpu[i].push(cpu);
      }
    }
    process.stderr.write(`  HTTP round ${round + 1}/${ROUNDS} done\n`);
  }
}

async function latency(groups) {
  for (const group of groups) {
    group.latencies = group.servers.map(() => []);
    for (const [i, server] of group.servers.entries()) await sequentialLatencies(server.port, `/${group.scenario.id}/`, group.headers[i], 200);
    for (let round = 0; round < LATENCY_ROUNDS; round++) {
      for (const i of orderOf(group.servers.length, round)) {
        group.latencies[i].push(...await sequentialLatencies(group.servers[i].port, `/${group.scenario.id}/`, group.headers[i], LATENCY_REQUESTS));
      }
    }
  }
}

/**
 * Runs the groups of the given store modes; resolves with each group's median
 * requests per second and, for the returning visitor, its latencies.
 */
async function main(modes = Object.keys(STORE_MODES)) {
  let groups = GROUPS.filter((group) => modes.includes(group.mode)).map((group) => ({ ...group }));
  let redis;
  const skipped = [];
  if (modes.includes('redis')) {
    redis = await startRedis();
    if (redis.skip) {
      skipped.push(`connect-redis: ${redis.skip}`);
      groups = groups.filter((group) => group.mode !== 'redis');
      redis = undefined;
    }
  }
  const children = [];
  try {
    await prepare(groups, redis?.url, children);
    await throughput(groups);
    await latency(groups.filter((group) => group.scenario.id === 'S2'));
  } finally {
    for (const child of children) child.kill();
    await redis?.stop();
  }
  return {
    skipped,
    groups: groups.map((group) => ({
      mode: group.mode,
      scenario: group.scenario,
      kinds: group.kinds,
      rates: group.rates.map(median),
      cpu: group.cpu.map(median),
      latencies: group.latencies?.map((xs) => ({ p50: quantile(xs, 0.5), p99: quantile(xs, 0.99) })),
    })),
  };
}

/** The targets of a returning-visitor group, `{ vsSession, vsBaseline }` (none for the other scenarios). */
function targetsOf(group) {
  if (group.scenario.id !== 'S2') return {};
  const [ours, theirs, baseline] = group.rates;
  const limits = HTTP[group.mode];
  const label = `${group.mode}, HTTP returning visitor: ours ÷`;
  return {
    vsSession: check(`${label} express-session`, ours / theirs, '>=', limits.vsSession),
    vsBaseline: limits.vsBaseline ? check(`${label} ${KIND_TITLES[group.kinds[2]]}`, ours / baseline, '>=', limits.vsBaseline) : undefined,
  };
}

/** Markdown per store mode (throughput and latency tables) and every checked target. */
function report({ groups, skipped }) {
  const sections = {};
  const targets = [];
  for (const mode of Object.keys(STORE_MODES)) {
    const mine = groups.filter((group) => group.mode === mode);
    if (!mine.length) continue;
    const baseline = KIND_TITLES[mine[0].kinds[2]];
    const floor = mine.some((group) => group.kinds[3]) ? KIND_TITLES[mine.find((group) => group.kinds[3]).kinds[3]] : undefined;
    const lines = [
      `| scenario | ours req/s | express-session req/s | ${baseline} req/s |${floor ? ` ${floor} req/s |` : ''} ours ÷ express-session | ours ÷ ${baseline} |${floor ? ` ${floor} ÷ ${baseline} |` : ''}`,
      `|---|---|---|---|---|---|${floor ? '---|---|' : ''}`,
    ];
    for (const group of mine) {
      const [ours, theirs, base, storeOnly] = group.rates;
      const { vsSession, vsBaseline } = targetsOf(group);
      targets.push(...[vsSession, vsBaseline].filter(Boolean));
      const cell = (value, target) => `${value.toFixed(2)}×${target ? ` (≥ ${target.limit} ${target.pass ? 'PASS' : 'MISS'})` : ''}`;
      const floorCells = (first) => (!floor ? '' : storeOnly === undefined ? ' |' : first ? ` ${storeOnly.toFixed(0)} |` : ` ${cell(storeOnly / base)} |`);
      lines.push(`| ${group.scenario.id} ${group.scenario.title} | ${ours.toFixed(0)} | ${theirs.toFixed(0)} | ${base.toFixed(0)} |${floorCells(true)} ${cell(ours / theirs, vsSession)} | ${cell(ours / base, vsBaseline)} |${floorCells(false)}`);
    }
    lines.push('', 'Server CPU time per request (µs, median of the same rounds; what each request costs the server, '
      + 'steadier than req/s on a machine where the load generator shares the cores; no target is judged on it):', '');
    lines.push(`| scenario | ${mine[0].kinds.map((kind) => KIND_TITLES[kind]).join(' | ')} | express-session ÷ ours | ${baseline} ÷ ours |`);
    lines.push(`|---|${mine[0].kinds.map(() => '---|').join('')}---|---|`);
    for (const group of mine) {
      const cells = group.kinds.map((_kind, i) => (group.cpu[i] === undefined ? '' : group.cpu[i].toFixed(1)));
      lines.push(`| ${group.scenario.id} | ${cells.join(' | ')} | ${(group.cpu[1] / group.cpu[0]).toFixed(2)}× | ${(group.cpu[2] / group.cpu[0]).toFixed(2)}× |`);
    }
    const timed = mine.find((group) => group.latencies);
    if (timed) {
      const base = timed.latencies[2].p50;
      lines.push('', 'Latency of the returning visitor (S2), one request at a time on one keep-alive connection:', '');
      lines.push(`| app | p50 µs | p99 µs | p50 over ${baseline} |`, '|---|---|---|---|');
      timed.latencies.forEach(({ p50, p99 }, i) => {
        lines.push(`| ${KIND_TITLES[timed.kinds[i]]} | ${p50.toFixed(0)} | ${p99.toFixed(0)} | ${i === 2 ? '' : `+${(p50 - base).toFixed(0)} µs`} |`);
      });
    }
    sections[mode] = lines.join('\n');
  }
  return { sections, targets, skipped, pass: targets.every((target) => target.pass) && !skipped.length };
}

module.exports = { main, report };

if (require.main === module) {
  const modes = process.argv.flatMap((arg, i) => (process.argv[i - 1] === '--store' ? [arg] : []));
  main(modes.length ? modes : undefined).then((results) => {
    const { sections, targets, skipped, pass } = report(results);
    for (const [mode, markdown] of Object.entries(sections)) console.log(`\n${STORE_MODES[mode].title}:\n\n${markdown}`);
    console.log(`\n${[...targets.map(format), ...skipped.map((reason) => `SKIPPED  ${reason}`)].join('\n')}`);
    process.exitCode = pass ? 0 : 1;
  }, (err) => { console.error(err); process.exitCode = 1; });
}
