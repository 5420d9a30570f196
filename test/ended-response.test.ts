/**
 * A response whose end() is held for its commit is, for the app and every
 * other middleware, an ended response: each call the app can make after
 * end() is compared with the same call on a plain node:http (and HTTP/2
 * compatibility) response without the middleware: return values, errors
 * thrown, callbacks, 'error' events, and the bytes the client receives.
 * Also: a socket destroyed while held, a failed commit that gives the error
 * handler the real unsent response, and a touch that never holds.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import session = require('../src/index.js');
import { pipeline } from './helpers/raw-http.js';
import { guardProcess } from './helpers/process-guard.js';

const SECRET = 'ended response';
type Callback = NonNullable<Parameters<session.MemoryStore['set']>[2]>;
type Next = (err?: unknown) => void;
type Middleware = (req: http.IncomingMessage, res: http.ServerResponse, next: Next) => void;
type SessionReq = http.IncomingMessage & { session?: Record<string, unknown> & session.Session; sessionID?: string };

/** A MemoryStore whose answers come a few ms later (or when released, for `hold`), and can fail. */
class SlowStore extends session.MemoryStore {
  delay = 3;
  hold: 'set' | 'touch' | undefined;
  fail: 'set' | 'touch' | undefined;
  readonly held: Array<() => void> = [];
  readonly answered: string[] = [];

  override get(...args: Parameters<session.MemoryStore['get']>): void {
    setTimeout(() => super.get(...args), this.delay);
  }

  override set(sid: string, sess: Parameters<session.MemoryStore['set']>[1], cb?: Callback): void {
    this.later('set', cb, (done) => super.set(sid, sess, done));
  }

  override touch(sid: string, sess: Parameters<session.MemoryStore['touch']>[1], cb?: Callback): void {
    this.later('touch', cb, (done) => super.touch(sid, sess, done));
  }

  private later(method: 'set' | 'touch', cb: Callback | undefined, work: (done: Callback) => void): void {
    const answer = (): void => {
      if (this.fail === method) {
        this.answered.push(method);
        cb?.(new Error(`${method} failed`));
        return;
      }
      work((err) => {
        this.answered.push(method);
        cb?.(err);
      });
    };
    if (this.hold === method) this.held.push(answer);
    else setTimeout(answer, this.delay);
  }
}

guardProcess({ failOnEscape: true });

function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return `${e.name} ${String(e.code)} ${e.message}`;
}

/** Calls `fn`, and describes what it returned or threw. */
function attempt(res: object, fn: () => unknown): string {
  try {
    const value = fn();
    return `returned ${value === res ? 'res' : JSON.stringify(value)}`;
  } catch (err) {
    return `threw ${describeError(err)}`;
  }
}

/** What an app can do to a response after end(), and what it sees doing it (`log` collects callbacks). */
type Probe = (res: http.ServerResponse, log: (entry: string) => void) => string[];
const cb = (log: (entry: string) => void, name: string) => (err?: unknown) => log(`${name} callback ${err ? describeError(err) : 'no error'}`);

