// The exported surface (docs/compatibility.md §1), compared with express-session itself:
// what require() returns, the constructors and their prototypes, and the ESM
// entry built into dist/ (the package's `exports` map points there).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs = require('node:fs');
import path = require('node:path');
import { pathToFileURL } from 'node:url';
import session = require('../src/index.js');
import { oracle } from './helpers/oracle.js';

const ourHelpers = ['getCookieValue', 'unsigncookie'];
const classNames = ['Store', 'Cookie', 'Session', 'MemoryStore'] as const;

type Descriptors = Record<string, { enumerable?: boolean; writable?: boolean; configurable?: boolean; kind: string }>;

/** Own property descriptors without values: what is enumerable, writable, an accessor. */
function descriptorShape(target: object): Descriptors {
  const shape: Descriptors = {};
  for (const key of Reflect.ownKeys(target)) {
    const d = Reflect.getOwnPropertyDescriptor(target, key)!;
    shape[String(key)] = {
      enumerable: d.enumerable,
      writable: d.writable,
      configurable: d.configurable,
      kind: 'value' in d ? typeof d.value : 'accessor',
    };
  }
  return shape;
}

function ownKeys(target: object): string[] {
  return Reflect.ownKeys(target).map(String);
}

describe('require() surface', () => {
  test('the export is the factory, named and sized like express-session', () => {
    assert.equal(typeof session, 'function');
    assert.equal(session.name, oracle.name);
    assert.equal(session.length, oracle.length);
    assert.equal(session.name, 'session');
  });

  test('enumerable keys: express-session\'s four, in its order, then the fork helpers', () => {
    assert.deepEqual(Object.keys(session), [...Object.keys(oracle), ...ourHelpers]);
    assert.deepEqual(Object.keys(session).slice(0, 4), [...classNames]);
  });

  test('own property names and their descriptors match, apart from the helpers', () => {
    const ours = descriptorShape(session);
    for (const helper of ourHelpers) {
      assert.equal(ours[helper]?.kind, 'function', helper);
      delete ours[helper];
    }
    assert.deepEqual(ours, descriptorShape(oracle));
  });

  test('there is no default export on the CommonJS side', () => {
    assert.equal(Object.prototype.hasOwnProperty.call(oracle, 'default'), false);
    assert.equal(Object.prototype.hasOwnProperty.call(session, 'default'), false);
  });

  test('constructor name and length', () => {
    for (const name of classNames) {
      assert.equal(typeof session[name], 'function', name);
      assert.equal(session[name].name, oracle[name].name, name);
      assert.equal(session[name].length, oracle[name].length, `${name}.length`);
    }
  });
});

describe('prototypes', () => {
  test('Store.prototype: own keys, descriptors, EventEmitter parent', () => {
    assert.deepEqual(ownKeys(session.Store.prototype), ownKeys(oracle.Store.prototype));
    assert.deepEqual(descriptorShape(session.Store.prototype), descriptorShape(oracle.Store.prototype));
    assert.equal(Object.getPrototypeOf(oracle.Store.prototype), EventEmitter.prototype);
    assert.equal(Object.getPrototypeOf(session.Store.prototype), EventEmitter.prototype);
    assert.equal(session.Store.prototype.constructor, session.Store);
  });

  test('Store is callable without new (Store.call(this)) and runs EventEmitter', () => {
    const probe = (Store: unknown): Descriptors => {
      const target = Object.create(EventEmitter.prototype) as object;
      Reflect.apply(Store as (this: unknown) => void, target, []);
      return descriptorShape(target);
    };
    const ours = probe(session.Store);
    assert.deepEqual(ours, probe(oracle.Store));
    assert.ok('_events' in ours, 'EventEmitter.call(this) ran');
  });

  test('Session.prototype: the same methods, all non-enumerable', () => {
    assert.deepEqual(ownKeys(session.Session.prototype), ownKeys(oracle.Session.prototype));
    assert.deepEqual(descriptorShape(session.Session.prototype), descriptorShape(oracle.Session.prototype));
    assert.deepEqual(Object.keys(session.Session.prototype), []);
    for (const name of ['touch', 'resetMaxAge', 'save', 'reload', 'destroy', 'regenerate']) {
      assert.equal(typeof Reflect.get(session.Session.prototype, name), 'function', name);
    }
  });

  test('MemoryStore.prototype: own keys and descriptors, Store parent', () => {
    assert.deepEqual(ownKeys(session.MemoryStore.prototype), ownKeys(oracle.MemoryStore.prototype));
    assert.deepEqual(descriptorShape(session.MemoryStore.prototype), descriptorShape(oracle.MemoryStore.prototype));
    assert.equal(Object.getPrototypeOf(session.MemoryStore.prototype), session.Store.prototype);
    const store = new session.MemoryStore();
    assert.ok(store instanceof session.Store);
    assert.ok(store instanceof EventEmitter);
  });

  test('MemoryStore is callable without new as well', () => {
    const target = Object.create(session.MemoryStore.prototype) as { sessions?: object };
    session.MemoryStore.call(target as never);
    assert.equal(Object.getPrototypeOf(target.sessions), null);
  });

  test('Cookie.prototype: the same members, plus constructor (intended difference 4)', () => {
    // Intended difference 4: Cookie is an ES class, so its prototype has a
    // `constructor` and its accessors are not enumerable; express-session
    // replaces the prototype with an object literal (constructor === Object).
    const ours = ownKeys(session.Cookie.prototype);
    assert.deepEqual(ours.filter((k) => k !== 'constructor').sort(), ownKeys(oracle.Cookie.prototype).sort());
    assert.equal(new session.Cookie().constructor, session.Cookie);
    assert.equal(new oracle.Cookie().constructor, Object);
    assert.deepEqual(Object.keys(session.Cookie.prototype), []);
    for (const key of ['expires', 'maxAge', 'data']) {
      assert.equal(descriptorShape(session.Cookie.prototype)[key]?.kind, 'accessor', key);
      assert.equal(descriptorShape(oracle.Cookie.prototype)[key]?.kind, 'accessor', key);
    }
  });
});

