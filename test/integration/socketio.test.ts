/**
 * The session middleware outside plain HTTP requests:
 * - Socket.IO 4 with `io.engine.use(sessionMiddleware)`: a socket handler
 *   reads `socket.request.session`, changes and saves it, and HTTP sees the
 *   change; `reload()` in a handler sees changes made over HTTP. Both
 *   transports: polling first (the handshake is an HTTP request with a real
 *   `res`) and websocket only (engine.io passes a stand-in `res`).
 * - the `ws` library's upgrade path, where the middleware gets `res` = `{}`.
 * Each scenario runs with ours (Promise API and callbacks) and with
 * express-session@1.19.0 (callbacks), with the same expected results.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import express from 'express';
import { Server as SocketIOServer } from 'socket.io';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import { WebSocket, WebSocketServer } from 'ws';
import session = require('../../src/index.js');
import { oracle } from '../helpers/oracle.js';

type Next = (err?: unknown) => void;
type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;
type Factory = (options: object) => Middleware;

/** The part of a session (ours or express-session's) these handlers use. */
interface SessionLike {
  x?: number;
  y?: number;
  user?: string;
  save(callback: (err?: unknown) => void): unknown;
  reload(callback: (err?: unknown) => void): unknown;
}
type SessionRequest = IncomingMessage & { session?: SessionLike; sessionID?: string };

type Variant = { name: string; factory: Factory; api: 'promise' | 'callback' };
const VARIANTS: Variant[] = [
  { name: 'ours, Promise API', factory: session as unknown as Factory, api: 'promise' },
  { name: 'ours, callbacks', factory: session as unknown as Factory, api: 'callback' },
  { name: 'express-session', factory: oracle as unknown as Factory, api: 'callback' },
];

const OPTIONS = { secret: 'socket secret', resave: false, saveUninitialized: false };

/** save() or reload() the way the variant's users would call it. */
async function call(variant: Variant, target: SessionLike, method: 'save' | 'reload'): Promise<void> {
  if (variant.api === 'promise') {
    // Ours returns a Promise when no callback is given.
    await (target as unknown as session.Session)[method]();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    target[method]((err) => (err ? reject(err) : resolve()));
  });
}

interface Fixture {
  url: string;
  /** GET /login: saves `user` and returns the session cookie. */
  login(): Promise<string>;
  close(): Promise<void>;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** The HTTP side both the Socket.IO and ws tests share. */
function httpApp(middleware: Middleware): express.Express {
  const app = express();
  app.use(middleware as unknown as express.RequestHandler);
  app.get('/login', (req, res) => {
    (req.session as unknown as SessionLike).user = 'ann';
    res.sendStatus(204);
  });
  app.get('/session', (req, res) => {
    const { x, y, user } = req.session as unknown as SessionLike;
    res.json({ x: x ?? null, y: y ?? null, user: user ?? null });
  });
  app.get('/set-y', (req, res) => {
    (req.session as unknown as SessionLike).y = 2;
    res.sendStatus(204);
  });
  return app;
}

function fixture(server: http.Server, url: string): Fixture {
  return {
    url,
    async login() {
      const res = await fetch(`${url}/login`);
      const cookie = res.headers.get('set-cookie')?.split(';')[0];
      if (!cookie?.startsWith('connect.sid=')) assert.fail(`GET /login sets no session cookie: ${cookie}`);
      return cookie;
    },
    close: () => closeServer(server),
  };
}

async function getSession(url: string, cookie: string): Promise<{ x: number | null; y: number | null; user: string | null }> {
  const res = await fetch(`${url}/session`, { headers: { cookie } });
  return await res.json() as { x: number | null; y: number | null; user: string | null };
}

function emitWithAck<T>(socket: ClientSocket, event: string): Promise<T> {
  return socket.timeout(5000).emitWithAck(event) as Promise<T>;
}

describe('Socket.IO 4: io.engine.use(sessionMiddleware)', () => {
  async function startSocketIO(variant: Variant): Promise<Fixture & { io: SocketIOServer }> {
    const middleware = variant.factory(OPTIONS);
    const server = http.createServer(httpApp(middleware));
    const io = new SocketIOServer(server);
    io.engine.use(middleware);
    io.on('connection', (socket) => {
      const req = socket.request as SessionRequest;
      socket.on('whoami', (ack: (value: unknown) => void) => {
        ack({ user: req.session?.user ?? null, id: req.sessionID ?? null });
      });
      socket.on('set-x', async (ack: (value: unknown) => void) => {
        const s = req.session as SessionLike;
        s.x = 1;
        await call(variant, s, 'save');
        ack('saved');
      });
      socket.on('reload', async (ack: (value: unknown) => void) => {
        await call(variant, req.session as SessionLike, 'reload');
        ack({ y: req.session?.y ?? null });
      });
    });
    const url = await listen(server);
    const base = fixture(server, url);
    return {
      ...base,
      io,
      async close() {
        await new Promise((resolve) => io.close(resolve));
        await base.close();
      },
    };
  }

  for (const transports of [['polling', 'websocket'], ['websocket']]) {
    for (const variant of VARIANTS) {
      test(`${variant.name}, transports ${transports.join('+')}: save() in a handler, HTTP sees it; reload() sees HTTP`, async () => {
        const app = await startSocketIO(variant);
        let client: ClientSocket | undefined;
        try {
          const cookie = await app.login();
          client = ioClient(app.url, { extraHeaders: { cookie }, transports, reconnection: false, forceNew: true });
          await new Promise<void>((resolve, reject) => {
            client?.once('connect', resolve);
            client?.once('connect_error', reject);
          });

          const who = await emitWithAck<{ user: string | null }>(client, 'whoami');
          assert.equal(who.user, 'ann', 'the socket sees the session saved over HTTP');

          assert.equal(await emitWithAck(client, 'set-x'), 'saved');
          assert.deepEqual(await getSession(app.url, cookie), { x: 1, y: null, user: 'ann' });

          await fetch(`${app.url}/set-y`, { headers: { cookie } });
          assert.deepEqual(await emitWithAck(client, 'reload'), { y: 2 });
        } finally {
          client?.disconnect();
          await app.close();
        }
      });
    }
  }

  test('no cookie: the handshake gets a new, unsaved session (saveUninitialized: false)', async () => {
    const app = await startSocketIO(VARIANTS[0]);
    const client = ioClient(app.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', resolve);
        client.once('connect_error', reject);
      });
      const who = await emitWithAck<{ user: string | null; id: string | null }>(client, 'whoami');
      assert.equal(who.user, null);
      assert.equal(typeof who.id, 'string');
    } finally {
      client.disconnect();
      await app.close();
    }
  });
});