const PROBES: Record<string, Probe> = {
  'the state': (res) => [`headersSent ${res.headersSent}`, `writableEnded ${res.writableEnded}`, `finished ${res.finished}`,
    `_header ${typeof (res as unknown as { _header: unknown })._header}`],
  'setHeader': (res) => [attempt(res, () => res.setHeader('X-Late', '1')), attempt(res, () => res.setHeader('Bad Name', '1'))],
  'appendHeader': (res) => [attempt(res, () => res.appendHeader('X-Late', '1'))],
  'removeHeader': (res) => [attempt(res, () => res.removeHeader('Content-Type')),
    attempt(res, () => res.removeHeader(1 as unknown as string))],
  'setHeaders': (res) => [attempt(res, () => res.setHeaders(new Map([['x-late', '1']])))],
  'writeHead': (res) => [attempt(res, () => res.writeHead(500)), attempt(res, () => res.writeHead(500, { 'X-Late': '1' })),
    attempt(res, () => res.writeHead(42))],
  'flushHeaders': (res) => [attempt(res, () => res.flushHeaders())],
  'write': (res, log) => [attempt(res, () => res.write('late', cb(log, 'write'))),
    attempt(res, () => res.write(42 as unknown as string))],
  'a second end()': (res) => [attempt(res, () => res.end())],
  'a second end(cb)': (res, log) => [attempt(res, () => res.end(cb(log, 'end')))],
  'a second end(chunk, cb)': (res, log) => [attempt(res, () => res.end('late', cb(log, 'end')))],
  'status, message, date and trailers changed': (res) => {
    res.statusCode = 500;
    res.statusMessage = 'Changed';
    res.sendDate = false;
    res.addTrailers({ 'X-Trailer': '1' });
    return [`statusCode ${res.statusCode}`];
  },
  'a header array changed in place': (res) => {
    (res.getHeader('X-List') as string[]).push('late');
    return [];
  },
};

