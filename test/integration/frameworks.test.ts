/**
 * The middleware under the frameworks people run it in: Express 4, Express 5,
 * Connect 3, a plain `node:http` server, and after cookie-parser. Each
 * scenario runs against ours and express-session@1.19.0 (the oracle) and the
 * observable results (status, body, Set-Cookie with the id normalised) must
 * match, besides the result itself being right.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import connect from 'connect';
import cookieParser from 'cookie-parser';
import express from 'express';
import request from 'supertest';
import session = require('../../src/index.js');
import { oracle } from '../helpers/oracle.js';

type Next = (err?: unknown) => void;
/** Any Connect-style middleware; both implementations fit it. */
type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;
type Factory = (options: object) => Middleware;

/** The session fields the handlers below use. */
interface SessionFields {
  views?: number;
  user?: string;
  save(): Promise<void>;
  regenerate(): Promise<void>;
}
type SessionRequest = IncomingMessage & { session: SessionFields; sessionID: string };

// Express 5 through its npm alias; the installed @types describe Express 4,
// and the calls used here are the same in both.
const express5 = require('express5') as typeof express;

const IMPLEMENTATIONS: Record<'ours' | 'oracle', Factory> = {
  ours: session as unknown as Factory,
  oracle: oracle as unknown as Factory,
};

const OPTIONS = { secret: 'framework secret', resave: false, saveUninitialized: false };

/** Set-Cookie with the random, signed id replaced, so ours and the oracle's compare. */
function normalisedCookies(res: request.Response): string[] {
  const header = (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
  return header.map((cookie) => cookie.replace(/^connect\.sid=[^;]*/, 'connect.sid=<id>'));
}

function sessionCookie(res: request.Response): string | undefined {
  const header = (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
  return header.find((cookie) => cookie.startsWith('connect.sid='))?.split(';')[0];
}

interface Observed {
  status: number;
  body: string;
  cookies: string[];
}

function observe(res: request.Response): Observed {
  return { status: res.status, body: res.text, cookies: normalisedCookies(res) };
}

/** Sends `paths` in order with one cookie jar. */
async function visit(server: http.Server | ((req: IncomingMessage, res: ServerResponse) => void), paths: string[]): Promise<Observed[]> {
  const agent = request.agent(server);
  const results: Observed[] = [];
  for (const path of paths) results.push(observe(await agent.get(path)));
  return results;
}

/**
 * Runs the same request sequence against an app built with ours and with the
 * oracle, asserts they agree, and returns ours for the caller's own checks.
 */
async function differential(
  build: (session: Factory) => (req: IncomingMessage, res: ServerResponse) => void,
  paths: string[],
): Promise<Observed[]> {
  const ours = await visit(build(IMPLEMENTATIONS.ours), paths);
  const theirs = await visit(build(IMPLEMENTATIONS.oracle), paths);
  assert.deepEqual(ours, theirs, 'ours and express-session agree');
  return ours;
}

function countViews(req: IncomingMessage): string {
  const s = (req as SessionRequest).session;
  s.views = (s.views ?? 0) + 1;
  return String(s.views);
}

describe('Express 4', () => {
  test('a counter persists across requests, cookie as express-session sets it', async () => {
    const results = await differential((factory) => {
      const app = express();
      app.use(factory({ ...OPTIONS, cookie: { sameSite: 'lax' } }));
      app.get('/', (req, res) => {
        res.send(countViews(req));
      });
      return app;
    }, ['/', '/', '/']);
    assert.deepEqual(results.map((r) => r.body), ['1', '2', '3']);
    assert.deepEqual(results[0].cookies, ['connect.sid=<id>; Path=/; HttpOnly; SameSite=Lax']);
    assert.deepEqual(results[1].cookies, [], 'no cookie once the session exists and is unchanged in id');
  });

  test('a router mounted under a path with a matching cookie path', async () => {
    const results = await differential((factory) => {
      const app = express();
      const admin = express.Router();
      admin.use(factory({ ...OPTIONS, cookie: { path: '/admin' } }));
      admin.get('/', (req, res) => {
        res.send(countViews(req));
      });
      app.use('/admin', admin);
      app.get('/public', (req, res) => {
        res.send(String('session' in req));
      });
      return app;
    }, ['/admin/', '/admin/', '/public']);
    assert.deepEqual(results.map((r) => r.body), ['1', '2', 'false']);
    assert.deepEqual(results[0].cookies, ['connect.sid=<id>; Path=/admin; HttpOnly']);
  });
});

describe('Express 5', () => {
  test('a counter persists across requests', async () => {
    const results = await differential((factory) => {
      const app = express5();
      app.use(factory(OPTIONS));
      app.get('/', (req, res) => {
        res.send(countViews(req));
      });
      return app;
    }, ['/', '/']);
    assert.deepEqual(results.map((r) => r.body), ['1', '2']);
    assert.equal(results[0].cookies.length, 1);
  });

  test('async handlers: await regenerate() and save(), a rejected promise reaches the error handler', async () => {
    const app = express5();
    app.use(session(OPTIONS));
    // (a typed app would declare `user` by augmenting SessionData)
    const data = (req: express.Request) => req.session as typeof req.session & { user?: string };
    app.post('/login', async (req, res) => {
      await req.session.regenerate();
      data(req).user = 'ann';
      await req.session.save();
      res.redirect(303, '/');
    });
    app.get('/', (req, res) => {
      res.json({ id: req.sessionID, user: data(req).user ?? null });
    });
    app.get('/fail', async (req) => {
      await req.session.save();
      throw new Error('after save');
    });
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).send(err.message);
    });

    const agent = request.agent(app);
    const before = (await agent.get('/').expect(200)).body as { id: string; user: string | null };
    assert.equal(before.user, null);
    const login = await agent.post('/login').expect(303);
    assert.ok(sessionCookie(login), 'login sends the new session cookie');
    const after = (await agent.get('/').expect(200)).body as { id: string; user: string | null };
    assert.equal(after.user, 'ann');
    assert.notEqual(after.id, before.id, 'regenerate gave a new id');
    assert.equal((await agent.get('/fail').expect(500)).text, 'after save');
  });
});

