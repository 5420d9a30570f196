import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import session = require('../src/index.js');

// The oracle has no @types installed: only what these tests use.
type Callback = (err?: unknown, value?: unknown) => void;
interface StoreLike {
  get(sid: string, cb: Callback): unknown;
  set(sid: string, sess: unknown, cb?: Callback): unknown;
  destroy(sid: string, cb?: Callback): unknown;
  touch?(sid: string, sess: unknown, cb?: Callback): unknown;
}
interface Impl {
  name: string;
  session: (options: Record<string, unknown>) => express.RequestHandler;
  MemoryStore: new () => StoreLike;
}
const oracle = require('express-session') as Impl['session'] & { MemoryStore: Impl['MemoryStore'] };
const OURS: Impl = {
  name: 'express-session-cn',
  session: session as unknown as Impl['session'],
  MemoryStore: session.MemoryStore as unknown as Impl['MemoryStore'],
};
const ORACLE: Impl = { name: 'express-session', session: oracle, MemoryStore: oracle.MemoryStore };

const SRC = path.join(__dirname, '..', 'src', 'index.ts');

/** The session as a plain bag of data, for reading and writing app keys. */
function data(sess: unknown): Record<string, unknown> {
  return sess as Record<string, unknown>;
}

/** A MemoryStore whose calls are recorded and which can be made to fail, or to hold set(). */
function instrumentedStore(impl: Impl = OURS) {
  const store = new impl.MemoryStore();
  const calls: string[] = [];
  const error = new Error('store is down');
  const control = { failing: false, holdSet: false, held: [] as Array<() => void> };
  for (const method of ['get', 'set', 'destroy', 'touch'] as const) {
    const original = (store[method] as (...args: unknown[]) => unknown).bind(store);
    (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      calls.push(method);
      const cb = args[args.length - 1] as Callback;
      if (control.failing) {
        setImmediate(cb, error);
        return undefined;
      }
      if (method === 'set' && control.holdSet) {
        control.held.push(() => original(...args));
        return undefined;
      }
      return original(...args);
    };
  }
  const read = (sid: string) => new Promise<Record<string, unknown> | undefined>((resolve, reject) => {
    const wasFailing = control.failing;
    control.failing = false;
    store.get(sid, (err, value) => (err ? reject(err) : resolve(value as Record<string, unknown> | undefined)));
    calls.pop();
    control.failing = wasFailing;
  });
  const write = (sid: string, value: object) => new Promise<void>((resolve, reject) => {
    store.set(sid, value, (err) => (err ? reject(err) : resolve()));
    calls.pop();
  });
  return { store, calls, error, control, read, write };
}

type Handler = (req: express.Request, res: express.Response) => Promise<void> | void;

/** An app with a `/init` route that saves `x = 1`, and the given async routes. */
function makeApp(store: StoreLike, routes: Record<string, Handler>, impl: Impl = OURS) {
  const app = express();
  app.use(impl.session({ secret: 'keyboard cat', resave: false, saveUninitialized: false, store }));
  app.get('/init', (req, res) => {
    data(req.session).x = 1;
    res.end('ok');
  });
  for (const [route, handler] of Object.entries(routes)) {
    app.get(route, (req, res, next) => {
      Promise.resolve(handler(req, res)).catch(next);
    });
  }
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).end(`error: ${err.stack ?? String(err)}`);
  });
  return app;
}

