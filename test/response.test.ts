import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import session = require('../src/index.js');

type Callback = (err?: unknown, value?: unknown) => void;
type Next = (err?: unknown) => void;
type Middleware = (req: http.IncomingMessage, res: http.ServerResponse, next: Next) => void;
type Factory = (options: Record<string, unknown>) => Middleware;
interface MemoryStoreLike {
  get(sid: string, cb: Callback): void;
  set(sid: string, sess: unknown, cb?: Callback): void;
  destroy(sid: string, cb?: Callback): void;
}
// The oracle has no @types installed.
const oracleModule = require('express-session') as Factory & { MemoryStore: new () => MemoryStoreLike };
const IMPLS = {
  ours: { session: session as unknown as Factory, MemoryStore: session.MemoryStore as unknown as new () => MemoryStoreLike },
  oracle: { session: oracleModule as Factory, MemoryStore: oracleModule.MemoryStore },
};
type ImplName = keyof typeof IMPLS;

type SessionReq = http.IncomingMessage & { session?: Record<string, unknown>; sessionID?: string };
type App = (req: SessionReq, res: http.ServerResponse) => void;

const OPTIONS = { secret: 'keyboard cat', resave: false, saveUninitialized: false };

/** A node:http handler: the middleware, then `app`; `next(err)` answers 500 (unless `onError` is given). */
function handler(mw: Middleware, app: App, onError?: (err: unknown, req: SessionReq, res: http.ServerResponse) => void) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    mw(req, res, (err?: unknown) => {
      if (err) {
        if (onError) return onError(err, req as SessionReq, res);
        res.statusCode = 500;
        res.end(`error: ${String(err)}`);
        return;
      }
      app(req as SessionReq, res);
    });
  };
}

/** A store whose set() waits until the test releases it, and which can fail. */
function controlledStore(impl: ImplName = 'ours') {
  const store = new IMPLS[impl].MemoryStore();
  const originalSet = store.set.bind(store);
  const control = {
    sets: 0,
    holdSets: false,
    failSets: false,
    error: new Error('store set failed'),
    held: [] as Array<() => void>,
    /** Resolves when the next set() call arrives. */
    setCalled: Promise.resolve(),
  };
  let signalSet: () => void = () => {};
  const arm = () => {
    control.setCalled = new Promise<void>((resolve) => {
      signalSet = resolve;
    });
  };
  arm();
  store.set = (sid: string, sess: unknown, cb?: Callback) => {
    control.sets++;
    const answer = () => {
      if (control.failSets) setImmediate(() => cb?.(control.error));
      else originalSet(sid, sess, cb);
    };
    if (control.holdSets) control.held.push(answer);
    else answer();
    const signal = signalSet;
    arm();
    signal();
  };
  return { store, control };
}