interface Observed {
  sync: string[];
  async: string[];
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One request: the app sets a few headers, changes the session (so that its
 * save holds the response, when `store` is given), ends, then runs `probe`.
 */
async function observe(probe: Probe, store: session.MemoryStore | undefined): Promise<Observed> {
  const mw: Middleware = store
    ? session({ secret: SECRET, resave: false, saveUninitialized: false, store }) as unknown as Middleware
    : (_req, _res, next) => next();
  const asyncLog: string[] = [];
  let sync: string[] = [];
  let finished!: () => void;
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const server = http.createServer((req, res) => {
    mw(req, res, () => {
      const sessioned = req as SessionReq;
      if (sessioned.session) sessioned.session.n = 1;
      res.on('error', (err) => asyncLog.push(`error event ${describeError(err)}`));
      res.on('close', () => setTimeout(finished, 10));
      res.setHeader('Content-Type', 'text/plain');
      res.setHeader('X-List', ['a', 'b']);
      res.end('body');
      sync = probe(res, (entry) => asyncLog.push(entry));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { responses, leftover } = await pipeline((server.address() as AddressInfo).port, [{ path: '/' }]);
    await done;
    assert.equal(leftover, '');
    const [{ status, headers, body }] = responses;
    for (const name of ['date', 'set-cookie', 'connection']) delete headers[name];
    return { sync, async: asyncLog.sort(), status, headers, body };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('after end(), a held response is an ended node:http response', () => {
  for (const [name, probe] of Object.entries(PROBES)) {
    test(name, async () => {
      const expected = await observe(probe, undefined);
      assert.deepEqual(await observe(probe, new session.MemoryStore()), expected, 'MemoryStore');
      assert.deepEqual(await observe(probe, new SlowStore()), expected, 'a store that answers later');
    });
  }
});

describe('HTTP/2 compatibility API', () => {
  const TLS = path.join(__dirname, 'fixtures', 'tls');
  const key = readFileSync(path.join(TLS, 'localhost-key.pem'));
  const cert = readFileSync(path.join(TLS, 'localhost-cert.pem'));

  async function observe2(withSession: boolean): Promise<{ sync: string[]; async: string[]; status: number; list: unknown; body: string }> {
    const store = new SlowStore();
    const mw = withSession
      ? session({ secret: SECRET, resave: false, saveUninitialized: false, store }) as unknown as (
        req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, next: Next) => void
      : (_req: unknown, _res: unknown, next: Next) => next();
    const asyncLog: string[] = [];
    let sync: string[] = [];
    const server = http2.createSecureServer({ key, cert }, (req, res) => {
      mw(req, res, () => {
        const sessioned = req as unknown as SessionReq;
        if (sessioned.session) sessioned.session.n = 1;
        res.setHeader('content-type', 'text/plain');
        res.setHeader('x-list', ['a', 'b']);
        res.end('body');
        // Changed in place after end(): a response that went out at end() keeps what it had.
        (res.getHeader('x-list') as unknown as string[]).push('late');
        sync = [
          `headersSent ${res.headersSent}`, `writableEnded ${res.writableEnded}`, `finished ${res.finished}`,
          attempt(res, () => res.setHeader('x-late', '1')),
          attempt(res, () => res.appendHeader('x-late', '1')),
          attempt(res, () => res.removeHeader('content-type')),
          attempt(res, () => res.writeHead(500)),
          attempt(res, () => (res as unknown as { flushHeaders(): unknown }).flushHeaders()),
          attempt(res, () => {
            res.statusCode = 500;
          }),
          attempt(res, () => res.end((err?: unknown) => asyncLog.push(`end callback ${String(err)}`))),
        ];
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = http2.connect(`https://localhost:${(server.address() as AddressInfo).port}`, { ca: cert });
    try {
      const reply = await new Promise<{ status: number; list: unknown; body: string }>((resolve, reject) => {
        const stream = client.request({ ':path': '/' });
        let status = 0;
        let list: unknown;
        let body = '';
        stream.setEncoding('utf8');
        stream.on('response', (headers) => {
          status = Number(headers[':status']);
          list = headers['x-list'];
        });
        stream.on('data', (chunk: string) => {
          body += chunk;
        });
        stream.on('end', () => resolve({ status, list, body }));
        stream.on('error', reject);
        stream.end();
      });
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (withSession) assert.deepEqual(store.answered, ['set']);
      return { sync, async: asyncLog, ...reply };
    } finally {
      await new Promise<void>((resolve) => client.close(() => resolve()));
      await new Promise((resolve) => server.close(resolve));
    }
  }

  test('a held response is an ended one: the same answers, the same response on the wire', async () => {
    const expected = await observe2(false);
    assert.equal(expected.sync[0], 'headersSent true');
    assert.equal(expected.list, 'a, b');
    assert.deepEqual(await observe2(true), expected);
  });
});

/** A node:http server: the middleware over `store`, then `app`; `next(err)` goes to `onError`. */
async function serve(
  store: session.MemoryStore,
  app: (req: SessionReq, res: http.ServerResponse) => void,
  onError: (err: unknown, res: http.ServerResponse) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const mw = session({ secret: SECRET, resave: false, saveUninitialized: false, store }) as unknown as Middleware;
  const server = http.createServer((req, res) => {
    mw(req, res, (err) => (err ? onError(err, res) : app(req as SessionReq, res)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('while held', () => {
  for (const outcome of ['succeeds', 'fails'] as const) {
    test(`a socket destroyed meanwhile: the store write still completes (and ${outcome}), nothing throws`, async () => {
      const store = new SlowStore();
      store.hold = 'set';
      if (outcome === 'fails') store.fail = 'set';
      const errors: unknown[] = [];
      let sawEnded = false;
      let destroyed!: () => void;
      const whenDestroyed = new Promise<void>((resolve) => {
        destroyed = resolve;
      });
      const server = await serve(store, (req, res) => {
        req.session!.n = 1;
        res.end('held');
        res.socket!.on('close', destroyed);
        // An error after end(): finalhandler destroys the socket of a response whose headers were sent.
        sawEnded = res.headersSent && res.writableEnded;
        if (sawEnded) res.socket!.destroy();
        else res.end('an error page');
      }, (err, res) => {
        errors.push(err);
        res.statusCode = 500;
        res.end('handled');
      });
      try {
        const exchange = await pipeline(server.port, [{ path: '/' }]);
        assert.equal(sawEnded, true);
        assert.deepEqual(exchange.responses, []);
        await whenDestroyed;
        store.held.shift()!();
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(store.answered, ['set']);
        assert.equal(store.sessions && Object.keys(store.sessions).length, outcome === 'succeeds' ? 1 : 0);
        assert.deepEqual(errors.map(describeError), outcome === 'fails' ? ['Error undefined set failed'] : []);
      } finally {
        await server.close();
      }
    });
  }

  test('a failed save with nothing sent: the error handler gets the real, unsent response', async () => {
    const store = new SlowStore();
    store.fail = 'set';
    const seen: string[] = [];
    const server = await serve(store, (req, res) => {
      req.session!.n = 1;
      res.statusCode = 302;
      res.setHeader('Location', '/next');
      res.end('redirecting');
      seen.push(attempt(res, () => res.setHeader('X-Late', '1')));
      res.statusCode = 201;
    }, (err, res) => {
      seen.push(`handler: headersSent ${res.headersSent}, writableEnded ${res.writableEnded}, statusCode ${res.statusCode}`);
      res.setHeader('X-Handler', 'yes');
      res.statusCode = 500;
      res.end(`handled: ${(err as Error).message}`);
    });
    try {
      const { responses, leftover } = await pipeline(server.port, [{ path: '/' }]);
      assert.equal(leftover, '');
      assert.equal(responses.length, 1);
      const [response] = responses;
      assert.equal(response.status, 500);
      assert.equal(response.body, 'handled: set failed');
      assert.equal(response.headers['x-handler'], 'yes');
      assert.equal(response.headers.location, undefined);
      assert.deepEqual(seen, [
        'threw Error ERR_HTTP_HEADERS_SENT Cannot set headers after they are sent to the client',
        'handler: headersSent false, writableEnded false, statusCode 302',
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('a touch never holds the response', () => {
  /** A session in the store, and the cookie that names it. */
  async function signedIn(store: SlowStore, port: number): Promise<string> {
    store.hold = undefined;
    const { responses } = await pipeline(port, [{ path: '/login' }]);
    return responses[0].headers['set-cookie'].split(';')[0];
  }

  function app(req: SessionReq, res: http.ServerResponse): void {
    if (req.url === '/login') req.session!.user = 'ada';
    res.end(`user ${String(req.session!.user)}`);
  }

  test('the response is complete before the store\'s touch has answered', async () => {
    const store = new SlowStore();
    const errors: unknown[] = [];
    const server = await serve(store, app, (err) => errors.push(err));
    try {
      const cookie = await signedIn(store, server.port);
      store.hold = 'touch';
      const { responses } = await pipeline(server.port, [{ path: '/read', headers: { Cookie: cookie } }]);
      assert.equal(responses[0].body, 'user ada');
      assert.equal(store.held.length, 1, 'the touch was called');
      assert.deepEqual(store.answered, ['set'], 'and has not answered yet');
      store.held.shift()!();
      await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(store.answered, ['set', 'touch']);
      assert.deepEqual(errors, []);
    } finally {
      await server.close();
    }
  });

  test('a failing touch: the client gets its 200, then the error reaches next(err)', async () => {
    const store = new SlowStore();
    const errors: string[] = [];
    let handled!: () => void;
    const whenHandled = new Promise<void>((resolve) => {
      handled = resolve;
    });
    const server = await serve(store, app, (err, res) => {
      errors.push(`${(err as Error).message}; headersSent ${res.headersSent}, writableEnded ${res.writableEnded}`);
      handled();
    });
    try {
      const cookie = await signedIn(store, server.port);
      store.fail = 'touch';
      const { responses, leftover } = await pipeline(server.port, [
        { path: '/read', headers: { Cookie: cookie } },
        { path: '/read', headers: { Cookie: cookie } },
      ]);
      assert.equal(leftover, '');
      assert.deepEqual(responses.map(({ status, body }) => `${status} ${body}`), ['200 user ada', '200 user ada']);
      await whenHandled;
      await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(errors, ['touch failed; headersSent true, writableEnded true', 'touch failed; headersSent true, writableEnded true']);
    } finally {
      await server.close();
    }
  });
});
