// Session (docs/compatibility.md §7), side by side with express-session's Session: the
// same data in, the same keys and JSON out, and the same calls on the store.
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { install } from '@sinonjs/fake-timers';
import session = require('../src/index.js');
import { oracle } from './helpers/oracle.js';

const NOW = Date.UTC(2031, 5, 1);

type Callback = (...args: unknown[]) => void;
type AnyCookie = Record<string, unknown>;
interface AnySession {
  readonly id: string;
  readonly req: FakeRequest;
  cookie: AnyCookie;
  touch(): unknown;
  resetMaxAge(): unknown;
  save(fn?: Callback): unknown;
  reload(fn?: Callback): unknown;
  destroy(fn?: Callback): unknown;
  regenerate(fn?: Callback): unknown;
  [key: string]: unknown;
}
interface FakeRequest {
  sessionID: string;
  sessionStore: RecordingStore;
  session?: AnySession;
}
interface RecordingStore {
  get(sid: string, cb: Callback): void;
  set(sid: string, sess: unknown, cb: Callback): void;
  destroy(sid: string, cb: Callback): void;
  generate(req: FakeRequest): void;
}
interface Lib {
  name: string;
  Session: new (req: FakeRequest, data?: unknown) => AnySession;
  Cookie: new (options?: unknown) => AnyCookie;
  Store: { (this: unknown): void; prototype: object };
}

const ours: Lib = {
  name: 'ours',
  Session: session.Session as unknown as Lib['Session'],
  Cookie: session.Cookie as unknown as Lib['Cookie'],
  Store: session.Store as unknown as Lib['Store'],
};
const theirs: Lib = {
  name: 'express-session',
  Session: oracle.Session as unknown as Lib['Session'],
  Cookie: oracle.Cookie as unknown as Lib['Cookie'],
  Store: oracle.Store as unknown as Lib['Store'],
};

/** What the store saw, in order. `this` marks the session object itself being passed. */
type Call = [method: string, ...args: unknown[]];

interface Fixture {
  lib: Lib;
  req: FakeRequest;
  store: RecordingStore;
  calls: Call[];
  records: Record<string, string>;
  failures: { get?: Error; set?: Error; destroy?: Error };
}

/**
 * A store built on the library's own Store (so express-session's Session finds
 * its inherited regenerate/createSession), recording get/set/destroy/generate and
 * answering asynchronously like a real store.
 */
function fixture(lib: Lib, records: Record<string, string> = {}): Fixture {
  const calls: Call[] = [];
  const failures: Fixture['failures'] = {};
  const store = Object.create(lib.Store.prototype) as RecordingStore;
  lib.Store.call(store);
  const req: FakeRequest = { sessionID: 'sid-1', sessionStore: store };
  store.get = (sid, cb) => {
    calls.push(['get', sid]);
    setImmediate(() => (failures.get ? cb(failures.get) : cb(null, records[sid] ? JSON.parse(records[sid]!) : undefined)));
  };
  store.set = (sid, sess, cb) => {
    calls.push(['set', sid, sess === req.session ? 'req.session' : sess, typeof cb]);
    records[sid] = JSON.stringify(sess);
    setImmediate(() => cb(failures.set));
  };
  store.destroy = (sid, cb) => {
    calls.push(['destroy', sid, typeof cb]);
    delete records[sid];
    setImmediate(() => cb(failures.destroy));
  };
  store.generate = (r) => {
    calls.push(['generate', r === req]);
    r.sessionID = 'sid-new';
    r.session = new lib.Session(r);
    r.session.cookie = new lib.Cookie();
  };
  return { lib, req, store, calls, records, failures };
}

/** A session on `f.req` with some data and a 10 s cookie, as the middleware would attach it. */
function attach(f: Fixture, data: Record<string, unknown> = { views: 3, user: { name: 'ann' } }): AnySession {
  const s = new f.lib.Session(f.req, { ...data, cookie: new f.lib.Cookie({ maxAge: 10_000 }) });
  f.req.session = s;
  return s;
}

