// The TypeScript drop-in: code written for express-session + @types/express-session
// (test/fixtures/types/) type-checks against the packed package, unchanged, in each
// module setup, with @types/express 4 and 5, by TypeScript 5.9 and 7; its
// `@ts-expect-error` lines show that wrong code stays wrong. The README's
// TypeScript samples are checked the same way.
//
// One `npm pack`; one small node_modules per setup, made of copies (the packed
// package, and the typed stores that must see it as `express-session`) and links
// into this repository's node_modules (@types/*, redis, mongodb): nothing is
// downloaded, and the TypeScript compilers are this repository's devDependencies.
//
// CI runs this file once, not again on each Node version (.ci/run lists it as
// Node-independent): a check whose result can depend on Node belongs in another
// test file, or takes this one off that list.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { run, type Run } from '../helpers/run-command.js';

const root = path.resolve(__dirname, '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'types');
const modules = path.join(root, 'node_modules');
const compilers = {
  'TS 5.9': path.join(modules, 'typescript', 'bin', 'tsc'),
  'TS 7': path.join(modules, 'typescript7', 'bin', 'tsc'),
};

/** How the app names the package: `express-session` aliased to it, `express-session-cn`, or both side by side. */
type Naming = 'alias' | 'renamed' | 'side-by-side';

interface Setup {
  name: string;
  naming: Naming;
  /** Which @types/express the project has, if any. */
  express: 4 | 5 | null;
  module: 'commonjs' | 'esm';
  compilerOptions: Record<string, unknown>;
  files: string[];
}

const app = ['augment', 'options', 'request', 'promise', 'store', 'extras', 'negatives'].map((name) => `app/${name}.ts`);

const setups: Setup[] = [
  {
    name: 'CommonJS, import = require(), node10 resolution, @types/express 4, alias',
    naming: 'alias', express: 4, module: 'commonjs',
    compilerOptions: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true },
    files: [...app, 'app/cjs-require.ts', 'app/stores.ts'],
  },
  {
    name: 'CommonJS with esModuleInterop, @types/express 5, import renamed',
    naming: 'renamed', express: 5, module: 'commonjs',
    compilerOptions: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true },
    files: [...app, 'app/cjs-require.ts'],
  },
  {
    name: 'node16 (CommonJS project), @types/express 5, alias',
    naming: 'alias', express: 5, module: 'commonjs',
    compilerOptions: { module: 'node16', moduleResolution: 'node16' },
    files: app,
  },
  {
    name: 'nodenext ESM with verbatimModuleSyntax, @types/express 5, alias',
    naming: 'alias', express: 5, module: 'esm',
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', verbatimModuleSyntax: true },
    files: [...app, 'app/stores.ts'],
  },
  {
    name: 'nodenext ESM with verbatimModuleSyntax, @types/express 4, import renamed',
    naming: 'renamed', express: 4, module: 'esm',
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', verbatimModuleSyntax: true },
    files: app,
  },
  {
    name: 'bundler with exactOptionalPropertyTypes, @types/express 4, alias',
    naming: 'alias', express: 4, module: 'esm',
    compilerOptions: { module: 'esnext', moduleResolution: 'bundler', exactOptionalPropertyTypes: true },
    files: [...app, 'app/stores.ts'],
  },
  {
    name: 'bundler with exactOptionalPropertyTypes, @types/express 5, import renamed',
    naming: 'renamed', express: 5, module: 'esm',
    compilerOptions: { module: 'esnext', moduleResolution: 'bundler', exactOptionalPropertyTypes: true },
    files: app,
  },
  {
    name: 'side by side: stores bring express-session and @types/express-session, node16',
    naming: 'side-by-side', express: 5, module: 'commonjs',
    compilerOptions: { module: 'node16', moduleResolution: 'node16' },
    files: ['side-by-side/app.ts'],
  },
  {
    name: 'no @types/express: plain node:http, nodenext',
    naming: 'alias', express: null, module: 'commonjs',
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' },
    files: ['plain/plain.ts'],
  },
];

function link(target: string, at: string): void {
  assert.ok(fs.existsSync(target), `${target} is missing: run \`npm ci\` in the repository first`);
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.symlinkSync(target, at, 'junction');
}

/** Copies a package's manifest and type files, so that its imports resolve from the project it is copied into. */
function copyTypes(from: string, at: string): void {
  fs.cpSync(from, at, {
    recursive: true,
    filter: (source) => !path.relative(from, source).split(path.sep).includes('node_modules')
      && (fs.statSync(source).isDirectory() || /\.d\.[cm]?ts$|package\.json$/.test(source)),
  });
}

/** The README's ```ts blocks, in order. */
export function readmeSamples(readme: string): string[] {
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
}

function tsconfigFor(compiler: string): string {
  return compiler === 'TS 7' ? 'tsconfig.ts7.json' : 'tsconfig.json';
}

