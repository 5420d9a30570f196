// The `npm test` reporter, run on a small fixture: no line per passing test, each
// failure with its place and error, skips with their reasons, and the counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..');

function runFixture(reporter: string) {
  return spawnSync(process.execPath, ['--test', `--test-reporter=${reporter}`, 'test/fixtures/reporter/sample.mjs'], {
    cwd: root,
    encoding: 'utf8',
    // Without NODE_TEST_CONTEXT: this file's own runner set it, and the child would report to it, not to its reporter.
    env: { ...process.env, NODE_V8_COVERAGE: '', NODE_TEST_CONTEXT: undefined },
  });
}

test('a concise summary: dots, the failure in detail, the skip, the counts', () => {
  const run = runFixture('./test/summary-reporter.mjs');
  assert.equal(run.status, 1, 'a failing test fails the run');
  const out = run.stdout;
  const lines = out.split('\n');
  assert.equal(lines[0], '.xs.', 'one mark per test, in order');
  assert.ok(lines.includes('  - test/fixtures/reporter/sample.mjs:11:3 › a suite › is skipped (no redis-server)'), out);
  assert.ok(lines.includes('1) test/fixtures/reporter/sample.mjs:7:3 › a suite › fails'), out);
  assert.match(out, /AssertionError \[ERR_ASSERTION\]: Expected values to be strictly deep-equal:[\s\S]*views: 2/);
  assert.match(out, /output of test\/fixtures\/reporter\/sample\.mjs .*\n {3}printed by the failing file\n/);
  assert.doesNotMatch(out, /node:internal/);
  assert.doesNotMatch(out, /passes/, 'passing tests are not listed');
  for (const count of ['# tests 4', '# suites 1', '# pass 2', '# fail 1', '# skipped 1']) {
    assert.ok(lines.includes(count), `${count} in\n${out}`);
  }
});

test('the TAP reporter, for npm run test:tap, still lists every test', () => {
  const out = runFixture('tap').stdout;
  for (const name of ['passes', 'fails', 'is skipped', 'passes at the top']) assert.match(out, new RegExp(`(not )?ok \\d+ - ${name}`));
});
