// Every JavaScript sample of README.md and docs/*.md runs here, read from the
// documents themselves: each in its own Node process (test/helpers/readme-sample-runner.cjs),
// requiring the package by name (the build in dist/, which `npm test` makes first),
// then checked by the steps its `<!-- sample: ... -->` marker lists (see
// test/helpers/readme-samples.ts). A sample fails the test when it throws, crashes
// (an unhandled rejection included), or a step does not hold. Samples that need
// Redis or PostgreSQL run against real servers (test/integration/servers.ts):
// skipped with the reason where the binaries are missing, a failure under CI=true.
//
// CI runs this file once, not again on each Node version (.ci/run lists it as
// Node-independent): a check whose result can depend on Node belongs in another
// test file, or takes this one off that list.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readSamples, type Sample } from './helpers/readme-samples.js';
import { isSkip, startPostgres, startRedis, type PostgresServer, type RedisServer, type Skip } from './integration/servers.js';

const root = path.resolve(__dirname, '..');
const runner = path.join(__dirname, 'helpers', 'readme-sample-runner.cjs');
const docs = path.join(root, 'docs');
const documents = ['README.md', ...(fs.existsSync(docs) ? fs.readdirSync(docs) : []).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`)];

interface Outcome {
  code: number | null;
  output: string;
}

/** Runs `code` as a file of its own in a fresh temporary directory (its cwd). */
async function runSample(code: string, sample: Pick<Sample, 'env' | 'express5' | 'appWithSession' | 'steps'>, env: Record<string, string> = {}): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esc-sample-'));
  try {
    const file = path.join(dir, 'sample.js');
    fs.writeFileSync(file, code);
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...env,
      ...sample.env,
      NODE_ENV: 'test', // Express's final handler does not log the errors a step expects
      SAMPLE_OPTIONS: JSON.stringify({ express5: sample.express5, appWithSession: sample.appWithSession, steps: sample.steps }),
    };
    // c8 could not map the child's dist/ code to src/; see test/package.test.ts.
    // Empty, not deleted: Node puts a deleted NODE_V8_COVERAGE back into a child's environment.
    childEnv.NODE_V8_COVERAGE = '';
    const child = spawn(process.execPath, [runner, file], { cwd: dir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code_ = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code: code_, output };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// The servers, started once, on the first sample that needs them.
let redis: Promise<RedisServer | Skip> | undefined;
let postgres: Promise<PostgresServer | Skip> | undefined;
after(async () => {
  for (const server of [await redis, await postgres]) if (server && !isSkip(server)) await server.stop();
});

async function serverEnv(sample: Sample): Promise<Record<string, string> | Skip> {
  const env: Record<string, string> = {};
  for (const need of sample.needs) {
    if (need === 'redis') {
      const server = await (redis ??= startRedis());
      if (isSkip(server)) return server;
      env.REDIS_URL = server.url;
    } else {
      const server = await (postgres ??= startPostgres());
      if (isSkip(server)) return server;
      env.DATABASE_URL = server.connectionString;
    }
  }
  return env;
}

test('dist/ is built (the samples require the package by name)', () => {
  assert.ok(fs.existsSync(path.join(root, 'dist', 'index.js')), 'dist/index.js is missing: run `npm run build` before this test (npm test does)');
});

for (const document of documents) {
  const samples = readSamples(fs.readFileSync(path.join(root, document), 'utf8'));
  describe(`${document} samples`, { concurrency: 2 }, () => {
    for (const sample of samples) {
      const firstLine = sample.code.split('\n').find((line) => line.trim() && !line.startsWith('//'))?.trim() ?? '';
      test(`${document}:${sample.line} ${firstLine.slice(0, 60)}`, async (t) => {
        if (sample.skip !== undefined) {
          t.skip(sample.skip);
          return;
        }
        const env = await serverEnv(sample);
        if (isSkip(env)) {
          t.skip(env.skip);
          return;
        }
        const { code, output } = await runSample(sample.code, sample, env);
        assert.equal(code, 0, `the sample at ${document}:${sample.line} failed:\n${output}`);
      });
    }
  });
}

describe('the sample harness', () => {
  test('reads js blocks and their markers, and refuses an unknown directive', () => {
    const samples = readSamples([
      '```sh', 'npm test', '```',
      '<!-- sample: env A=1 B=x=y; GET / -> 302 "Found"; counter -->', '',
      '```js', 'a();', '```',
      '<!-- sample: fragment of the previous; store fails: get, set; POST /login user=ann -> 500 -->',
      '```javascript', '  b();', '```',
      '<!-- sample: skip (needs a browser) -->', '```js', 'c();', '```',
    ].join('\n'));
    assert.equal(samples.length, 3);
    assert.deepEqual(samples[0]!.env, { A: '1', B: 'x=y' });
    assert.deepEqual(samples[0]!.steps, [
      { kind: 'request', method: 'GET', path: '/', body: undefined, status: 302, text: 'Found' },
      { kind: 'counter' },
    ]);
    assert.equal(samples[1]!.code, 'a();\nb();');
    assert.deepEqual(samples[1]!.steps, [
      { kind: 'store-fails', methods: ['get', 'set'] },
      { kind: 'request', method: 'POST', path: '/login', body: 'user=ann', status: 500, text: undefined },
    ]);
    assert.equal(samples[2]!.skip, 'needs a browser');
    assert.throws(() => readSamples('<!-- sample: run it somehow -->\n```js\nx\n```\n'), /line 2: unknown sample directive: run it somehow/);
    assert.throws(() => readSamples('<!-- sample: skip -->\n```js\nx\n```\n'), /unknown sample directive: skip/);
  });

  const none = { env: {}, express5: false, appWithSession: false, steps: [] };
  const expressApp = "const app = require('express')();\n";

  test('a sample that throws, or names what is not defined, fails', async () => {
    assert.notEqual((await runSample("throw new Error('boom');", none)).code, 0);
    assert.match((await runSample('notDefinedAnywhere();', none)).output, /ReferenceError: notDefinedAnywhere is not defined/);
  });

  test('a response that is not the one expected fails', async () => {
    const code = `${expressApp}app.get('/', (req, res) => res.status(500).send('no'));`;
    const failed = await runSample(code, { ...none, steps: readSamples('<!-- sample: GET / -->\n```js\n\n```').at(0)!.steps });
    assert.notEqual(failed.code, 0);
    assert.match(failed.output, /GET \/: status 500, expected 2xx/);
  });

  test('an async handler whose store call fails crashes an Express 4 app, and fails the sample', async () => {
    const code = `${expressApp}app.use(session({ secret, resave: false, saveUninitialized: false }));\n`
      + "app.post('/logout', async (req, res) => { await req.session.destroy(); res.redirect('/'); });";
    const steps = readSamples('<!-- sample: store fails: destroy; POST /logout -> 500 -->\n```js\n\n```').at(0)!.steps;
    const crashed = await runSample(code, { ...none, steps });
    assert.notEqual(crashed.code, 0);
    assert.match(crashed.output, /store destroy failed/);
  });

  test('a session that does not persist fails the counter', async () => {
    const code = `${expressApp}app.use((req, res, next) => { req.session = {}; next(); });`;
    const failed = await runSample(code, { ...none, steps: [{ kind: 'counter' }] });
    assert.notEqual(failed.code, 0);
    assert.match(failed.output, /the session did not persist/);
  });
});