async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('Session methods without a callback return a Promise', () => {
  test('save() resolves only after the store answered, and the store then has the data', async () => {
    const s = instrumentedStore();
    const app = makeApp(s.store, {
      '/save': async (req, res) => {
        data(req.session).x = 2;
        s.control.holdSet = true;
        let resolved = false;
        const promise = req.session.save();
        assert.ok(promise instanceof Promise);
        const observed = promise.then(() => {
          resolved = true;
        });
        await turns();
        assert.equal(s.control.held.length, 1, 'store.set was called');
        assert.equal(resolved, false, 'save() resolved before the store answered');
        s.control.holdSet = false;
        s.control.held.shift()!();
        await observed;
        assert.equal((await s.read(req.sessionID))?.x, 2);
        res.end('ok');
      },
    });
    const agent = request.agent(app);
    await agent.get('/init').expect(200);
    const res = await agent.get('/save');
    assert.equal(res.status, 200, res.text);
  });

  test('with a callback, each method returns the session and calls back after the store', async () => {
    const s = instrumentedStore();
    const app = makeApp(s.store, {
      '/callbacks': async (req, res) => {
        const sess = req.session;
        data(sess).x = 3;
        await new Promise<void>((resolve, reject) => {
          const returned = sess.save((err) => (err ? reject(err) : resolve()));
          assert.equal(returned, sess);
        });
        assert.equal((await s.read(req.sessionID))?.x, 3);

        await new Promise<void>((resolve, reject) => {
          const returned = req.session.reload((err) => (err ? reject(err) : resolve()));
          assert.equal(returned, sess);
        });
        assert.equal(data(req.session).x, 3);

        const before = req.session;
        await new Promise<void>((resolve, reject) => {
          const returned = before.regenerate((err) => (err ? reject(err) : resolve()));
          assert.equal(returned, before);
        });
        assert.notEqual(req.session, before);

        const current = req.session;
        await new Promise<void>((resolve, reject) => {
          const returned = current.destroy((err) => (err ? reject(err) : resolve()));
          assert.equal(returned, current);
        });
        assert.equal(req.session, undefined);
        res.end('ok');
      },
    });
    const agent = request.agent(app);
    await agent.get('/init').expect(200);
    const res = await agent.get('/callbacks');
    assert.equal(res.status, 200, res.text);
  });

  test('reload() sees a change written to the store by someone else', async () => {
    const s = instrumentedStore();
    const app = makeApp(s.store, {
      '/reload': async (req, res) => {
        const before = req.session;
        const stored = await s.read(req.sessionID);
        await s.write(req.sessionID, { ...stored, x: 42, other: 'writer' });
        assert.equal(data(req.session).x, 1);
        const promise = req.session.reload();
        assert.ok(promise instanceof Promise);
        await promise;
        assert.notEqual(req.session, before, 'req.session is replaced');
        assert.equal(data(req.session).x, 42);
        assert.equal(data(req.session).other, 'writer');
        assert.equal(req.session.id, req.sessionID);
        res.end('ok');
      },
    });
    const agent = request.agent(app);
    await agent.get('/init').expect(200);
    const res = await agent.get('/reload');
    assert.equal(res.status, 200, res.text);
  });

  test('destroy() removes req.session and the stored entry', async () => {
    const s = instrumentedStore();
    const app = makeApp(s.store, {
      '/destroy': async (req, res) => {
        const sid = req.sessionID;
        assert.ok(await s.read(sid));
        const promise = req.session.destroy();
        assert.ok(promise instanceof Promise);
        assert.equal(req.session, undefined, 'req.session is removed at once');
        await promise;
        assert.equal(await s.read(sid), undefined);
        res.end('ok');
      },
    });
    const agent = request.agent(app);
    await agent.get('/init').expect(200);
    const res = await agent.get('/destroy');
    assert.equal(res.status, 200, res.text);
  });

  test('regenerate() gives a new, empty session and removes the old one from the store', async () => {
    const s = instrumentedStore();
    let oldId = '';
    let newId = '';
    const app = makeApp(s.store, {
      '/regenerate': async (req, res) => {
        oldId = req.sessionID;
        const promise = req.session.regenerate();
        assert.ok(promise instanceof Promise);
        await promise;
        newId = req.sessionID;
        assert.notEqual(newId, oldId);
        assert.equal(req.session.id, newId);
        assert.deepEqual(Object.keys(req.session), ['cookie'], 'the new session is empty');
        assert.equal(await s.read(oldId), undefined, 'old id gone from the store');
        data(req.session).user = 'alice';
        res.end('ok');
      },
      '/whoami': (req, res) => {
        res.end(String(data(req.session).user));
      },
    });
    const agent = request.agent(app);
    await agent.get('/init').expect(200);
    const res = await agent.get('/regenerate');
    assert.equal(res.status, 200, res.text);
    assert.equal((await s.read(newId))?.user, 'alice');
    assert.equal((await agent.get('/whoami')).text, 'alice');
  });
});