describe('Connect 3', () => {
  test('a counter at the root', async () => {
    const results = await differential((factory) => {
      const app = connect();
      app.use(factory(OPTIONS));
      app.use((req: IncomingMessage, res: ServerResponse) => {
        res.end(countViews(req));
      });
      return app;
    }, ['/', '/']);
    assert.deepEqual(results.map((r) => r.body), ['1', '2']);
  });

  test('mounted at /api: the cookie path is checked against originalUrl, not the stripped url', async () => {
    const results = await differential((factory) => {
      const app = connect();
      app.use('/api', factory({ ...OPTIONS, cookie: { path: '/api' } }));
      app.use('/api', (req: IncomingMessage, res: ServerResponse) => {
        res.end(`${req.url} ${countViews(req)}`);
      });
      return app;
    }, ['/api/things', '/api/things']);
    assert.deepEqual(results.map((r) => r.body), ['/things 1', '/things 2']);
    assert.deepEqual(results[0].cookies, ['connect.sid=<id>; Path=/api; HttpOnly']);
  });
});

describe('node:http', () => {
  function plainServer(factory: Factory): (req: IncomingMessage, res: ServerResponse) => void {
    const middleware = factory(OPTIONS);
    return (req, res) => {
      middleware(req, res, (err) => {
        if (err) {
          res.statusCode = 500;
          res.end(String(err));
          return;
        }
        const body = countViews(req);
        if (req.url === '/head') {
          // writeHead() with explicit headers, then end(): the cookie goes out
          // with the headers writeHead() sends.
          res.writeHead(200, { 'content-type': 'text/plain' });
        }
        res.end(body);
      });
    };
  }

  test('a plain request listener calling the middleware by hand', async () => {
    const results = await differential(plainServer, ['/', '/', '/head']);
    assert.deepEqual(results.map((r) => r.body), ['1', '2', '3']);
    assert.deepEqual(results[0].cookies, ['connect.sid=<id>; Path=/; HttpOnly']);
  });

  test('writeHead() with explicit headers on a new session still carries the cookie', async () => {
    const results = await differential(plainServer, ['/head', '/head']);
    assert.deepEqual(results.map((r) => r.body), ['1', '2']);
    assert.equal(results[0].cookies.length, 1);
  });

  test('a real listening server (keep-alive, two requests on one jar)', async () => {
    const server = http.createServer(plainServer(IMPLEMENTATIONS.ours));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const first = await fetch(`http://127.0.0.1:${port}/`);
      const cookie = first.headers.get('set-cookie')?.split(';')[0];
      if (!cookie?.startsWith('connect.sid=')) assert.fail(`no session cookie: ${cookie}`);
      assert.equal(await first.text(), '1');
      const second = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie } });
      assert.equal(await second.text(), '2');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('cookie-parser before the session middleware', () => {
  const SECRET = 'shared secret';

  test('same secret in both: the session cookie is still read', async () => {
    const results = await differential((factory) => {
      const app = express();
      app.use(cookieParser(SECRET));
      app.use(factory({ ...OPTIONS, secret: SECRET }));
      app.get('/', (req, res) => {
        res.send(countViews(req));
      });
      return app;
    }, ['/', '/', '/']);
    assert.deepEqual(results.map((r) => r.body), ['1', '2', '3']);
  });

  test('no secret option: the middleware signs with cookie-parser\'s req.secret', async () => {
    const results = await differential((factory) => {
      const app = express();
      app.use(cookieParser(SECRET));
      app.use(factory({ resave: false, saveUninitialized: false }));
      app.get('/', (req, res) => {
        res.send(countViews(req));
      });
      return app;
    }, ['/', '/']);
    assert.deepEqual(results.map((r) => r.body), ['1', '2']);

    // And the cookie it sets is signed with that secret: a second app on the
    // same store, given the secret directly and no cookie-parser, reads it.
    const store = new session.MemoryStore();
    const viaParser = express()
      .use(cookieParser(SECRET))
      .use(session({ store, resave: false, saveUninitialized: false }))
      .get('/', (req, res) => {
        res.send(countViews(req));
      });
    const direct = express()
      .use(session({ secret: SECRET, store, resave: false, saveUninitialized: false }))
      .get('/', (req, res) => {
        res.send(countViews(req));
      });
    const cookie = sessionCookie(await request(viaParser).get('/').expect(200, '1'));
    assert.ok(cookie);
    await request(direct).get('/').set('cookie', cookie).expect(200, '2');
  });

  test('the Cookie header removed after cookie-parser: req.signedCookies is the fallback', async () => {
    const results = await differential((factory) => {
      const app = express();
      app.use(cookieParser(SECRET));
      app.use((req, _res, next) => {
        delete req.headers.cookie;
        next();
      });
      app.use(factory({ ...OPTIONS, secret: SECRET }));
      app.get('/', (req, res) => {
        res.send(countViews(req));
      });
      return app;
    }, ['/', '/']);
    assert.deepEqual(results.map((r) => r.body), ['1', '2']);
  });
});
