/**
 * The middleware under `node:http2`'s compatibility API: a TLS HTTP/2 server
 * whose plain request handler calls the middleware, and a real HTTP/2 client
 * (`http2.connect`). A session persists across requests of one HTTP/2
 * connection, Set-Cookie is sent, the response waits for the store's set, and
 * a failing set reaches the error handler.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import session = require('../src/index.js');

const TLS = path.join(__dirname, 'fixtures', 'tls');
const key = readFileSync(path.join(TLS, 'localhost-key.pem'));
const cert = readFileSync(path.join(TLS, 'localhost-cert.pem'));

type Middleware = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, next: (err?: unknown) => void) => void;

interface Reply {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

interface Fixture {
  client: http2.ClientHttp2Session;
  /** One request on the shared HTTP/2 connection; `onResponse` runs when the headers arrive. */
  get(path: string, headers?: http2.OutgoingHttpHeaders, onResponse?: () => void): Promise<Reply>;
  close(): Promise<void>;
}

/**
 * An HTTP/2 server whose handler runs the middleware, then `app` (or, on an
 * error, answers 500 with the message, as an error handler would).
 */
async function start(
  middleware: Middleware,
  app: (req: http2.Http2ServerRequest & { session: session.Session }, res: http2.Http2ServerResponse) => void,
): Promise<Fixture> {
  const server = http2.createSecureServer({ key, cert }, (req, res) => {
    middleware(req, res, (err) => {
      if (err) {
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain');
        res.end(`error handler: ${(err as Error).message}`);
        return;
      }
      app(req as http2.Http2ServerRequest & { session: session.Session }, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = http2.connect(`https://localhost:${port}`, { ca: cert });
  client.on('error', () => undefined); // surfaced by the stream that fails
  return {
    client,
    get(urlPath, headers = {}, onResponse) {
      return new Promise((resolve, reject) => {
        const stream = client.request({ ':path': urlPath, ':method': 'GET', ...headers });
        let responseHeaders: http2.IncomingHttpHeaders = {};
        let body = '';
        stream.setEncoding('utf8');
        stream.on('response', (h) => {
          responseHeaders = h;
          onResponse?.();
        });
        stream.on('data', (chunk: string) => {
          body += chunk;
        });
        stream.on('end', () => resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, body }));
        stream.on('error', reject);
        stream.end();
      });
    },
    async close() {
      await new Promise<void>((resolve) => client.close(() => resolve()));
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function asMiddleware(options: session.SessionOptions): Middleware {
  return session(options) as unknown as Middleware;
}

function cookieOf(reply: Reply): string {
  const setCookie = reply.headers['set-cookie'];
  assert.ok(Array.isArray(setCookie) && setCookie[0], `Set-Cookie in ${JSON.stringify(reply.headers)}`);
  return setCookie[0].split(';')[0]!;
}

/** A MemoryStore whose set() can be held until released, or made to fail. */
function controlledStore() {
  const inner = new session.MemoryStore();
  const control = {
    hold: false,
    fail: false,
    held: [] as Array<() => void>,
    setCalls: 0,
  };
  const store: session.SessionStore = {
    get: (sid, cb) => inner.get(sid, cb),
    destroy: (sid, cb) => inner.destroy(sid, cb),
    set(sid, sess, cb) {
      control.setCalls += 1;
      if (control.fail) {
        setImmediate(() => cb?.(new Error('store set failed')));
        return;
      }
      if (control.hold) {
        control.held.push(() => inner.set(sid, sess, cb));
        return;
      }
      inner.set(sid, sess, cb);
    },
  };
  return { store, control, inner };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100000 && !check(); i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(check(), 'condition never became true');
}

const OPTIONS = { secret: 'http2 secret', resave: false, saveUninitialized: false };

describe('HTTP/2 (node:http2 compatibility API)', () => {
  test('a counter persists across 3 requests on one HTTP/2 session; Set-Cookie on the first response', async () => {
    const fixture = await start(asMiddleware({ ...OPTIONS, cookie: { secure: true } }), (req, res) => {
      const data = req.session as unknown as { count?: number };
      data.count = (data.count ?? 0) + 1;
      res.setHeader('content-type', 'text/plain');
      res.end(String(data.count));
    });
    try {
      const first = await fixture.get('/');
      assert.equal(first.status, 200);
      assert.equal(first.body, '1');
      const setCookie = first.headers['set-cookie'];
      assert.ok(Array.isArray(setCookie) && setCookie.length === 1);
      assert.match(setCookie[0]!, /^connect\.sid=s%3A[^;]+; Path=\/; HttpOnly; Secure$/, 'a secure cookie: the HTTP/2 request counts as TLS');
      const cookie = cookieOf(first);
      const second = await fixture.get('/', { cookie });
      const third = await fixture.get('/', { cookie });
      assert.deepEqual([second.status, second.body, third.status, third.body], [200, '2', 200, '3']);
      assert.equal(second.headers['set-cookie'], undefined, 'no new cookie for a known session');
    } finally {
      await fixture.close();
    }
  });

  test('the response is held until the store has saved the session', async () => {
    const { store, control } = controlledStore();
    let responded = false;
    const fixture = await start(asMiddleware({ ...OPTIONS, store }), (req, res) => {
      if (req.url === '/ping') {
        res.end('pong');
        return;
      }
      (req.session as unknown as { user?: string }).user = 'ann';
      res.end('saved');
    });
    try {
      control.hold = true;
      const pending = fixture.get('/login', {}, () => {
        responded = true;
      });
      await until(() => control.held.length === 1);
      // A full round trip on the same HTTP/2 connection after set() was
      // called: had the held response been sent, it would have arrived first.
      const ping = await fixture.get('/ping');
      assert.equal(ping.body, 'pong');
      assert.equal(responded, false, 'the client got no response before the store answered');
      control.hold = false;
      control.held.shift()!();
      const reply = await pending;
      assert.equal(responded, true);
      assert.equal(reply.status, 200);
      assert.equal(reply.body, 'saved');
      cookieOf(reply);
    } finally {
      await fixture.close();
    }
  });

  test("a failing set: the client gets the error handler's response", async () => {
    const { store, control } = controlledStore();
    const fixture = await start(asMiddleware({ ...OPTIONS, store }), (req, res) => {
      (req.session as unknown as { user?: string }).user = 'ann';
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    try {
      control.fail = true;
      const reply = await fixture.get('/login');
      assert.equal(control.setCalls, 1);
      assert.equal(reply.status, 500);
      assert.equal(reply.body, 'error handler: store set failed');
      assert.equal(reply.headers['content-type'], 'text/plain', "the dropped response's body headers are not kept");
    } finally {
      await fixture.close();
    }
  });

  test("concurrency: 'merge' on parallel streams of one HTTP/2 connection loses no key", async () => {
    const n = 10;
    let loaded = 0;
    let openAll!: () => void;
    const allLoaded = new Promise<void>((resolve) => {
      openAll = resolve;
    });
    const fixture = await start(asMiddleware({ ...OPTIONS, concurrency: 'merge' }), (req, res) => {
      const data = req.session as unknown as Record<string, unknown>;
      if (req.url === '/login') {
        data.init = true;
        res.end('in');
        return;
      }
      if (req.url === '/read') {
        res.end(JSON.stringify(req.session));
        return;
      }
      data[`k${req.url!.slice(1)}`] = true;
      if (++loaded === n) openAll();
      void allLoaded.then(() => res.end('ok'));
    });
    try {
      const cookie = cookieOf(await fixture.get('/login'));
      await Promise.all(Array.from({ length: n }, (_, i) => fixture.get(`/${i}`, { cookie })));
      const stored = JSON.parse((await fixture.get('/read', { cookie })).body) as Record<string, unknown>;
      for (let i = 0; i < n; i++) assert.equal(stored[`k${i}`], true, `k${i}`);
    } finally {
      await fixture.close();
    }
  });
});