describe('engine.io websocket upgrade: the cookie goes out with the 101 response', () => {
  // engine.io calls res.writeHead() on its stand-in response before the
  // upgrade, so a new, saved-uninitialized session's cookie reaches the client.
  async function upgradeCookie(factory: Factory): Promise<string | undefined> {
    const middleware = factory({ ...OPTIONS, saveUninitialized: true });
    const server = http.createServer(httpApp(middleware));
    const io = new SocketIOServer(server);
    io.engine.use(middleware);
    const url = await listen(server);
    try {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
      const setCookie = await new Promise<string[] | undefined>((resolve, reject) => {
        ws.once('upgrade', (res) => resolve(res.headers['set-cookie']));
        ws.once('error', reject);
      });
      ws.terminate();
      return setCookie?.map((c) => c.replace(/^connect\.sid=[^;]*/, 'connect.sid=<id>')).join('\n');
    } finally {
      await new Promise((resolve) => io.close(resolve));
      await closeServer(server);
    }
  }

  test('same Set-Cookie as express-session', async () => {
    const ours = await upgradeCookie(VARIANTS[0].factory);
    const theirs = await upgradeCookie(VARIANTS[2].factory);
    assert.equal(ours, theirs);
    assert.equal(ours, 'connect.sid=<id>; Path=/; HttpOnly');
  });
});

describe('ws: WebSocketServer({ noServer: true }) with the middleware on upgrade, res = {}', () => {
  async function startWs(variant: Variant): Promise<Fixture> {
    const middleware = variant.factory(OPTIONS);
    const server = http.createServer(httpApp(middleware));
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req: SessionRequest, socket: Duplex, head: Buffer) => {
      // No response object exists on an upgrade; `{}` stands in for it.
      middleware(req, {} as ServerResponse, (err) => {
        if (err || !req.session?.user) {
          socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          const s = req.session as SessionLike;
          ws.on('message', async (data) => {
            if (String(data) === 'set-x') {
              s.x = 1;
              await call(variant, s, 'save');
              ws.send('saved');
            } else if (String(data) === 'reload') {
              await call(variant, s, 'reload');
              ws.send(JSON.stringify({ user: req.session?.user ?? null, y: req.session?.y ?? null }));
            }
          });
          ws.send(JSON.stringify({ user: s.user }));
        });
      });
    });
    const url = await listen(server);
    const base = fixture(server, url);
    return {
      ...base,
      async close() {
        for (const client of wss.clients) client.terminate();
        wss.close();
        await base.close();
      },
    };
  }

  function nextMessage(ws: WebSocket): Promise<string> {
    return new Promise((resolve, reject) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
  }

  for (const variant of VARIANTS) {
    test(`${variant.name}: the session is loaded on upgrade; save() and reload() work over the socket`, async () => {
      const app = await startWs(variant);
      let ws: WebSocket | undefined;
      try {
        const cookie = await app.login();
        ws = new WebSocket(app.url.replace('http', 'ws'), { headers: { cookie } });
        assert.deepEqual(JSON.parse(await nextMessage(ws)), { user: 'ann' });

        ws.send('set-x');
        assert.equal(await nextMessage(ws), 'saved');
        assert.deepEqual(await getSession(app.url, cookie), { x: 1, y: null, user: 'ann' });

        await fetch(`${app.url}/set-y`, { headers: { cookie } });
        ws.send('reload');
        assert.deepEqual(JSON.parse(await nextMessage(ws)), { user: 'ann', y: 2 });
      } finally {
        ws?.terminate();
        await app.close();
      }
    });
  }

  test('without the session cookie the upgrade is refused', async () => {
    const app = await startWs(VARIANTS[0]);
    try {
      const ws = new WebSocket(app.url.replace('http', 'ws'));
      const status = await new Promise<number | undefined>((resolve) => {
        ws.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode);
          res.resume();
        });
        ws.once('error', () => resolve(undefined));
      });
      assert.equal(status, 401);
    } finally {
      await app.close();
    }
  });
});
