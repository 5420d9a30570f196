// Store (docs/compatibility.md §9, §14): the ways third-party stores subclass it, and the
// inherited regenerate / load / createSession, side by side with express-session.
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { inherits } from 'node:util';
import { install } from '@sinonjs/fake-timers';
import session = require('../src/index.js');
import { oracle } from './helpers/oracle.js';

const NOW = Date.UTC(2032, 2, 3, 4, 5, 6);

type Callback = (...args: unknown[]) => void;
interface AnyRequest {
  sessionID: string;
  sessionStore: object;
  session?: Record<string, unknown>;
}
interface MapStore extends EventEmitter {
  data: Map<string, string>;
  failures: { get?: Error; destroy?: Error };
  calls: unknown[][];
  get(sid: string, cb: Callback): void;
  set(sid: string, sess: unknown, cb?: Callback): void;
  destroy(sid: string, cb?: Callback): void;
  generate?(req: AnyRequest): void;
  regenerate(req: AnyRequest, fn: Callback): void;
  load(sid: string, fn: Callback): void;
  createSession(req: AnyRequest, sess: Record<string, unknown>): Record<string, unknown>;
}
interface StoreCtor {
  (this: unknown): void;
  new (): EventEmitter;
  prototype: object;
}
interface Lib {
  name: string;
  Store: StoreCtor;
  Session: { prototype: object };
  Cookie: { prototype: object };
}

const libs: Lib[] = [
  { name: 'ours', Store: session.Store as unknown as StoreCtor, Session: session.Session, Cookie: session.Cookie },
  { name: 'express-session', Store: oracle.Store as unknown as StoreCtor, Session: oracle.Session, Cookie: oracle.Cookie },
];

/** The get/set/destroy a store author writes, over a Map of JSON strings. */
function addMethods(target: object): void {
  const store = target as MapStore;
  store.data = new Map();
  store.failures = {};
  store.calls = [];
  store.get = function get(sid, cb) {
    this.calls.push(['get', sid]);
    const json = this.data.get(sid);
    setImmediate(() => (this.failures.get ? cb(this.failures.get) : cb(null, json ? JSON.parse(json) : null)));
  };
  store.set = function set(sid, sess, cb) {
    this.calls.push(['set', sid]);
    this.data.set(sid, JSON.stringify(sess));
    if (cb) setImmediate(cb);
  };
  store.destroy = function destroy(sid, cb) {
    this.calls.push(['destroy', sid]);
    this.data.delete(sid);
    if (cb) setImmediate(() => cb(this.failures.destroy));
  };
}

type Style = (Base: StoreCtor) => MapStore;

/** The four ways stores in the wild inherit from Store. */
const styles: Record<string, Style> = {
  'Store.call(this) + util.inherits': (Base) => {
    function InheritsStore(this: MapStore) {
      Base.call(this);
    }
    inherits(InheritsStore, Base);
    Object.assign(InheritsStore.prototype, methodsObject());
    return new (InheritsStore as unknown as new () => MapStore)();
  },
  'Store.call(this) + prototype.__proto__': (Base) => {
    function ProtoStore(this: MapStore) {
      Base.call(this);
    }
    Object.assign(ProtoStore.prototype, methodsObject());
    // connect-sqlite3 style
    (ProtoStore.prototype as { __proto__: object }).__proto__ = Base.prototype;
    return new (ProtoStore as unknown as new () => MapStore)();
  },
  'Store.call(this) + Object.setPrototypeOf': (Base) => {
    function SetProtoStore(this: MapStore) {
      Base.call(this);
    }
    Object.setPrototypeOf(SetProtoStore.prototype, Base.prototype);
    Object.assign(SetProtoStore.prototype, methodsObject());
    return new (SetProtoStore as unknown as new () => MapStore)();
  },
  'prototype = Object.create(Store.prototype)': (Base) => {
    function CreatedStore(this: MapStore) {
      Base.call(this);
    }
    CreatedStore.prototype = Object.create(Base.prototype) as object;
    (CreatedStore.prototype as { constructor: unknown }).constructor = CreatedStore;
    Object.assign(CreatedStore.prototype, methodsObject());
    return new (CreatedStore as unknown as new () => MapStore)();
  },
  'class extends Store + super()': (Base) => {
    class ClassStore extends Base {
      constructor() {
        super();
        addMethods(this);
      }
    }
    return new ClassStore() as unknown as MapStore;
  },
};

/** get/set/destroy as prototype methods; the state goes on in the first call. */
function methodsObject(): object {
  const proto = {};
  addMethods(proto);
  const methods = proto as MapStore;
  return {
    get(this: MapStore, sid: string, cb: Callback) {
      ensureState(this);
      methods.get.call(this, sid, cb);
    },
    set(this: MapStore, sid: string, sess: unknown, cb?: Callback) {
      ensureState(this);
      methods.set.call(this, sid, sess, cb);
    },
    destroy(this: MapStore, sid: string, cb?: Callback) {
      ensureState(this);
      methods.destroy.call(this, sid, cb);
    },
  };
}

