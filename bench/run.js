'use strict';
// `npm run bench [-- --quick] [-- --store memory|async|redis …]`: every store mode
// (stores.js), in-process and over HTTP, printed with PASS/MISS per target and
// written as Markdown to bench/RESULTS.md and into the README's performance
// section (only when every mode ran). Exit code 1 when a target is missed.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { STORE_MODES } = require('./stores');
const { format, targetsTable } = require('./targets');

const quick = process.argv.includes('--quick');
const chosen = process.argv.flatMap((arg, i) => (process.argv[i - 1] === '--store' ? [arg] : []));
const modes = chosen.length ? chosen : Object.keys(STORE_MODES);
const unknown = modes.filter((mode) => !STORE_MODES[mode]);
if (unknown.length) {
  console.error(`--store is invalid: ${unknown.join(', ')} (use ${Object.keys(STORE_MODES).join(', ')})`);
  process.exit(2);
}
const IN_PROCESS_MODES = modes.filter((mode) => STORE_MODES[mode]?.snapshot);
const root = path.join(__dirname, '..');

function inProcess(mode) {
  const args = [path.join(__dirname, 'run-in-process.js'), '--store', mode, '--json'];
  if (quick) args.push('--quick');
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
}

const IN_PROCESS_NOTE = 'real `IncomingMessage`/`ServerResponse` objects, one request at a time, implementations interleaved in short samples; '
  + 'ratios are ours ÷ express-session 1.19.0 over paired samples, median with the 10th–90th percentile; the session-layer cost is each sample '
  + 'minus the no-session sample of the same round, i.e. what the middleware itself adds, and the targets are judged on it';
const HTTP_NOTE = 'an Express 4 app per implementation and one baseline app, each in its own process, loaded by autocannon with 16 '
  + 'connections from the benchmark process, median of alternating rounds, with each server\'s CPU time per request; then the returning '
  + 'visitor\'s latency, one request at a time on one keep-alive connection (what a response waits for, e.g. a store\'s touch, shows there)';

function section(mode, local, http) {
  const lines = [`### Store: ${STORE_MODES[mode].title}`, ''];
  if (local) {
    lines.push(`**In-process** (${IN_PROCESS_NOTE}):`, '', local.markdown.split('\n').filter((line) => !line.startsWith('Machine:')).join('\n').trim(), '');
  }
  if (http) lines.push(`**Over HTTP** (${HTTP_NOTE}):`, '', http, '');
  return lines.join('\n');
}

async function main() {
  const started = new Date().toISOString().slice(0, 10);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const loadBefore = os.loadavg()[0];
  const local = {};
  for (const mode of IN_PROCESS_MODES) {
    process.stderr.write(`in-process benchmark, ${STORE_MODES[mode].title}…\n`);
    local[mode] = inProcess(mode);
  }
  process.stderr.write(`HTTP benchmark (${modes.join(', ')})…\n`);
  const httpBench = require('./run-http');
  const http = httpBench.report(await httpBench.main(modes));
  process.stderr.write('read-only request with a slower store…\n');
  const touchWait = await require('./touch-wait').main();
  process.stderr.write('atomic merge against a plain set, on real Redis and PostgreSQL…\n');
  // Its own process: it starts the servers with the test helpers (TypeScript, through tsx).
  const mergeCost = execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'merge-cost.js'), ...(quick ? ['--quick'] : [])], { encoding: 'utf8' }).trim();

  const targets = [...IN_PROCESS_MODES.flatMap((mode) => local[mode].targets), ...http.targets];
  // Judged on the load before the run: the one after is mostly the benchmark's own.
  const busy = loadBefore > os.cpus().length
    ? ` The machine was busy (1-minute load average ${loadBefore.toFixed(1)} before the run, on ${os.cpus().length} cores): these figures are noisy.`
    : '';
  const markdown = [
    `Measured ${started} on ${cpu} (${os.cpus().length} cores), Node ${process.version}, by \`npm run bench\`${quick ? ' (quick)' : ''}.${busy}`,
    'Every figure names the store it was measured with; ours ÷ express-session 1.19.0, side by side in one run.',
    '',
    targetsTable(targets),
    ...http.skipped.map((reason) => `\nSkipped: ${reason}.`),
    '',
    ...modes.map((mode) => section(mode, local[mode], http.sections[mode])),
    '',
    touchWait,
    '',
    '**Atomic merge** (`concurrency: \'merge\'` with `express-session-cn/redis` and `express-session-cn/pg`): the cost of one merged commit against a plain `set` of the same session, store against store:',
    '',
    mergeCost,
  ].join('\n').trim();

  console.log(markdown);
  console.log(`\n${[...targets.map(format), ...http.skipped.map((reason) => `SKIPPED  ${reason}`)].join('\n')}`);
  if (!chosen.length) writeResults(markdown);
  const pass = targets.every((target) => target.pass) && !http.skipped.length;
  if (!pass) console.error('\nSome targets were missed or skipped (MISS / SKIPPED above).');
  process.exitCode = pass ? 0 : 1;
}

function writeResults(markdown) {
  fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), `# Benchmark results\n\n${markdown}\n`);
  const readmePath = path.join(root, 'README.md');
  const readme = fs.readFileSync(readmePath, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  if (readme.includes(start) && readme.includes(end)) {
    const updated = readme.slice(0, readme.indexOf(start) + start.length) + '\n' + markdown + '\n' + readme.slice(readme.indexOf(end));
    fs.writeFileSync(readmePath, updated);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
