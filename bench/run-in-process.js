'use strict';
// `node bench/run-in-process.js [--store memory|async] [--quick] [--concurrency N] [--json]`
// The six scenarios on one store mode (stores.js), one request at a time by
// default: the cost of a request with no queueing in the figure (the HTTP
// benchmark measures throughput under concurrency).
// Time and allocation are measured in two child processes: bytes need a young
// generation big enough that a sample sees no GC, which would slow the timing.
// `--json` prints `{ markdown, targets }` for run.js instead of the Markdown.
const os = require('node:os');
const { execFileSync } = require('node:child_process');
const { runRequest, runChecked, gcCounter, sinkSocket, prepareScenario } = require('./in-process');
const { scenarios } = require('./scenarios');
const { STORE_MODES } = require('./stores');
const { inProcessLimit, check, format } = require('./targets');

const implementations = [
  { name: 'express-session-cn', session: require('..') },
  { name: 'express-session', session: require('express-session') },
  { name: 'no session', session: null },
];

const argument = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
};
const quick = process.argv.includes('--quick');
const STORE = argument('--store', 'memory');
const CHILD = argument('--child', undefined);
// Allocation is steady from sample to sample: fewer samples suffice.
const SAMPLES = CHILD === 'bytes' ? (quick ? 3 : 6) : (quick ? 5 : 12);
const REQUESTS_PER_SAMPLE = 2000;
// Requests each implementation runs before the first sample. Node 24's tiers
// (Maglev, then TurboFan) take about 20,000 of them here to settle, where Node
// 20 needs about 6,000: a shorter warm-up times the compiler, not the code.
const WARM_UP_REQUESTS = quick ? 6000 : 24000;
const CONCURRENCY = Number(argument('--concurrency', 1));

/** Runs the scenario once and checks what a client and the store would observe. */
async function verify(impl, scenario, prepared) {
  if (impl.session) await runChecked(prepared, scenario, `${impl.name} ${scenario.id} (${STORE})`);
}

async function sample(prepared) {
  let started = 0;
  const worker = async () => {
    const socket = sinkSocket();
    while (started < REQUESTS_PER_SAMPLE) {
      started++;
      await runRequest(prepared.handler, prepared.cookie, socket);
    }
  };
  const measureBytes = typeof global.gc === 'function';
  if (measureBytes) global.gc();
  const gcs = gcCounter();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = Number(process.hrtime.bigint() - t0);
  const heapAfter = process.memoryUsage().heapUsed;
  await new Promise((resolve) => setImmediate(resolve));
  const disturbed = !measureBytes || gcs.count > 0;
  gcs.stop();
  return { ns: elapsed / REQUESTS_PER_SAMPLE, bytes: disturbed ? undefined : (heapAfter - heapBefore) / REQUESTS_PER_SAMPLE };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]; };

async function main() {
  const results = [];
  for (const scenario of scenarios) {
    const prepared = [];
    for (const impl of implementations) {
      const p = await prepareScenario(impl.session, scenario, STORE);
      await verify(impl, scenario, p);
      prepared.push(p);
    }
    // Warm up, then interleave samples: A B C A B C …
    for (const p of prepared) {
      for (let i = 0; i < WARM_UP_REQUESTS; i++) await runRequest(p.handler, p.cookie);
      // New visitors fill the store during the warm-up too.
      if (p.store && scenario.id === 'S1') p.store.clear();
    }
    const runs = prepared.map(() => ({ ns: [], bytes: [] }));
    for (let s = 0; s < SAMPLES; s++) {
      for (let i = 0; i < prepared.length; i++) {
        const r = await sample(prepared[i]);
        runs[i].ns.push(r.ns);
        if (r.bytes !== undefined) runs[i].bytes.push(r.bytes);
        // New visitors fill the store: empty it between samples so that every sample starts alike.
        if (prepared[i].store && scenario.id === 'S1') prepared[i].store.clear();
      }
    }
    // Check again after timing: the path measured is still the right one.
    for (let i = 0; i < implementations.length; i++) await verify(implementations[i], scenario, prepared[i]);
    results.push({ scenario, runs });
    const row = runs.map((r, i) => `${implementations[i].name}: ${(median(r.ns) / 1000).toFixed(2)} µs`).join('  ');
    process.stderr.write(`  ${STORE} ${CHILD ?? ''} ${scenario.id} ${row}\n`);
  }
  return results;
}