describe('ESM entry (dist/)', () => {
  const root = path.resolve(__dirname, '..');
  const cjsFile = path.join(root, 'dist', 'index.js');
  const esmFile = path.join(root, 'dist', 'index.mjs');

  function requireBuilt(): Record<string, unknown> & ((...args: unknown[]) => unknown) {
    if (!fs.existsSync(cjsFile) || !fs.existsSync(esmFile)) {
      assert.fail(`dist/index.js or dist/index.mjs is missing: run \`npm run build\` before this test (npm test does)`);
    }
    return require(cjsFile);
  }

  async function importBuilt(): Promise<Record<string, unknown>> {
    requireBuilt();
    return (await import(pathToFileURL(esmFile).href)) as Record<string, unknown>;
  }

  // Non-literal specifiers keep tsc from resolving these (express-session has no types,
  // and our own types only exist after a build).
  async function importPackage(specifier: string): Promise<Record<string, unknown>> {
    return (await import(specifier)) as Record<string, unknown>;
  }

  test('the built CommonJS entry has the same surface as the source', () => {
    const built = requireBuilt();
    assert.equal(typeof built, 'function');
    assert.equal(built.name, session.name);
    assert.equal(built.length, session.length);
    assert.deepEqual(Object.keys(built), Object.keys(session));
  });

  test('namespace keys are the CommonJS keys plus default', async () => {
    const cjs = requireBuilt();
    const ns = await importBuilt();
    assert.deepEqual(Object.keys(ns).sort(), [...Object.keys(cjs), 'default'].sort());
  });

  test('ESM names are the very objects require() returns', async () => {
    const cjs = requireBuilt();
    const ns = await importBuilt();
    assert.equal(ns.default, cjs);
    for (const key of Object.keys(cjs)) {
      assert.equal(ns[key], cjs[key], key);
    }
    assert.equal(ns.Store, cjs.Store);
  });

  test('every named import express-session offers is offered too', async () => {
    const theirs = await importPackage('express-session');
    const ns = await importBuilt();
    // Node 23+ adds a 'module.exports' name to the namespace of every CommonJS module
    // (another name for `default`); it is Node's, not an export express-session offers.
    for (const key of Object.keys(theirs).filter((name) => name !== 'module.exports')) {
      assert.ok(key in ns, `missing ESM export ${key}`);
    }
  });

  test('the package name resolves through the exports map to the same objects', async () => {
    const cjs = requireBuilt();
    assert.equal(require('express-session-cn'), cjs);
    const ns = await importPackage('express-session-cn');
    assert.equal(ns.default, cjs);
    assert.equal(ns.Store, cjs.Store);
    assert.equal(ns.MemoryStore, cjs.MemoryStore);
  });

  test('type declarations exist for both entries', () => {
    requireBuilt();
    assert.ok(fs.existsSync(path.join(root, 'dist', 'index.d.ts')), 'dist/index.d.ts');
    assert.ok(fs.existsSync(path.join(root, 'dist', 'index.d.mts')), 'dist/index.d.mts');
  });
});
