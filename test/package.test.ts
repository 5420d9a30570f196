// The published package, as consumers get it: `npm pack` in a fresh copy of the
// repository (its files as a clone has them: no dist/, so `prepack` must build it),
// the tarball unpacked into a throwaway project, then small consumers
// (test/fixtures/consumers/) that require, import, type-check against and run it:
// CommonJS, ESM, and TypeScript with `module: commonjs` (node10), `node16`,
// `nodenext` and `bundler`.
//
// Nothing is downloaded: the consumer's node_modules links the packed package's
// dependencies, express and the @types from this repo's node_modules, so this
// works offline right after `npm ci`. TypeScript is this repo's own.
//
// CI runs this file once, not again on each Node version (.ci/run lists it as
// Node-independent): a check whose result can depend on Node belongs in another
// test file, or takes this one off that list.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { run, type Run } from './helpers/run-command.js';

const root = path.resolve(__dirname, '..');
const fixtures = path.join(__dirname, 'fixtures', 'consumers');
const tscBin = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const runtimeNames = ['Store', 'Cookie', 'Session', 'MemoryStore', 'getCookieValue', 'unsigncookie'];

function describeRun(what: string, result: Run): string {
  return `${what} exited with ${String(result.code)}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** `tsc -p <project>` with this repo's TypeScript; one `file:line TScode` per diagnostic. */
async function tsc(cwd: string, project: string): Promise<{ result: Run; errors: string[] }> {
  const result = await run(process.execPath, [tscBin, '-p', project, '--pretty', 'false'], cwd);
  const errors: string[] = [];
  for (const match of result.stdout.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+)/gm)) {
    errors.push(`${path.basename(match[1])}:${match[2]} ${match[3]}`);
  }
  return { result, errors };
}

/** Runs a consumer with node and parses the one JSON line it prints. */
async function runConsumer(cwd: string, file: string): Promise<Record<string, unknown>> {
  const result = await run(process.execPath, [file], cwd);
  assert.equal(result.code, 0, describeRun(`node ${file}`, result));
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

function link(target: string, at: string): void {
  assert.ok(fs.existsSync(target), `${target} is missing: run \`npm ci\` in the repository first`);
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.symlinkSync(target, at, 'junction');
}

/**
 * The repository's files as a fresh clone has them (tracked, plus new files not
 * ignored, so uncommitted work is tested too): no dist/, no node_modules.
 */
