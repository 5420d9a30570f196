/**
 * `mw.load(req)`: the session of a request that has no response object.
 * - a `ws` WebSocketServer({ noServer: true }) on an http server's 'upgrade'
 *   and a Socket.IO server (`io.use` with `mw.load(socket.request)`): the
 *   session saved over HTTP is there, and save(), reload() and destroy()
 *   (Promise API) work from socket handlers. The README recipes are copies of
 *   these handlers.
 * - a plain IncomingMessage with `headers.cookie`, and every case that
 *   resolves null (no id, bad signature, unknown id, expired, store
 *   disconnected) or rejects (no secret, store error).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http, { IncomingMessage } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import express from 'express';
import { sign } from 'cookie-signature';
import { Server as SocketIOServer } from 'socket.io';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import { WebSocket, WebSocketServer } from 'ws';
import session = require('../src/index.js');

const SECRET = 'load secret';

/** What the handlers keep in the session. */
interface Data {
  user?: string;
  x?: number;
  y?: number;
  a?: number;
  b?: number;
}
type SessionReq = IncomingMessage & { session?: session.Session & Data; sessionID?: string; sessionStore?: unknown; secret?: string };

/** A MemoryStore that counts its calls. */
function countingStore() {
  const store = new session.MemoryStore();
  const calls = { get: 0, set: 0, destroy: 0 };
  for (const method of ['get', 'set', 'destroy'] as const) {
    const original = (store[method] as (...args: unknown[]) => unknown).bind(store);
    (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      calls[method] += 1;
      return original(...args);
    };
  }
  const read = (sid: string) => new Promise<Record<string, unknown> | undefined>((resolve, reject) => {
    store.get(sid, (err, value) => (err ? reject(err) : resolve(value as Record<string, unknown> | undefined)));
    calls.get -= 1;
  });
  const write = (sid: string, value: object) => new Promise<void>((resolve, reject) => {
    store.set(sid, value as session.StoredSession, (err) => (err ? reject(err) : resolve()));
    calls.set -= 1;
  });
  return { store, calls, read, write };
}

