'use strict';
// `npm run bench`: the in-process and the HTTP benchmark, printed and written as
// Markdown to bench/RESULTS.md and into the README's performance section.
// Exit code 1 when a target is missed. `--quick` for fewer, shorter samples.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const quick = process.argv.includes('--quick');
const root = path.join(__dirname, '..');

function inProcess() {
  const args = [path.join(__dirname, 'run-in-process.js')];
  if (quick) args.push('--quick');
  try {
    return { markdown: execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }), pass: true };
  } catch (err) {
    if (typeof err.stdout === 'string' && err.stdout.includes('|')) return { markdown: err.stdout, pass: false };
    throw err;
  }
}

async function main() {
  const started = new Date().toISOString().slice(0, 10);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  process.stderr.write('in-process benchmark…\n');
  const local = inProcess();
  process.stderr.write('HTTP benchmark…\n');
  const httpBench = require('./run-http');
  const http = httpBench.report(await httpBench.main());
  process.stderr.write('read-only request with a slower store…\n');
  const touchWait = await require('./touch-wait').main();

  const markdown = [
    `Measured ${started} on ${cpu} (${os.cpus().length} cores), Node ${process.version}, by \`npm run bench\`${quick ? ' (quick)' : ''}.`,
    '',
    '**In-process** (real `IncomingMessage`/`ServerResponse` objects, one request at a time, default MemoryStore, implementations interleaved; ratios are ours ÷ express-session 1.19.0 over paired samples, median with the 10th–90th percentile; the session-layer cost is each sample minus the no-session sample of the same round, i.e. what the middleware itself adds; targets, judged on that cost: time ≤ 0.5× in S2, S5, S6 and ≤ 0.7× everywhere, bytes ≤ 0.6×):',
    '',
    local.markdown.split('\n').filter((line) => !line.startsWith('Machine:')).join('\n').trim(),
    '',
    `**Over HTTP** (an Express 4 app per implementation, autocannon with 16 connections from another process, median of alternating rounds; targets for the returning visitor: ≥ 1.3× express-session and ≥ 0.85× no session):`,
    '',
    http.markdown,
    '',
    touchWait,
  ].join('\n');

  console.log(markdown);
  fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), `# Benchmark results\n\n${markdown}\n`);
  const readmePath = path.join(root, 'README.md');
  const readme = fs.readFileSync(readmePath, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  if (readme.includes(start) && readme.includes(end)) {
    const updated = readme.slice(0, readme.indexOf(start) + start.length) + '\n' + markdown + '\n' + readme.slice(readme.indexOf(end));
    fs.writeFileSync(readmePath, updated);
  }
  const pass = local.pass && http.pass;
  if (!pass) console.error('\nSome targets were missed (✗ above).');
  process.exitCode = pass ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