function ensureState(store: MapStore): void {
  if (!Object.prototype.hasOwnProperty.call(store, 'data')) {
    store.data = new Map();
    store.failures = {};
    store.calls = [];
  }
}

function callbackArgs(run: (cb: Callback) => void): Promise<unknown[]> {
  return new Promise((resolve) => run((...args) => resolve(args)));
}

/** A session as a store hands it back: JSON with an ISO expires. */
function storedRecord(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    ...extra,
    cookie: {
      originalMaxAge: 60_000, partitioned: true, priority: 'high',
      expires: new Date(NOW + 30_000).toISOString(), secure: true, httpOnly: true,
      domain: 'example.com', path: '/', sameSite: 'strict',
    },
  });
}

/** Everything observable about a loaded session. */
function describeSession(s: Record<string, unknown>, lib: Lib, req?: AnyRequest): Record<string, unknown> {
  const cookie = s.cookie as Record<string, unknown>;
  return {
    isSession: s instanceof (lib.Session as unknown as typeof Object),
    isCookie: cookie instanceof (lib.Cookie as unknown as typeof Object),
    keys: Object.keys(s),
    id: s.id,
    reqKeys: Object.keys(s.req as object),
    reqIsReq: req ? s.req === req : undefined,
    expiresIsDate: cookie.expires instanceof Date,
    expires: String(cookie.expires),
    maxAge: cookie.maxAge,
    originalMaxAge: cookie.originalMaxAge,
    cookieKeys: Object.keys(cookie),
    json: JSON.stringify(s),
  };
}

let clock: ReturnType<typeof install>;
beforeEach(() => {
  clock = install({ now: NOW, toFake: ['Date'] });
});
afterEach(() => {
  clock.uninstall();
});

for (const [styleName, make] of Object.entries(styles)) {
  describe(`subclassing: ${styleName}`, () => {
    test('is an EventEmitter and a Store; events work', () => {
      for (const lib of libs) {
        const store = make(lib.Store);
        assert.ok(store instanceof EventEmitter, lib.name);
        assert.ok(store instanceof lib.Store, lib.name);
        assert.equal(store.getMaxListeners(), EventEmitter.defaultMaxListeners, lib.name);
        const seen: unknown[] = [];
        store.on('connect', (...args: unknown[]) => seen.push(['connect', ...args]));
        store.once('disconnect', () => seen.push(['disconnect']));
        store.emit('connect', 1);
        store.emit('disconnect');
        store.emit('disconnect');
        assert.deepEqual(seen, [['connect', 1], ['disconnect']], lib.name);
        assert.equal(store.listenerCount('connect'), 1, lib.name);
      }
    });

    test('load() of an unknown id calls back with no arguments', async () => {
      const results = [];
      for (const lib of libs) {
        const store = make(lib.Store);
        results.push(await callbackArgs((cb) => store.load('nope', cb)));
        assert.deepEqual(store.calls, [['get', 'nope']], lib.name);
      }
      assert.deepEqual(results[0], results[1]);
      assert.deepEqual(results[0], []);
    });

    test('load() passes a get error on', async () => {
      for (const lib of libs) {
        const store = make(lib.Store);
        ensureState(store);
        store.failures.get = new Error('down');
        const args = await callbackArgs((cb) => store.load('x', cb));
        assert.deepEqual(args, [store.failures.get], lib.name);
      }
    });

    test('load() of a stored session gives a Session with a Cookie whose expires is a Date', async () => {
      const results = [];
      for (const lib of libs) {
        const store = make(lib.Store);
        ensureState(store);
        store.data.set('sid-1', storedRecord({ user: 'ann', n: 1 }));
        const [err, sess, ...rest] = await callbackArgs((cb) => store.load('sid-1', cb));
        assert.equal(err, null, lib.name);
        assert.deepEqual(rest, [], lib.name);
        const s = sess as Record<string, unknown>;
        assert.equal((s.req as AnyRequest).sessionStore, store, lib.name);
        assert.equal((s.req as AnyRequest).sessionID, 'sid-1', lib.name);
        assert.equal((s.req as AnyRequest).session, s, lib.name);
        results.push(describeSession(s, lib));
      }
      assert.deepEqual(results[0], results[1]);
      assert.equal(results[0]!.expiresIsDate, true);
      assert.equal(results[0]!.isSession, true);
      assert.equal(results[0]!.isCookie, true);
      assert.equal(results[0]!.originalMaxAge, 60_000);
      assert.equal(results[0]!.maxAge, 30_000);
    });

    test('regenerate() destroys req.sessionID, then calls generate(req), then fn(err)', async () => {
      const results = [];
      for (const lib of libs) {
        for (const failure of [undefined, new Error('destroy failed')]) {
          const store = make(lib.Store);
          ensureState(store);
          store.failures.destroy = failure;
          const req: AnyRequest = { sessionID: 'old', sessionStore: store };
          store.generate = (r) => {
            store.calls.push(['generate', r === req]);
          };
          const args = await callbackArgs((cb) => store.regenerate(req, cb));
          assert.equal(args[0], failure, lib.name);
          results.push({ calls: store.calls, args: args.map((a) => (a instanceof Error ? a.message : a)) });
        }
      }
      assert.deepEqual(results.slice(0, 2), results.slice(2));
      assert.deepEqual(results[0], { calls: [['destroy', 'old'], ['generate', true]], args: [undefined] });
    });

    test('regenerate() on a store no session() has set up fails like express-session', async () => {
      // Store.prototype.regenerate needs store.generate, which session() assigns.
      const errors = [];
      for (const lib of libs) {
        const store = make(lib.Store);
        const req: AnyRequest = { sessionID: 'old', sessionStore: store };
        errors.push(await new Promise<unknown>((resolve) => {
          store.destroy = (_sid, cb) => {
            try {
              cb!();
            } catch (err) {
              resolve(err instanceof Error ? err.constructor.name : err);
            }
          };
          store.regenerate(req, () => resolve('called back'));
        }));
      }
      assert.deepEqual(errors[0], errors[1]);
      assert.equal(errors[0], 'TypeError');
    });
  });
}

