'use strict';
// `node --cpu-prof --cpu-prof-dir=<dir> bench/profile.js <S1..S6> [express-session]`: one scenario, one
// implementation, for a CPU profile; `node bench/profile.js --summary <file.cpuprofile>` prints the top self times.
// `node bench/profile.js --alloc <S1..S6> [express-session]`: bytes allocated per request, by function
// (V8's sampling heap profiler, counting objects already collected too).
// STORE=async (default memory) profiles on the benchmark's async store instead of the built-in one.
const fs = require('node:fs');
const path = require('node:path');

if (process.argv[2] === '--summary') {
  const profile = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  const dt = profile.timeDeltas.reduce((a, b) => a + b, 0) / profile.samples.length;
  const self = new Map();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${path.basename(url || '')}:${lineNumber + 1}`;
    self.set(key, (self.get(key) || 0) + (node.hitCount || 0));
  }
  const total = profile.samples.length;
  for (const [key, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    console.log(`${(100 * hits / total).toFixed(1).padStart(5)}%  ${(hits * dt / 1000).toFixed(0).padStart(6)} ms  ${key}`);
  }
  return;
}

if (process.argv[2] === '--alloc') {
  allocations(process.argv[3] || 'S2', process.argv[4] === 'express-session').catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
  return;
}

const { runRequest, sinkSocket, prepareScenario } = require('./in-process');
const { scenarios } = require('./scenarios');
const scenario = scenarios.find((s) => s.id === (process.argv[2] || 'S2'));
const session = process.argv[3] === 'express-session' ? require('express-session') : require('..');

(async () => {
  const { handler, cookie } = await prepareScenario(session, scenario, process.env.STORE || 'memory');
  let left = Number(process.env.REQUESTS || 100000);
  await Promise.all(Array.from({ length: 32 }, async () => {
    const socket = sinkSocket();
    while (left-- > 0) await runRequest(handler, cookie, socket);
  }));
})();

async function allocations(id, theirs) {
  const inspector = require('node:inspector/promises');
  const { runRequest, sinkSocket, prepareScenario } = require('./in-process');
  const { scenarios } = require('./scenarios');
  const scenario = scenarios.find((s) => s.id === id);
  const { handler, cookie } = await prepareScenario(theirs ? require('express-session') : require('..'), scenario, process.env.STORE || 'memory');
  const socket = sinkSocket();
  for (let i = 0; i < 5000; i++) await runRequest(handler, cookie, socket);

  const profiler = new inspector.Session();
  profiler.connect();
  await profiler.post('HeapProfiler.startSampling', {
    samplingInterval: 128, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true,
  });
  const N = 20000;
  for (let i = 0; i < N; i++) await runRequest(handler, cookie, socket);
  const { profile } = await profiler.post('HeapProfiler.stopSampling');
  const self = new Map();
  let total = 0;
  (function walk(node) {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${path.basename(url || '')}:${lineNumber + 1}`;
    total += node.selfSize;
    self.set(key, (self.get(key) || 0) + node.selfSize);
    for (const child of node.children) walk(child);
  })(profile.head);
  console.log(`${id} ${theirs ? 'express-session' : 'express-session-cn'}: ${Math.round(total / N)} bytes per request (harness included)`);
  for (const [key, bytes] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    console.log(`${String(Math.round(bytes / N)).padStart(7)} B  ${key}`);
  }
}