async function listen(fn: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(fn);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

interface RawResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request that reports, through `received`, whether the response has begun to arrive. */
function rawGet(port: number, path = '/') {
  const state = { received: false };
  const done = new Promise<RawResult>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      state.received = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  return { state, done };
}

/** Closes the server, dropping open connections so that a failed test cannot hang here. */
function close(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('plain node:http server (no Express)', () => {
  test('a counter works', async () => {
    const mw = session(OPTIONS) as unknown as Middleware;
    const app = handler(mw, (req, res) => {
      const n = ((req.session!.n as number | undefined) ?? 0) + 1;
      req.session!.n = n;
      res.setHeader('Content-Type', 'text/plain');
      res.end(String(n));
    });
    const agent = request.agent(app);
    for (let i = 1; i <= 3; i++) {
      const res = await agent.get('/');
      assert.equal(res.status, 200);
      assert.equal(res.text, String(i));
    }
  });

  // Intended difference 1: express-session writes the headers (and all but the last byte)
  // before the store answers; we hold the whole response.
  for (const impl of ['oracle', 'ours'] as const) {
    test(`${impl}: what the client has received while the store's set() is pending`, async () => {
      const { store, control } = controlledStore(impl);
      control.holdSets = true;
      const mw = IMPLS[impl].session({ ...OPTIONS, store });
      const body = 'hello, held world';
      const { server, port } = await listen(handler(mw, (req, res) => {
        req.session!.n = 1;
        res.setHeader('Content-Type', 'text/plain');
        res.setHeader('Content-Length', Buffer.byteLength(body));
        res.end(body);
      }));
      try {
        const { state, done } = rawGet(port);
        await control.setCalled;
        if (impl === 'oracle') {
          // The control case: proves this harness sees a response that starts before set() answers.
          while (!state.received) await new Promise((resolve) => setTimeout(resolve, 5));
        } else {
          // Give a response that was (wrongly) sent time to arrive; the oracle case shows it would.
          await new Promise((resolve) => setTimeout(resolve, 100));
          assert.equal(state.received, false, 'the client received the response before the store answered');
        }
        control.holdSets = false;
        control.held.shift()!();
        const res = await done;
        assert.equal(res.status, 200);
        assert.equal(res.body, body);
        assert.equal(res.headers['content-length'], String(Buffer.byteLength(body)));
        assert.equal(res.headers['transfer-encoding'], undefined);
        assert.equal(control.sets, 1);
      } finally {
        await close(server);
      }
    });
  }

  test('the held response is one complete response on the wire', async () => {
    const { store, control } = controlledStore();
    control.holdSets = true;
    const mw = session({ ...OPTIONS, store: store as unknown as session.SessionStore }) as unknown as Middleware;
    const body = 'complete';
    const { server, port } = await listen(handler(mw, (req, res) => {
      req.session!.n = 1;
      res.setHeader('Content-Length', body.length);
      res.end(body);
    }));
    try {
      const socket = new Socket();
      let raw = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        raw += chunk;
      });
      await new Promise<void>((resolve) => socket.connect(port, '127.0.0.1', resolve));
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await control.setCalled;
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(raw, '', 'nothing on the wire before the store answered');
      control.held.shift()!();
      await new Promise((resolve) => socket.on('close', resolve));
      assert.equal(raw.split('HTTP/1.1 ').length - 1, 1, 'exactly one status line');
      const [head, payload] = raw.split('\r\n\r\n');
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(head, /\r\nContent-Length: 8\r\n/i);
      assert.match(head, /\r\nSet-Cookie: connect\.sid=s%3A/i);
      assert.equal(payload, body);
    } finally {
      await close(server);
    }
  });

  describe('res.end(cb) forms are honoured', () => {
    const forms: Array<[string, (res: http.ServerResponse, cb: () => void) => unknown, string]> = [
      ['end(cb)', (res, cb) => res.end(cb), ''],
      ['end(chunk, cb)', (res, cb) => res.end('body', cb), 'body'],
      ['end(chunk, encoding, cb)', (res, cb) => res.end('626f6479', 'hex', cb), 'body'],
      ['end(buffer, cb)', (res, cb) => res.end(Buffer.from('buf'), cb), 'buf'],
    ];
    for (const [label, end, expectedBody] of forms) {
      for (const modified of [true, false]) {
        test(`${label}${modified ? ' after a save' : ' without a store call'}`, async () => {
          const { store, control } = controlledStore();
          const mw = session({ ...OPTIONS, store: store as unknown as session.SessionStore }) as unknown as Middleware;
          let called = 0;
          let setsWhenCalled = -1;
          const app = handler(mw, (req, res) => {
            if (modified) req.session!.n = 1;
            end(res, () => {
              called++;
              setsWhenCalled = control.sets;
            });
          });
          const res = await request(app).get('/');
          assert.equal(res.status, 200);
          assert.equal(res.text, expectedBody);
          await turns();
          assert.equal(called, 1, 'the end callback ran once');
          assert.equal(setsWhenCalled, modified ? 1 : 0);
        });
      }
    }
  });

  // Intended difference: express-session's second end() returns false and
  // does nothing; ours answers as Node's ended response does.
  test('end called twice: the second answers as on an ended node:http response, and the store is called once', async () => {
    async function run(withSession: boolean) {
      const { store, control } = controlledStore('ours');
      const mw: Middleware = withSession
        ? session({ ...OPTIONS, store: store as unknown as session.SessionStore }) as unknown as Middleware
        : (_req, _res, next) => next();
      const seen: string[] = [];
      const app = handler(mw, (req, res) => {
        if (req.session) req.session.n = 1;
        res.on('error', (err: NodeJS.ErrnoException) => seen.push(`error event ${err.code}`));
        res.end('first');
        seen.push(`end() returns res: ${String(res.end() === res)}`);
        seen.push(`end(chunk) returns res: ${String(res.end('second', (err?: NodeJS.ErrnoException | null) => seen.push(`callback ${err?.code}`)) === res)}`);
      });
      const res = await request(app).get('/');
      await turns();
      return { seen: seen.sort(), sets: control.sets, body: res.text, status: res.status };
    }
    const expected = await run(false);
    assert.ok(expected.seen.includes('error event ERR_STREAM_WRITE_AFTER_END'), expected.seen.join());
    assert.deepEqual(await run(true), { ...expected, sets: 1 });
  });
});