/** Calls a method with a callback; resolves with what it returned and what the callback got. */
function withCallback(s: AnySession, method: 'save' | 'reload' | 'destroy' | 'regenerate'): Promise<{ returnedThis: boolean; err: unknown }> {
  return new Promise((resolve) => {
    const cb: Callback = (...args) => {
      assert.ok(args.length <= 1, 'the callback gets at most an error');
      // express-session hands save/destroy callbacks to the store as they are, so a
      // store's `cb(null)` reaches the user as null; ours passes no argument then.
      setImmediate(() => resolve({ returnedThis: returned === s, err: args[0] ?? undefined }));
    };
    const returned: unknown = s[method](cb);
  });
}

/** What the request and store look like afterwards. */
function outcomeOf(f: Fixture): Record<string, unknown> {
  const current = f.req.session;
  return {
    calls: f.calls,
    records: f.records,
    sessionID: f.req.sessionID,
    hasSession: current !== undefined,
    sessionKeys: current ? Object.keys(current) : undefined,
    sessionJSON: current ? JSON.stringify(current) : undefined,
    sessionId: current?.id,
    sessionReqIsReq: current ? current.req === f.req : undefined,
    cookieIsLibCookie: current?.cookie instanceof f.lib.Cookie,
    expiresIsDate: current ? current.cookie.expires instanceof Date : undefined,
  };
}

async function both(scenario: (f: Fixture) => Promise<unknown>, records?: Record<string, string>): Promise<void> {
  const results: unknown[] = [];
  for (const lib of [ours, theirs]) {
    const f = fixture(lib, records ? { ...records } : undefined);
    const result = await scenario(f);
    results.push({ result, outcome: outcomeOf(f) });
  }
  assert.deepEqual(results[0], results[1]);
}

let clock: ReturnType<typeof install>;
beforeEach(() => {
  clock = install({ now: NOW, toFake: ['Date'] });
});
afterEach(() => {
  clock.uninstall();
});