/** The HTTP side: /login saves `user`, /session shows the session, /set-y changes it. */
function httpApp(sessions: session.SessionMiddleware): express.Express {
  const app = express();
  app.use(sessions as unknown as express.RequestHandler);
  app.get('/login', (req, res) => {
    (req.session as Data).user = 'ann';
    res.sendStatus(204);
  });
  app.get('/session', (req, res) => {
    const { user, x, y } = req.session as Data;
    res.json({ user: user ?? null, x: x ?? null, y: y ?? null, id: req.sessionID });
  });
  app.get('/set-y', (req, res) => {
    (req.session as Data).y = 2;
    res.sendStatus(204);
  });
  return app;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/login`);
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (!cookie?.startsWith('connect.sid=')) assert.fail(`login sets no session cookie: ${cookie}`);
  return cookie;
}

async function httpSession(url: string, cookie: string): Promise<{ user: string | null; x: number | null; y: number | null; id: string }> {
  return await (await fetch(`${url}/session`, { headers: { cookie } })).json() as { user: string | null; x: number | null; y: number | null; id: string };
}

const OPTIONS = { secret: SECRET, resave: false, saveUninitialized: false };

describe('mw.load(req) with ws (WebSocketServer({ noServer: true }) on upgrade)', () => {
  async function startWs() {
    const { store, calls, read } = countingStore();
    const sessions = session({ ...OPTIONS, store });
    const server = http.createServer(httpApp(sessions));
    const wss = new WebSocketServer({ noServer: true });

    // --- README recipe (ws) starts here
    server.on('upgrade', async (req: SessionReq, socket: Duplex, head: Buffer) => {
      let sess: (session.Session & Data) | null = null;
      try {
        sess = await sessions.load(req);
      } catch {
        // store error: refuse, as for no session
      }
      if (!sess?.user) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('message', async (message) => {
          // Read req.session each time: reload() replaces it.
          const s = req.session!;
          if (String(message) === 'set-x') {
            s.x = 1;
            await s.save();
            ws.send('saved');
          } else if (String(message) === 'reload') {
            await s.reload();
            ws.send(JSON.stringify({ y: req.session!.y }));
          } else if (String(message) === 'logout') {
            await s.destroy();
            ws.send('bye');
          }
        });
        ws.send(JSON.stringify({ user: sess.user }));
      });
    });
    // --- README recipe (ws) ends here

    const url = await listen(server);
    return {
      url,
      calls,
      read,
      async close() {
        for (const client of wss.clients) client.terminate();
        wss.close();
        await closeServer(server);
      },
    };
  }

  function nextMessage(ws: WebSocket): Promise<string> {
    return new Promise((resolve, reject) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
  }

  test('the HTTP session is loaded on upgrade; save(), reload() and destroy() work from the socket', async () => {
    const app = await startWs();
    let ws: WebSocket | undefined;
    try {
      const cookie = await login(app.url);
      const { id } = await httpSession(app.url, cookie);
      const setsBefore = app.calls.set;
      ws = new WebSocket(app.url.replace('http', 'ws'), { headers: { cookie } });
      assert.deepEqual(JSON.parse(await nextMessage(ws)), { user: 'ann' });
      assert.equal(app.calls.set, setsBefore, 'load() itself writes nothing');

      ws.send('set-x');
      assert.equal(await nextMessage(ws), 'saved');
      assert.deepEqual(await httpSession(app.url, cookie), { user: 'ann', x: 1, y: null, id });

      await fetch(`${app.url}/set-y`, { headers: { cookie } });
      ws.send('reload');
      assert.deepEqual(JSON.parse(await nextMessage(ws)), { y: 2 });

      ws.send('logout');
      assert.equal(await nextMessage(ws), 'bye');
      assert.equal(await app.read(id), undefined, 'destroyed in the store');
      const after = await httpSession(app.url, cookie);
      assert.equal(after.user, null);
      assert.notEqual(after.id, id);
    } finally {
      ws?.terminate();
      await app.close();
    }
  });

  test('without the session cookie load() resolves null and the upgrade is refused', async () => {
    const app = await startWs();
    try {
      const getsBefore = app.calls.get;
      const ws = new WebSocket(app.url.replace('http', 'ws'));
      const status = await new Promise<number | undefined>((resolve) => {
        ws.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode);
          res.resume();
        });
        ws.once('error', () => resolve(undefined));
      });
      assert.equal(status, 401);
      assert.equal(app.calls.get, getsBefore, 'no id: the store is not asked');
    } finally {
      await app.close();
    }
  });
});

describe('mw.load(req) with Socket.IO (io.use)', () => {
  async function startSocketIO() {
    const { store, read } = countingStore();
    const sessions = session({ ...OPTIONS, store });
    const server = http.createServer(httpApp(sessions));
    const io = new SocketIOServer(server);

    // --- README recipe (Socket.IO) starts here
    io.use(async (socket, next) => {
      try {
        const sess = await sessions.load(socket.request) as (session.Session & Data) | null;
        if (!sess?.user) {
          next(new Error('unauthorized'));
          return;
        }
        next();
      } catch (err) {
        next(err as Error);
      }
    });

    io.on('connection', (socket) => {
      const req = socket.request as SessionReq;
      socket.on('whoami', (ack: (value: unknown) => void) => {
        ack({ user: req.session!.user });
      });
      socket.on('set-x', async (ack: (value: unknown) => void) => {
        req.session!.x = 1;
        await req.session!.save();
        ack('saved');
      });
      socket.on('reload', async (ack: (value: unknown) => void) => {
        await req.session!.reload();
        ack({ y: req.session!.y });
      });
      socket.on('logout', async (ack: (value: unknown) => void) => {
        await req.session!.destroy();
        ack('bye');
        socket.disconnect(true);
      });
    });
    // --- README recipe (Socket.IO) ends here

    const url = await listen(server);
    return {
      url,
      read,
      async close() {
        await new Promise((resolve) => io.close(resolve));
        await closeServer(server);
      },
    };
  }

  function connect(url: string, transports: string[], cookie?: string): Promise<ClientSocket> {
    const client = ioClient(url, { extraHeaders: cookie ? { cookie } : {}, transports, reconnection: false, forceNew: true });
    return new Promise((resolve, reject) => {
      client.once('connect', () => resolve(client));
      client.once('connect_error', (err) => {
        client.disconnect();
        reject(err);
      });
    });
  }

  function emitWithAck<T>(socket: ClientSocket, event: string): Promise<T> {
    return socket.timeout(5000).emitWithAck(event) as Promise<T>;
  }

  for (const transports of [['polling', 'websocket'], ['websocket']]) {
    test(`transports ${transports.join('+')}: the session of the handshake; save(), reload(), destroy() from handlers`, async () => {
      const app = await startSocketIO();
      let client: ClientSocket | undefined;
      try {
        const cookie = await login(app.url);
        const { id } = await httpSession(app.url, cookie);
        client = await connect(app.url, transports, cookie);
        assert.deepEqual(await emitWithAck(client, 'whoami'), { user: 'ann' });

        assert.equal(await emitWithAck(client, 'set-x'), 'saved');
        assert.deepEqual(await httpSession(app.url, cookie), { user: 'ann', x: 1, y: null, id });

        await fetch(`${app.url}/set-y`, { headers: { cookie } });
        assert.deepEqual(await emitWithAck(client, 'reload'), { y: 2 });

        assert.equal(await emitWithAck(client, 'logout'), 'bye');
        assert.equal(await app.read(id), undefined);
        assert.equal((await httpSession(app.url, cookie)).user, null);
      } finally {
        client?.disconnect();
        await app.close();
      }
    });
  }

  test('no session cookie: the middleware refuses the connection', async () => {
    const app = await startSocketIO();
    try {
      await assert.rejects(connect(app.url, ['websocket']), /unauthorized/);
    } finally {
      await app.close();
    }
  });
});

describe('mw.load(req) with a plain request object', () => {
  const STORED_COOKIE = { originalMaxAge: null, expires: null, httpOnly: true, path: '/' };

  function fakeRequest(cookie?: string): SessionReq {
    const req = new IncomingMessage(new Socket()) as SessionReq;
    req.url = '/';
    if (cookie !== undefined) req.headers.cookie = cookie;
    return req;
  }

  function cookieFor(sid: string, secret = SECRET): string {
    return `connect.sid=${encodeURIComponent(`s:${sign(sid, secret)}`)}`;
  }

  test('loads the stored session and sets req.session, req.sessionID and req.sessionStore; save() writes it', async () => {
    const { store, calls, read, write } = countingStore();
    await write('sid-1', { cookie: STORED_COOKIE, user: 'bob' });
    const mw = session({ ...OPTIONS, store });
    const req = fakeRequest(cookieFor('sid-1'));
    const sess = await mw.load(req);
    assert.ok(sess instanceof session.Session);
    assert.equal(req.session, sess);
    assert.equal(req.sessionID, 'sid-1');
    assert.equal(sess.id, 'sid-1');
    assert.equal(req.sessionStore, store);
    assert.equal((sess as Data).user, 'bob');
    assert.equal(calls.get, 1);

    (sess as Data).x = 5;
    assert.equal((await read('sid-1'))?.x, undefined, 'nothing is committed automatically');
    await sess.save();
    assert.deepEqual({ ...(await read('sid-1')), cookie: undefined }, { cookie: undefined, user: 'bob', x: 5 });

    assert.equal(await mw.load(req), sess, 'an already loaded req.session is returned as it is');
    assert.equal(calls.get, 1, 'without asking the store again');
  });

  test("with concurrency: 'merge', two loads of one session saving different keys in parallel keep both", async () => {
    const { store, read, write } = countingStore();
    await write('sid-m', { cookie: STORED_COOKIE, user: 'bob' });
    for (const [concurrency, expected] of [['merge', { a: 1, b: 2 }], ['overwrite', { a: undefined, b: 2 }]] as const) {
      await write('sid-m', { cookie: STORED_COOKIE, user: 'bob' });
      const mw = session({ ...OPTIONS, store, concurrency });
      const first = (await mw.load(fakeRequest(cookieFor('sid-m'))))! as session.Session & Record<string, unknown>;
      const second = (await mw.load(fakeRequest(cookieFor('sid-m'))))! as session.Session & Record<string, unknown>;
      first.a = 1;
      second.b = 2;
      await Promise.all([first.save(), second.save()]);
      const stored = await read('sid-m');
      assert.deepEqual({ a: stored?.a, b: stored?.b, user: stored?.user }, { ...expected, user: 'bob' }, concurrency);
    }
  });

  test("with concurrency: 'merge', a save after reload() still merges (a parallel change is kept)", async () => {
    for (const concurrency of ['merge', 'overwrite'] as const) {
      const { store, read, write } = countingStore();
      await write('sid-r', { cookie: STORED_COOKIE, user: 'bob' });
      const mw = session({ ...OPTIONS, store, concurrency });
      const r1 = fakeRequest(cookieFor('sid-r'));
      await mw.load(r1);
      await r1.session!.reload();
      const r2 = fakeRequest(cookieFor('sid-r'));
      await mw.load(r2);
      r2.session!.b = 2;
      await r2.session!.save();
      r1.session!.a = 1;
      await r1.session!.save();
      const stored = await read('sid-r');
      assert.equal(stored?.a, 1, concurrency);
      if (concurrency === 'merge') assert.equal(stored?.b, 2, 'merge keeps the parallel change after a reload');
      else assert.equal(stored?.b, undefined, 'overwrite loses it (as express-session), so the check above can fail');
    }
  });

  test('null without a cookie, with a bad signature, and for an unknown id', async () => {
    const { store, calls, write } = countingStore();
    await write('sid-2', { cookie: STORED_COOKIE, user: 'bob' });
    const mw = session({ ...OPTIONS, store });

    const none = fakeRequest();
    assert.equal(await mw.load(none), null);
    assert.equal(none.session, undefined);
    assert.equal(calls.get, 0, 'no id: the store is not asked');

    const forged = fakeRequest(cookieFor('sid-2', 'another secret'));
    assert.equal(await mw.load(forged), null);
    assert.equal(forged.session, undefined);
    assert.equal(calls.get, 0, 'a bad signature: the store is not asked');

    const unknown = fakeRequest(cookieFor('sid-unknown'));
    assert.equal(await mw.load(unknown), null);
    assert.equal(unknown.session, undefined);
    assert.equal(unknown.sessionID, 'sid-unknown');
    assert.equal(calls.get, 1);

    // The same store answers for the right id (the nulls above are not a broken setup).
    assert.equal(((await mw.load(fakeRequest(cookieFor('sid-2')))) as Data | null)?.user, 'bob');
  });

  test('null for an expired session, which is destroyed', async () => {
    // A store that returns whatever it holds, expired or not (MemoryStore would drop it itself).
    const map = new Map<string, unknown>();
    const destroyed: string[] = [];
    const store: session.SessionStore = {
      get: (sid, cb) => setImmediate(() => cb(null, map.get(sid) as session.StoredSession | undefined)),
      set: (sid, sess, cb) => {
        map.set(sid, JSON.parse(JSON.stringify(sess)));
        setImmediate(() => cb?.(null));
      },
      destroy: (sid, cb) => {
        destroyed.push(sid);
        map.delete(sid);
        setImmediate(() => cb?.(null));
      },
    };
    const past = new Date(Date.now() - 60_000).toISOString();
    map.set('old', { cookie: { ...STORED_COOKIE, originalMaxAge: 1000, expires: past }, user: 'bob' });
    map.set('fresh', { cookie: STORED_COOKIE, user: 'carl' });
    const mw = session({ ...OPTIONS, store });
    const req = fakeRequest(cookieFor('old'));
    assert.equal(await mw.load(req), null);
    assert.equal(req.session, undefined);
    assert.deepEqual(destroyed, ['old']);
    assert.equal(map.has('old'), false);
    assert.equal(((await mw.load(fakeRequest(cookieFor('fresh')))) as Data | null)?.user, 'carl');
  });

  test("null while the store is disconnected ('disconnect' until 'connect')", async () => {
    const { store, calls, write } = countingStore();
    await write('sid-3', { cookie: STORED_COOKIE, user: 'bob' });
    const mw = session({ ...OPTIONS, store });
    store.emit('disconnect');
    const req = fakeRequest(cookieFor('sid-3'));
    assert.equal(await mw.load(req), null);
    assert.equal(req.session, undefined);
    assert.equal(calls.get, 0);
    store.emit('connect');
    assert.equal(((await mw.load(req)) as Data | null)?.user, 'bob');
  });

  test('rejects without a secret; req.secret (cookie-parser) serves as one', async () => {
    const { store, write } = countingStore();
    await write('sid-4', { cookie: STORED_COOKIE, user: 'bob' });
    const mw = session({ resave: false, saveUninitialized: false, store });
    await assert.rejects(mw.load(fakeRequest(cookieFor('sid-4'))), { message: 'secret option required for sessions' });
    const req = fakeRequest(cookieFor('sid-4'));
    req.secret = SECRET;
    assert.equal(((await mw.load(req)) as Data | null)?.user, 'bob');
  });

  test("rejects with the store's error; a not-found (ENOENT) error resolves null", async () => {
    const failure = Object.assign(new Error('store is down'), { code: 'ECONNREFUSED' });
    let error: Error = failure;
    const store: session.SessionStore = {
      get: (_sid, cb) => setImmediate(() => cb(error)),
      set: (_sid, _sess, cb) => setImmediate(() => cb?.(null)),
      destroy: (_sid, cb) => setImmediate(() => cb?.(null)),
    };
    const mw = session({ ...OPTIONS, store });
    await assert.rejects(mw.load(fakeRequest(cookieFor('sid-5'))), failure);
    error = Object.assign(new Error('not found'), { code: 'ENOENT' });
    assert.equal(await mw.load(fakeRequest(cookieFor('sid-5'))), null);
  });
});