describe('WebSocket-style callers', () => {
  function upgradeRequest(cookie?: string): http.IncomingMessage {
    const req = new http.IncomingMessage(new Socket());
    req.method = 'GET';
    req.url = '/socket.io/?EIO=4&transport=websocket';
    req.headers = { host: 'localhost', upgrade: 'websocket', ...(cookie ? { cookie } : {}) };
    return req;
  }

  for (const [label, makeRes] of [
    ['res = {}', () => ({})],
    ['res = { end() {} }', () => ({ end() {} })],
  ] as const) {
    test(`${label}: req.session is set and nothing throws`, async () => {
      const store = new session.MemoryStore();
      const mw = session({ ...OPTIONS, store }) as unknown as (req: unknown, res: unknown, next: Next) => void;
      const req = upgradeRequest() as SessionReq;
      const res = makeRes() as { end?: () => unknown };
      const err = await new Promise<unknown>((resolve) => {
        mw(req, res, resolve);
      });
      assert.equal(err, undefined);
      assert.ok(req.session instanceof session.Session);
      assert.equal(typeof req.sessionID, 'string');
      if (typeof res.end === 'function') {
        req.session.n = 1;
        assert.doesNotThrow(() => res.end!());
        await turns();
      }
    });
  }

  test('res = { end() {} }: end() saves, then calls the original end', async () => {
    const { store, control } = controlledStore();
    const mw = session({ ...OPTIONS, store: store as unknown as session.SessionStore }) as unknown as (
      req: unknown, res: unknown, next: Next) => void;
    const req = upgradeRequest() as SessionReq;
    let ended = 0;
    const res = { end() { ended++; } };
    await new Promise<unknown>((resolve) => mw(req, res, resolve));
    req.session!.n = 1;
    res.end();
    await turns();
    assert.equal(control.sets, 1);
    assert.equal(ended, 1);
    const stored = await new Promise<unknown>((resolve) => store.get(req.sessionID!, (_e, v) => resolve(v)));
    assert.equal((stored as Record<string, unknown>).n, 1);
  });
});

describe('a store failure at end', () => {
  test('headers not sent: the error handler answers (500), and body headers of the dropped response do not leak', async () => {
    const { store, control } = controlledStore();
    control.failSets = true;
    const mw = session({ ...OPTIONS, store: store as unknown as session.SessionStore }) as unknown as Middleware;
    let handled: unknown;
    const app = handler(
      mw,
      (req, res) => {
        req.session!.n = 1;
        res.statusCode = 302;
        res.setHeader('Location', '/next');
        res.setHeader('Content-Type', 'text/html');
        res.setHeader('X-App', 'kept');
        res.end('<a href="/next">redirecting</a>');
      },
      (err, _req, res) => {
        handled = err;
        res.statusCode = 500;
        res.end('failed');
      },
    );
    const res = await request(app).get('/').redirects(0);
    assert.equal(handled, control.error);
    assert.equal(res.status, 500);
    assert.equal(res.text, 'failed');
    assert.equal(res.headers.location, undefined);
    assert.equal(res.headers['content-type'], undefined);
    assert.equal(res.headers['content-length'], '6');
    // The session was never saved: the error response hands out no cookie for it.
    assert.equal(res.headers['set-cookie'], undefined);
  });

  test('headers already flushed (res.write first): the client gets the original response, then next(err)', async () => {
    const { store, control } = controlledStore();
    control.failSets = true;
    const mw = session({ ...OPTIONS, store: store as unknown as session.SessionStore }) as unknown as Middleware;
    let handled: unknown;
    let endedWhenHandled: boolean | undefined;
    let errorHandled!: () => void;
    const whenHandled = new Promise<void>((resolve) => {
      errorHandled = resolve;
    });
    const { server, port } = await listen(handler(
      mw,
      (req, res) => {
        req.session!.n = 1;
        res.setHeader('Content-Type', 'text/plain');
        res.write('streamed ');
        res.end('tail');
      },
      (err, _req, res) => {
        handled = err;
        endedWhenHandled = res.writableEnded;
        errorHandled();
      },
    ));
    try {
      const res = await rawGet(port).done;
      assert.equal(res.status, 200);
      assert.equal(res.body, 'streamed tail');
      assert.equal(res.headers['content-type'], 'text/plain');
    } finally {
      await close(server);
    }
    await whenHandled;
    assert.equal(handled, control.error);
    assert.equal(endedWhenHandled, true, 'next(err) came after the response was ended');
  });
});