describe('failures', () => {
  for (const method of ['save', 'reload', 'destroy', 'regenerate'] as const) {
    test(`${method}() rejects with the store's error, and the callback form gets it`, async () => {
      const s = instrumentedStore();
      const app = makeApp(s.store, {
        '/fail': async (req, res) => {
          const sess = req.session;
          s.control.failing = true;
          await assert.rejects(sess[method](), (err) => err === s.error);
          const viaCallback = await new Promise<unknown>((resolve) => {
            // regenerate/destroy replaced req.session: call the method on the original object again
            sess[method]((err?: unknown) => resolve(err));
          });
          assert.equal(viaCallback, s.error);
          s.control.failing = false;
          res.end('ok');
        },
      });
      const agent = request.agent(app);
      await agent.get('/init').expect(200);
      const res = await agent.get('/fail');
      assert.equal(res.status, 200, res.text);
    });
  }

  test('reload() of a session missing from the store fails as express-session does', async () => {
    async function reloadMissing(impl: Impl): Promise<string> {
      const s = instrumentedStore(impl);
      let message = '';
      const app = makeApp(s.store, {
        '/gone': async (req, res) => {
          await new Promise<void>((resolve) => s.store.destroy(req.sessionID, () => resolve()));
          message = await new Promise<string>((resolve) => {
            req.session.reload((err?: unknown) => resolve(err instanceof Error ? err.message : String(err)));
          });
          res.end('ok');
        },
      }, impl);
      const agent = request.agent(app);
      await agent.get('/init').expect(200);
      await agent.get('/gone').expect(200);
      return message;
    }
    const expected = await reloadMissing(ORACLE);
    assert.equal(await reloadMissing(OURS), expected);
    // and the Promise form rejects with the same message
    const s = instrumentedStore();
    const app = makeApp(s.store, {
      '/gone': async (req, res) => {
        await new Promise<void>((resolve) => s.store.destroy(req.sessionID, () => resolve()));
        await assert.rejects(req.session.reload(), { message: expected });
        res.end('ok');
      },
    });
    const agent = request.agent(app);
    await agent.get('/init').expect(200);
    const res = await agent.get('/gone');
    assert.equal(res.status, 200, res.text);
  });

  test('a rejected Promise nobody awaits is not an unhandled rejection', async () => {
    const rejections: unknown[] = [];
    const listener = (reason: unknown) => {
      rejections.push(reason);
    };
    process.on('unhandledRejection', listener);
    try {
      const s = instrumentedStore();
      let settled = 0;
      const app = makeApp(s.store, {
        '/ignore': async (req, res) => {
          const sess = req.session;
          s.control.failing = true;
          for (const method of ['save', 'reload', 'destroy', 'regenerate'] as const) {
            // deliberately not awaited; count the store answers to know they came back
            void sess[method]();
          }
          await turns(10);
          settled = s.calls.length;
          s.control.failing = false;
          res.end('ok');
        },
      });
      const agent = request.agent(app);
      await agent.get('/init').expect(200);
      const res = await agent.get('/ignore');
      assert.equal(res.status, 200, res.text);
      assert.ok(settled >= 4, 'the store was called and failed');
      await turns(10);
      assert.deepEqual(rejections, []);
    } finally {
      process.removeListener('unhandledRejection', listener);
    }
  });

  test('a callback that throws surfaces as an uncaught exception, not an unhandled rejection', () => {
    const script = (modulePath: string) => `
      const session = require(${JSON.stringify(modulePath)});
      process.on('uncaughtException', (e) => { console.log('uncaught:' + e.message); });
      process.on('unhandledRejection', (e) => { console.log('unhandled:' + e.message); });
      const store = new session.MemoryStore();
      const req = { sessionID: 'abc', sessionStore: store };
      const sess = new session.Session(req, {});
      sess.cookie = new session.Cookie();
      sess.save(() => { throw new Error('boom'); });
    `;
    const run = (modulePath: string) => {
      const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script(modulePath)], {
        encoding: 'utf8',
        env: { ...process.env, NO_DEPRECATION: 'express-session' },
      });
      assert.equal(child.status, 0, child.stderr);
      return child.stdout.trim();
    };
    const expected = run(require.resolve('express-session'));
    assert.equal(expected, 'uncaught:boom');
    assert.equal(run(SRC), expected);
  });
});

describe('reload() keeps the change tracking (re-wrapping)', () => {
  type Style = 'callback' | 'promise';
  async function storeCallsAfterReloadAndSave(impl: Impl, style: Style): Promise<string[]> {
    const s = instrumentedStore(impl);
    const app = makeApp(s.store, {
      '/reload-save': async (req, res) => {
        if (style === 'promise') {
          await req.session.reload();
          data(req.session).x = 2;
          await req.session.save();
        } else {
          await new Promise<void>((resolve, reject) => req.session.reload((e) => (e ? reject(e) : resolve())));
          data(req.session).x = 2;
          await new Promise<void>((resolve, reject) => req.session.save((e) => (e ? reject(e) : resolve())));
        }
        res.end('ok');
      },
    }, impl);
    const agent = request.agent(app);
    await agent.get('/init').expect(200);
    s.calls.length = 0;
    const res = await agent.get('/reload-save');
    assert.equal(res.status, 200, res.text);
    return s.calls.slice();
  }

  test('after reload, an explicit save() is the only set: the end of the response does not save again', async () => {
    const expected = await storeCallsAfterReloadAndSave(ORACLE, 'callback');
    assert.equal(expected.filter((c) => c === 'set').length, 1);
    assert.deepEqual(await storeCallsAfterReloadAndSave(OURS, 'callback'), expected);
    assert.deepEqual(await storeCallsAfterReloadAndSave(OURS, 'promise'), expected);
  });

  test('twenty nested reloads keep working', async () => {
    const s = instrumentedStore();
    const app = makeApp(s.store, {
      '/many': async (req, res) => {
        for (let i = 0; i < 20; i++) await req.session.reload();
        data(req.session).x = 5;
        await req.session.save();
        res.end('ok');
      },
    });
    const agent = request.agent(app);
    await agent.get('/init').expect(200);
    s.calls.length = 0;
    const res = await agent.get('/many');
    assert.equal(res.status, 200, res.text);
    assert.equal(s.calls.filter((c) => c === 'set').length, 1);
  });
});