function renamed(text: string): string {
  return text.replace(/(['"])express-session\1/g, '$1express-session-cn$1');
}

describe('TypeScript consumers of the packed package', () => {
  let tmp = '';
  let unpacked = '';
  const checks = new Map<string, Promise<Run>>();

  /** Writes one setup's project and starts its type-checks (at most two compilers at a time). */
  function makeProject(setup: Setup, index: number): string {
    const dir = path.join(tmp, `setup-${index}`);
    const nodeModules = path.join(dir, 'node_modules');
    fs.mkdirSync(nodeModules, { recursive: true });
    const pkgName = setup.naming === 'alias' ? 'express-session' : 'express-session-cn';
    fs.cpSync(unpacked, path.join(nodeModules, pkgName), { recursive: true });
    link(path.join(modules, '@types', 'node'), path.join(nodeModules, '@types', 'node'));
    if (setup.express !== null) {
      link(path.join(modules, '@types', setup.express === 4 ? 'express' : 'express5'), path.join(nodeModules, '@types', 'express'));
    }
    if (setup.naming === 'side-by-side') {
      link(path.join(modules, 'express-session'), path.join(nodeModules, 'express-session'));
      copyTypes(path.join(modules, '@types', 'express-session'), path.join(nodeModules, '@types', 'express-session'));
    }
    // Typed stores: copied, so that their `express-session` is the project's.
    for (const store of ['connect-redis', 'memorystore', 'connect-mongo', '@types/connect-pg-simple']) {
      copyTypes(path.join(modules, store), path.join(nodeModules, store));
    }
    for (const dependency of ['redis', 'mongodb', '@types/pg']) {
      link(path.join(modules, dependency), path.join(nodeModules, dependency));
    }

    for (const file of setup.files) {
      const text = fs.readFileSync(path.join(fixtures, file), 'utf8');
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), setup.naming === 'renamed' ? renamed(text) : text);
    }
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
      name: `consumer-${index}`, private: true, ...(setup.module === 'esm' ? { type: 'module' } : {}),
    }));
    const compilerOptions: Record<string, unknown> = {
      target: 'es2022', strict: true, skipLibCheck: false, noEmit: true, types: ['node'], ...setup.compilerOptions,
    };
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: setup.files }, null, 2));
    // TypeScript 7 has no node10 resolution (TS5108): CommonJS projects there resolve as node16 does.
    const { moduleResolution, ...ts7Options } = compilerOptions;
    const ts7Resolution = moduleResolution === 'node10' ? { module: 'node16', moduleResolution: 'node16' } : { moduleResolution };
    fs.writeFileSync(path.join(dir, 'tsconfig.ts7.json'), JSON.stringify({
      compilerOptions: { ...ts7Options, ...ts7Resolution }, files: setup.files,
    }, null, 2));
    return dir;
  }

  before(async () => {
    assert.ok(fs.existsSync(path.join(root, 'dist', 'index.d.ts')), 'dist/ is not built: run `npm run build` first (`npm test` does)');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'express-session-cn-types-'));
    const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], root);
    assert.equal(pack.code, 0, pack.stderr);
    const [packed] = JSON.parse(pack.stdout) as { filename: string }[];
    unpacked = path.join(tmp, 'package');
    const untar = await run('tar', ['-xzf', path.join(tmp, packed.filename), '-C', tmp], tmp);
    assert.equal(untar.code, 0, untar.stderr);

    const projects = setups.map((setup, index) => makeProject(setup, index));

    // The README's TypeScript samples, each a module of its own, in a project that
    // has the package under its own name.
    const readmeProject = projects[setups.findIndex((setup) => setup.naming === 'renamed')];
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const samples = readmeSamples(readme);
    assert.ok(samples.length >= 3, 'the README has TypeScript samples');
    for (const [index, sample] of samples.entries()) {
      const file = `readme/sample-${index + 1}.ts`;
      fs.mkdirSync(path.join(readmeProject, 'readme'), { recursive: true });
      fs.writeFileSync(path.join(readmeProject, file), `${sample}\nexport {};\n`);
    }
    for (const compiler of Object.keys(compilers)) {
      fs.writeFileSync(path.join(readmeProject, `readme.${tsconfigFor(compiler)}`), JSON.stringify({
        extends: `./${tsconfigFor(compiler)}`,
        files: samples.map((_, index) => `readme/sample-${index + 1}.ts`),
      }));
    }

    // Two compilers at a time: the machine this runs on may have two cores.
    const queue: [string, string, string[]][] = [];
    for (const [compiler, bin] of Object.entries(compilers)) {
      setups.forEach((setup, index) => queue.push([`${setup.name} / ${compiler}`, projects[index], [bin, '-p', tsconfigFor(compiler), '--pretty', 'false']]));
      queue.push([`README / ${compiler}`, readmeProject, [bin, '-p', `readme.${tsconfigFor(compiler)}`, '--pretty', 'false']]);
    }
    let next = 0;
    const slots: Promise<void>[] = [];
    const settle = new Map<string, (value: Run) => void>();
    for (const [key] of queue) checks.set(key, new Promise((resolve) => settle.set(key, resolve)));
    for (let slot = 0; slot < 2; slot++) {
      slots.push((async () => {
        while (next < queue.length) {
          const [key, cwd, args] = queue[next++];
          settle.get(key)!(await run(process.execPath, args, cwd));
        }
      })());
    }
  });

  after(async () => {
    await Promise.all(checks.values());
    if (tmp !== '' && !process.env.KEEP_TYPES_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const compiler of Object.keys(compilers)) {
    for (const setup of setups) {
      test(`${setup.name} / ${compiler}`, async () => {
        const result = await checks.get(`${setup.name} / ${compiler}`)!;
        assert.equal(result.code, 0, `tsc failed\n${result.stdout}${result.stderr}`);
      });
    }
    test(`the README's TypeScript samples / ${compiler}`, async () => {
      const result = await checks.get(`README / ${compiler}`)!;
      assert.equal(result.code, 0, `tsc failed\n${result.stdout}${result.stderr}`);
    });
  }
});