describe('construction', () => {
  test('own enumerable keys are the data keys, then cookie', () => {
    for (const lib of [ours, theirs]) {
      const f = fixture(lib);
      const s = attach(f, { b: 1, a: { nested: true }, list: [1, 2] });
      assert.deepEqual(Object.keys(s), ['b', 'a', 'list', 'cookie'], lib.name);
    }
    const a = attach(fixture(ours));
    const b = attach(fixture(theirs));
    assert.deepEqual(Object.keys(a), Object.keys(b));
    assert.equal(JSON.stringify(a), JSON.stringify(b));
  });

  test('id and req: non-enumerable, read-only, the same descriptors', () => {
    const shape = (s: AnySession) =>
      ['id', 'req'].map((key) => {
        const { value, ...flags } = Object.getOwnPropertyDescriptor(s, key)!;
        return { key, flags, value: value === s.req ? 'req' : value };
      });
    const f = fixture(ours);
    const a = attach(f);
    assert.deepEqual(shape(a), shape(attach(fixture(theirs))));
    assert.equal(a.id, 'sid-1');
    assert.equal(a.req, f.req);
    assert.throws(() => { (a as Record<string, unknown>).id = 'other'; }, TypeError);
    assert.throws(() => { (a as Record<string, unknown>).req = {}; }, TypeError);
    assert.equal(a.id, 'sid-1');
    // The id is taken once: changing req.sessionID later does not change it.
    f.req.sessionID = 'changed';
    assert.equal(a.id, 'sid-1');
  });

  test('stored keys that collide with anything on the session are dropped', () => {
    const stored = JSON.stringify({
      a: 1, id: 'evil', req: 'evil', save: 1, reload: 1, destroy: 1, regenerate: 1, touch: 1,
      resetMaxAge: 1, constructor: 1, toString: 1, hasOwnProperty: 1, valueOf: 1, isPrototypeOf: 1,
      cookie: { path: '/' }, z: 2,
    }).replace('"z":', '"__proto__":{"polluted":true},"z":');
    assert.match(stored, /"__proto__"/);
    const keysOf = (lib: Lib) => {
      const s = new lib.Session(fixture(lib).req, JSON.parse(stored));
      assert.equal('polluted' in s, false, lib.name);
      assert.equal(typeof s.save, 'function', lib.name);
      assert.equal(s.id, 'sid-1', lib.name);
      return Object.keys(s);
    };
    const mine = keysOf(ours);
    assert.deepEqual(mine, keysOf(theirs));
    assert.deepEqual(mine, ['a', 'cookie', 'z']);
  });

  test('a __proto__ key from JSON.parse is dropped, not used as a prototype', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as object;
    for (const lib of [ours, theirs]) {
      const s = new lib.Session(fixture(lib).req, data);
      assert.equal(Object.getPrototypeOf(s), lib.Session.prototype, lib.name);
      assert.deepEqual(Object.keys(s), ['ok'], lib.name);
    }
  });

  test('data that is not an object adds nothing; inherited enumerable keys are copied', () => {
    const inputs: unknown[] = [undefined, null, 'text', 42, true];
    for (const data of inputs) {
      assert.deepEqual(Object.keys(new ours.Session(fixture(ours).req, data)), Object.keys(new theirs.Session(fixture(theirs).req, data)));
      assert.deepEqual(Object.keys(new ours.Session(fixture(ours).req, data)), []);
    }
    const inherited = Object.assign(Object.create({ fromProto: 1 }) as object, { own: 2 });
    const mine = new ours.Session(fixture(ours).req, inherited);
    assert.deepEqual(Object.keys(mine), Object.keys(new theirs.Session(fixture(theirs).req, inherited)));
    assert.deepEqual(Object.keys(mine), ['own', 'fromProto']);
  });

  test('the data object is copied (shallowly), not kept', () => {
    const data = { list: [1], n: 1 };
    const s = new ours.Session(fixture(ours).req, data);
    data.n = 2;
    assert.equal(s.n, 1);
    assert.equal(s.list, data.list);
  });
});

describe('touch and resetMaxAge', () => {
  for (const method of ['touch', 'resetMaxAge'] as const) {
    test(`${method}() resets the cookie to its original maxAge and returns this`, () => {
      const sessions = [ours, theirs].map((lib) => attach(fixture(lib)));
      clock.tick(4000);
      const results = sessions.map((s) => {
        const before = s.cookie.maxAge;
        const returned = s[method]();
        return { returnedThis: returned === s, before, after: s.cookie.maxAge, json: JSON.stringify(s) };
      });
      assert.deepEqual(results[0], results[1]);
      assert.deepEqual([results[0]!.before, results[0]!.after, results[0]!.returnedThis], [6000, 10_000, true]);
    });
  }

  test('a browser-session cookie stays one', () => {
    const results = [ours, theirs].map((lib) => {
      const s = new lib.Session(fixture(lib).req, { cookie: new lib.Cookie() });
      s.touch();
      return JSON.stringify(s);
    });
    assert.equal(results[0], results[1]);
    assert.match(results[0]!, /"expires":null/);
  });
});