describe('createSession(req, sess)', () => {
  function run(sess: Record<string, unknown>): Array<{ result: Record<string, unknown>; sameCookie: boolean; returnedIsReqSession: boolean }> {
    return libs.map((lib) => {
      const store = new lib.Store() as unknown as MapStore;
      const req: AnyRequest = { sessionID: 'sid-9', sessionStore: store };
      const data = JSON.parse(JSON.stringify(sess)) as Record<string, unknown>;
      const s = store.createSession(req, data);
      return {
        result: describeSession(s, lib, req),
        sameCookie: s.cookie === data.cookie,
        returnedIsReqSession: req.session === s,
      };
    });
  }

  test('converts a string expires to a Date and keeps the stored originalMaxAge', () => {
    const [mine, reference] = run(JSON.parse(storedRecord({ a: 1 })));
    assert.deepEqual(mine, reference);
    assert.equal(mine!.result.expiresIsDate, true);
    assert.equal(mine!.result.originalMaxAge, 60_000);
    assert.equal(mine!.sameCookie, true, 'the stored object is changed in place');
    assert.equal(mine!.returnedIsReqSession, true);
  });

  const variants: Array<[string, Record<string, unknown>]> = [
    ['browser-session cookie', { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' } }],
    ['expired cookie', { cookie: { originalMaxAge: 1000, expires: new Date(NOW - 5000).toISOString(), path: '/' } }],
    ['no originalMaxAge', { cookie: { expires: new Date(NOW + 5000).toISOString() } }],
    ['cookie with unknown keys', { cookie: { expires: null, weird: 1, data: { x: 1 } }, x: 2 }],
    ['empty cookie', { cookie: {} }],
    ['keys colliding with Session methods', { save: 1, id: 'evil', cookie: { expires: null } }],
  ];
  for (const [label, sess] of variants) {
    test(`the same session as express-session: ${label}`, () => {
      const [mine, reference] = run(sess);
      assert.deepEqual(mine, reference);
    });
  }

  test('a Date expires (an in-memory store) stays a Date', () => {
    for (const lib of libs) {
      const store = new lib.Store() as unknown as MapStore;
      const expires = new Date(NOW + 1234);
      const s = store.createSession({ sessionID: 'a', sessionStore: store }, { cookie: { originalMaxAge: 9999, expires } });
      const cookie = s.cookie as Record<string, unknown>;
      assert.equal(cookie.expires, expires, lib.name);
      assert.equal(cookie.originalMaxAge, 9999, lib.name);
      assert.equal(cookie.maxAge, 1234, lib.name);
    }
  });

  test('a stored session without a cookie throws a TypeError, ours saying what is wrong', () => {
    const errors = libs.map((lib) => {
      const store = new lib.Store() as unknown as MapStore;
      try {
        store.createSession({ sessionID: 'a', sessionStore: store }, { views: 1 });
      } catch (err) {
        return err instanceof Error ? [err.constructor.name, err.message] : err;
      }
      return 'no error';
    });
    // Both throw a TypeError; express-session's is an accident ("Cannot read
    // properties of undefined"), ours names the problem.
    assert.equal((errors[1] as string[])[0], 'TypeError');
    assert.deepEqual(errors[0], ['TypeError', 'session store returned a session without a cookie object (cookie: undefined)']);
  });
});