function copyRepository(to: string): void {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  assert.equal(listed.status, 0, `git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0')) {
    if (file === '' || !fs.existsSync(path.join(root, file))) continue; // deleted, not yet committed
    fs.mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(to, file));
  }
}

/** Lines of a generated file; the line numbers of those marked `// error` are where tsc must fail. */
function source(lines: string[], file: string): { text: string; expected: string[] } {
  const expected = lines.flatMap((line, i) => (line.endsWith('// error') ? [`${file}:${i + 1} TS2322`] : []));
  return { text: `${lines.join('\n')}\n`, expected };
}

// Deliberately wrong code: tsc must reject each marked line and nothing else. The
// augmentation is only in the ESM file; that the CommonJS file sees `views: number`
// too shows both entry points share one SessionData.
const wrongEsm = source([
  "import type express from 'express';",
  "import session from 'express-session-cn';",
  "declare module 'express-session-cn' { interface SessionData { views: number } }",
  "export const middleware = session({ secret: 's' });",
  'export function handler(req: express.Request): void {',
  "  req.session.views = 'x'; // error",
  '  req.sessionID = 42; // error',
  '  req.session.views = 1;',
  '}',
], 'wrong.mts');
const wrongCjs = source([
  "import express = require('express');",
  "import session = require('express-session-cn');",
  "export const app = express().use(session({ secret: 's' }));",
  'export function handler(req: express.Request): void {',
  "  req.session.views = 'x'; // error",
  '  req.sessionID = 42; // error',
  '}',
], 'wrong.cts');
// The fixtures' typed lines, without the augmentation: tsc must reject them, so
// they (and their `@ts-expect-error` lines) check the augmentation, not nothing.
const unaugmented = source([
  "import express = require('express');",
  "import session = require('express-session-cn');",
  "export const app = express().use(session({ secret: 's' }));",
  'export function handler(req: express.Request): void {',
  '  const views: number = (req.session.views ?? 0) + 1; // error',
  '  req.session.views = views; // error',
  '}',
], 'index.ts');

function tsconfig(compilerOptions: Record<string, unknown>, files: string[]): string {
  const base = { target: 'es2022', strict: true, skipLibCheck: true, types: ['node'], noEmit: true };
  return JSON.stringify({ compilerOptions: { ...base, ...compilerOptions }, files }, null, 2);
}

describe('the packed tarball in consumer projects', () => {
  let tmp = '';
  let consumer = '';
  let packedFiles: string[] = [];
  // Started together in before(), awaited by the tests: tsc runs are the slow part.
  const compiles = new Map<string, Promise<{ result: Run; errors: string[] }>>();

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'express-session-cn-pack-'));

    const clone = path.join(tmp, 'clone');
    copyRepository(clone);
    assert.equal(fs.existsSync(path.join(clone, 'dist')), false);
    link(path.join(root, 'node_modules'), path.join(clone, 'node_modules'));
    const pack = await run('npm', ['pack', '--json', '--pack-destination', tmp], clone);
    assert.equal(pack.code, 0, describeRun('npm pack', pack));
    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    packedFiles = packed.files.map((file) => file.path);

    consumer = path.join(tmp, 'consumer');
    const installed = path.join(consumer, 'node_modules', 'express-session-cn');
    fs.mkdirSync(installed, { recursive: true });
    const untar = await run('tar', ['-xzf', path.join(tmp, packed.filename), '-C', installed, '--strip-components=1'], tmp);
    assert.equal(untar.code, 0, describeRun('tar', untar));
    fs.writeFileSync(path.join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n');

    // What `npm install <tarball> express @types/express @types/node` would add, from this repo.
    const packedManifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const links = [...Object.keys(packedManifest.dependencies ?? {}), 'express', '@types/express', '@types/node'];
    for (const name of links) link(path.join(root, 'node_modules', name), path.join(consumer, 'node_modules', name));

    fs.cpSync(fixtures, consumer, { recursive: true });
    const negative = path.join(consumer, 'negative');
    fs.mkdirSync(negative);
    fs.writeFileSync(path.join(negative, 'wrong.mts'), wrongEsm.text);
    fs.writeFileSync(path.join(negative, 'wrong.cts'), wrongCjs.text);
    fs.writeFileSync(path.join(negative, 'tsconfig.json'),
      tsconfig({ module: 'nodenext', moduleResolution: 'nodenext' }, ['wrong.mts', 'wrong.cts']));
    const bare = path.join(consumer, 'unaugmented');
    fs.mkdirSync(bare);
    fs.writeFileSync(path.join(bare, 'index.ts'), unaugmented.text);
    fs.writeFileSync(path.join(bare, 'tsconfig.json'),
      tsconfig({ module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true }, ['index.ts']));

    for (const project of ['ts-cjs', 'ts-node16', 'ts-esm', 'ts-bundler', 'negative', 'unaugmented']) {
      compiles.set(project, tsc(consumer, project));
    }
  });

  after(async () => {
    await Promise.all(compiles.values());
    if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the tarball holds the built entry points and no sources or tests', () => {
    for (const file of ['package.json', 'dist/index.js', 'dist/index.mjs', 'dist/index.d.ts', 'dist/index.d.mts']) {
      assert.ok(packedFiles.includes(file), `${file} is not in the tarball`);
    }
    const strays = packedFiles.filter((file) => !file.startsWith('dist/') && !/^[^/]+\.(md|json)$|^LICENSE$|^docs\/[^/]+\.md$/.test(file));
    assert.deepEqual(strays, []);
    // The docs the README links to travel with it.
    assert.ok(packedFiles.includes('docs/api.md'), 'docs/api.md is not in the tarball');
    // Every file the package's `exports` map names (its values, not its subpath keys) is in the tarball.
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { exports: unknown };
    const targets: string[] = [];
    const collect = (value: unknown): void => {
      if (typeof value === 'string') targets.push(value);
      else if (value !== null && typeof value === 'object') Object.values(value).forEach(collect);
    };
    collect(manifest.exports);
    assert.ok(targets.length >= 5);
    for (const target of targets) {
      const file = target.slice(2);
      assert.ok(packedFiles.includes(file), `exports names ${file}, not packed`);
    }
  });

  test('the packed manifest: CommonJS by declaration, and where the project lives', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(consumer, 'node_modules', 'express-session-cn', 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest.type, 'commonjs');
    const repository = 'https://github.com/express-session-cn/express-session-cn';
    assert.deepEqual(manifest.repository, { type: 'git', url: `git+${repository}.git` });
    assert.equal(manifest.homepage, `${repository}#readme`);
    assert.deepEqual(manifest.bugs, { url: `${repository}/issues` });
    assert.equal((manifest.scripts as Record<string, string>).prepack, 'npm run build');
  });

  test('CommonJS: require() gives the middleware factory with its classes and helpers', async () => {
    const out = await runConsumer(consumer, 'cjs/index.cjs');
    assert.equal(out.resolved, path.join(fs.realpathSync(consumer), 'node_modules', 'express-session-cn', 'dist', 'index.js'));
    assert.equal(out.type, 'function');
    assert.equal(out.name, 'session');
    assert.deepEqual(out.keys, runtimeNames);
    assert.deepEqual(out.types, Object.fromEntries(runtimeNames.map((name) => [name, 'function'])));
    assert.equal(out.memoryStoreIsStore, true);
    assert.equal(out.middlewareArity, 3);
  });

  test('ESM: default and named imports are the very objects require() gives', async () => {
    const out = await runConsumer(consumer, 'esm/index.mjs');
    assert.equal(out.defaultIsRequired, true);
    assert.deepEqual(out.sameAsRequired, Object.fromEntries(runtimeNames.map((name) => [name, true])));
    assert.deepEqual(out.requiredKeys, runtimeNames);
    assert.deepEqual(out.namespaceKeys, [...runtimeNames, 'default'].sort());
    assert.equal(out.namespaceDefaultIsDefault, true);
    assert.equal(out.memoryStoreIsRequiredStore, true);
    if (out.resolvedImport !== null) {
      assert.match(String(out.resolvedImport), /\/consumer\/node_modules\/express-session-cn\/dist\/index\.mjs$/);
    }
  });

  // Each TypeScript consumer augments SessionData, subclasses Store, awaits
  // req.session.save(), and has `@ts-expect-error` lines that must fail; the
  // compiled ones then serve two requests and print what they saw.
  const typescriptConsumers: [string, string, string | null][] = [
    ['ts-cjs', 'module commonjs, node10 resolution (the `types` field)', 'ts-cjs/out/index.js'],
    ['ts-node16', 'module node16 (the `require` condition), same source as ts-cjs', null],
    ['ts-esm', 'module nodenext in a "type": "module" folder (the `import` condition), skipLibCheck off', 'ts-esm/out/index.js'],
    ['ts-bundler', 'module esnext, moduleResolution bundler', 'ts-bundler/out/index.js'],
  ];
  for (const [project, what, compiled] of typescriptConsumers) {
    test(`TypeScript ${project}: ${what}`, async () => {
      const { result } = await compiles.get(project)!;
      assert.equal(result.code, 0, describeRun(`tsc -p ${project}`, result));
      if (compiled === null) return;
      const out = await runConsumer(consumer, compiled);
      assert.equal(out.defaultIsRequire, true);
      if ('storeIsRequireStore' in out) assert.equal(out.storeIsRequireStore, true);
      // First request: a new session saved by `await save()` (set), read back with
      // sessionStore.get; the second loads it (get), counts on, saves and reads again.
      assert.deepEqual(out.responses, [
        { views: 1, storedViews: 1, sameStore: true },
        { views: 2, storedViews: 2, sameStore: true },
      ]);
      assert.deepEqual(out.calls, ['set', 'get', 'get', 'set', 'get']);
    });
  }

  test('tsc rejects wrong session types, from ESM and CommonJS alike', async () => {
    const { result, errors } = await compiles.get('negative')!;
    assert.notEqual(result.code, 0, describeRun('tsc -p negative', result));
    assert.deepEqual(errors.sort(), [...wrongEsm.expected, ...wrongCjs.expected].sort(), describeRun('tsc', result));
  });

  test('without the SessionData augmentation, tsc rejects the fixtures\' uses of `views`', async () => {
    const { result, errors } = await compiles.get('unaugmented')!;
    // Any error code will do (unknown key, or `unknown` value): only where they are matters.
    const lines = errors.map((error) => error.split(' ')[0]);
    const expected = unaugmented.expected.map((error) => error.split(' ')[0]);
    assert.deepEqual(lines, expected, describeRun('tsc -p unaugmented', result));
  });
});