describe('store calls (with a callback: the method returns this)', () => {
  test('save() → store.set(id, session, fn)', async () => {
    await both(async (f) => {
      const s = attach(f);
      s.extra = 'x';
      return withCallback(s, 'save');
    });
  });

  test('save() with a store error passes it to the callback', async () => {
    await both(async (f) => {
      f.failures.set = new Error('set failed');
      const r = await withCallback(attach(f), 'save');
      return { ...r, err: (r.err as Error).message };
    });
  });

  test('reload() → store.get(id); req.session becomes a new Session from the stored data', async () => {
    const stored = { 'sid-1': JSON.stringify({ views: 9, cookie: new oracle.Cookie({ maxAge: 3000, secure: true }) }) };
    await both(async (f) => {
      const s = attach(f, { views: 1, unsaved: true });
      const r = await withCallback(s, 'reload');
      return { ...r, replaced: f.req.session !== s, old: Object.keys(s) };
    }, stored);
  });

  test('reload() of a session that is not in the store fails with "failed to load session"', async () => {
    await both(async (f) => {
      const s = attach(f);
      const r = await withCallback(s, 'reload');
      assert.ok(r.err instanceof Error);
      return { ...r, err: r.err.message, kept: f.req.session === s };
    });
  });

  test('reload() passes a store error on and keeps req.session', async () => {
    await both(async (f) => {
      f.failures.get = new Error('get failed');
      const s = attach(f);
      const r = await withCallback(s, 'reload');
      return { ...r, err: (r.err as Error).message, kept: f.req.session === s };
    });
  });

  test('destroy() removes req.session and calls store.destroy(id, fn)', async () => {
    await both(async (f) => withCallback(attach(f), 'destroy'), { 'sid-1': '{"cookie":{}}', other: '{"cookie":{}}' });
  });

  test('destroy() passes a store error on', async () => {
    await both(async (f) => {
      f.failures.destroy = new Error('destroy failed');
      const r = await withCallback(attach(f), 'destroy');
      return { ...r, err: (r.err as Error).message };
    });
  });

  // express-session calls store.regenerate(), i.e. Store.prototype.regenerate: destroy,
  // then generate. Ours makes those two calls itself (docs/compatibility.md §14: never rely on a
  // store's inherited regenerate), so the store sees the same calls.
  test('regenerate() → store.destroy(old id), then store.generate(req)', async () => {
    await both(async (f) => {
      const s = attach(f);
      const r = await withCallback(s, 'regenerate');
      return { ...r, replaced: f.req.session !== s };
    }, { 'sid-1': '{"cookie":{}}' });
  });

  test('regenerate() still generates when destroy fails, and passes the error on', async () => {
    await both(async (f) => {
      f.failures.destroy = new Error('destroy failed');
      const s = attach(f);
      const r = await withCallback(s, 'regenerate');
      return { ...r, err: (r.err as Error).message, replaced: f.req.session !== s };
    });
  });

  test('a session saved after reload stores what was loaded', async () => {
    await both(async (f) => {
      attach(f, { views: 1 });
      await withCallback(f.req.session!, 'save');
      f.req.session!.views = 2;
      await withCallback(f.req.session!, 'reload');
      const loaded = f.req.session!;
      loaded.views = Number(loaded.views) + 10;
      return withCallback(loaded, 'save');
    });
  });
});

describe('without a callback: a Promise (intended difference 7)', () => {
  test('save() resolves once the store has answered', async () => {
    const f = fixture(ours);
    const s = attach(f);
    const p = s.save();
    assert.ok(p instanceof Promise);
    assert.deepEqual(f.calls, [['set', 'sid-1', 'req.session', 'function']]);
    assert.equal(await p, undefined);
    assert.ok(f.records['sid-1']);
  });

  test('the Promise rejects with the store error', async () => {
    const f = fixture(ours);
    f.failures.get = new Error('get failed');
    await assert.rejects(attach(f).reload() as Promise<void>, { message: 'get failed' });
    await assert.rejects(new ours.Session(fixture(ours).req, {}).reload() as Promise<void>, { message: 'failed to load session' });
  });

  test('destroy() and regenerate() resolve after the store calls', async () => {
    const f = fixture(ours);
    await (attach(f).destroy() as Promise<void>);
    assert.equal(f.req.session, undefined);
    const g = fixture(ours);
    const s = attach(g);
    await (s.regenerate() as Promise<void>);
    assert.deepEqual(g.calls, [['destroy', 'sid-1', 'function'], ['generate', true]]);
    assert.notEqual(g.req.session, s);
    assert.equal(g.req.sessionID, 'sid-new');
  });
});