function ratio(oursSamples, theirsSamples) {
  // Ratios of paired, interleaved samples: their spread says how steady the figure is.
  const pairs = oursSamples.map((x, i) => x / theirsSamples[i]).filter(Number.isFinite);
  return { median: median(pairs), low: quantile(pairs, 0.1), high: quantile(pairs, 0.9) };
}

/** Bytes per request, or n/a when a GC disturbed every sample. */
const bytesCell = (bytes) => (Number.isFinite(bytes) ? String(Math.round(bytes)) : 'n/a');

function report(results) {
  const lines = [];
  lines.push(`Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}; ${CONCURRENCY} request(s) in flight; store: ${STORE_MODES[STORE].title}`);
  lines.push('');
  lines.push('| scenario | ours µs/req | express-session µs/req | no session µs/req | session-layer time ratio (p10–p90) | total time ratio | session-layer bytes/req: ours / express-session | bytes ratio |');
  lines.push('|---|---|---|---|---|---|---|---|');
  const targets = [];
  for (const { scenario, runs } of results) {
    const [ours, theirs, none] = runs;
    // The session layer's own cost: each sample minus the no-session sample of the same round.
    const t = ratio(ours.ns.map((x, i) => x - none.ns[i]), theirs.ns.map((x, i) => x - none.ns[i]));
    const total = ratio(ours.ns, theirs.ns);
    // Bytes the session layer allocates: each median minus the no-session median.
    const noneBytes = none.bytes.length ? median(none.bytes) : NaN;
    const oursBytes = ours.bytes.length ? median(ours.bytes) - noneBytes : NaN;
    const theirBytes = theirs.bytes.length ? median(theirs.bytes) - noneBytes : NaN;
    const target = check(`${STORE}, in-process ${scenario.id}: session-layer time`, t.median, '<=', inProcessLimit(STORE, scenario.id));
    targets.push(target);
    lines.push(`| ${scenario.id} ${scenario.title} | ${(median(ours.ns) / 1000).toFixed(2)} | ${(median(theirs.ns) / 1000).toFixed(2)} | ${(median(none.ns) / 1000).toFixed(2)} | ${t.median.toFixed(2)}× (${t.low.toFixed(2)}–${t.high.toFixed(2)}) ≤ ${target.limit} ${target.pass ? 'PASS' : 'MISS'} | ${total.median.toFixed(2)}× | ${bytesCell(oursBytes)} / ${bytesCell(theirBytes)} | ${Number.isFinite(oursBytes / theirBytes) ? `${(oursBytes / theirBytes).toFixed(2)}×` : 'n/a'} |`);
  }
  return { markdown: lines.join('\n'), targets, pass: targets.every((target) => target.pass) };
}

module.exports = { main, report };

/** Runs one measuring child and returns its results (scenario ids and samples). */
function child(kind) {
  const flags = kind === 'bytes' ? ['--expose-gc', '--max-semi-space-size=256'] : [];
  const args = [...flags, __filename, '--child', kind, ...process.argv.slice(2).filter((arg) => arg !== '--json')];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20 }));
}

if (require.main === module) {
  if (!STORE_MODES[STORE]?.snapshot) {
    console.error(`--store is invalid: ${STORE} (use memory or async; Redis is measured over HTTP only)`);
    process.exit(2);
  }
  if (CHILD) {
    main().then((results) => {
      process.stdout.write(JSON.stringify(results.map(({ scenario, runs }) => ({ id: scenario.id, runs }))));
    }, (err) => { console.error(err); process.exitCode = 1; });
  } else {
    try {
      process.stderr.write('timing…\n');
      const timing = child('time');
      process.stderr.write('allocation…\n');
      const bytes = child('bytes');
      const results = scenarios.map((scenario, s) => ({
        scenario,
        runs: timing[s].runs.map((run, i) => ({ ns: run.ns, bytes: bytes[s].runs[i].bytes })),
      }));
      const { markdown, targets, pass } = report(results);
      if (process.argv.includes('--json')) {
        console.log(JSON.stringify({ markdown, targets }));
      } else {
        console.log(markdown);
        console.log(`\n${targets.map(format).join('\n')}`);
        process.exitCode = pass ? 0 : 1;
      }
    } catch (err) {
      console.error(err);
      process.exitCode = 1;
    }
  }
}
