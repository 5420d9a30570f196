/**
 * Three everyday app bugs that plain Express survives, over real sockets, with
 * two requests pipelined on one keep-alive connection, while the response is
 * held for a save (MemoryStore, and a store that answers a few ms later), on
 * Express 4 and 5, with and without an error handler:
 *
 * 1. `res.send()` then a throw (no error handler: finalhandler used to see an
 *    unsent response, write later, and crash the process);
 * 2. a missing `return`: `res.status(400).send(...)` then `res.json(...)`
 *    (used to put the second body on the wire after the first's length:
 *    a desynchronised connection);
 * 3. `res.end()` then `res.setHeader(...)` and `res.end('foo')` (used to be
 *    accepted, and the client saw an aborted response).
 *
 * Whatever the app does, no error escapes to the process, every byte on the
 * wire belongs to a response whose headers describe it, the session is saved,
 * and with an error handler that answers only unsent responses the client
 * receives exactly what it receives without the session middleware.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import connect from 'connect';
import express from 'express';
import session = require('../src/index.js');
import { pipeline, type RawExchange } from './helpers/raw-http.js';
import { guardProcess } from './helpers/process-guard.js';

const express5 = require('express5') as typeof express;
const SECRET = 'app bugs';

/** A MemoryStore whose every answer comes a few ms later, as a networked store's does. */
class LaterStore extends session.MemoryStore {
  override get(...args: Parameters<session.MemoryStore['get']>): void {
    setTimeout(() => super.get(...args), 3);
  }

  override set(...args: Parameters<session.MemoryStore['set']>): void {
    setTimeout(() => super.set(...args), 3);
  }

  override touch(...args: Parameters<session.MemoryStore['touch']>): void {
    setTimeout(() => super.touch(...args), 3);
  }
}

const escaped = guardProcess({ failOnEscape: false });

type Route = (req: express.Request, res: express.Response) => void;

const BUGS: Record<string, { route: Route; status: number; body: string }> = {
  'send, then throw': {
    route: (req, res) => {
      res.send('report');
      JSON.parse(String(req.query.filter));
    },
    status: 200,
    body: 'report',
  },
  'a missing return: send(400), then json()': {
    route: (_req, res) => {
      res.status(400).send('x'.repeat(300));
      res.json({ ok: 1 });
    },
    status: 400,
    body: 'x'.repeat(300),
  },
  'headers after end': {
    route: (_req, res) => {
      res.end();
      res.setHeader('Content-Length', '3');
      res.end('foo');
    },
    status: 200,
    body: '',
  },
};

type ErrorHandling = 'none' | 'answers unsent responses';

interface Scenario {
  framework: typeof express;
  store: () => session.MemoryStore;
  errors: ErrorHandling;
  withSession: boolean;
  route: Route;
}

interface Outcome {
  exchange: RawExchange;
  handled: unknown[];
  views: unknown;
}

async function run({ framework, store: makeStore, errors, withSession, route }: Scenario): Promise<Outcome> {
  const store = makeStore();
  const handled: unknown[] = [];
  const app = framework();
  app.set('env', 'test'); // finalhandler: no error logging
  if (withSession) app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, store }));
  app.get('/login', (req, res) => {
    if (req.session) req.session.views = 0;
    res.send('in');
  });
  app.get('/bug', (req, res) => {
    if (req.session) req.session.views = (req.session.views as number) + 1;
    route(req, res);
  });
  app.get('/ok', (_req, res) => {
    res.send('ok');
  });
  if (errors === 'answers unsent responses') {
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      handled.push(err);
      if (!res.headersSent) res.status(500).send('handled');
    });
  }
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const login = await pipeline(port, [{ path: '/login' }]);
    const cookie = (login.responses[0]?.headers['set-cookie'] ?? '').split(';')[0];
    const headers: Record<string, string> = cookie ? { Cookie: cookie } : {};
    const exchange = await pipeline(port, [{ path: '/bug', headers }, { path: '/ok', headers }]);
    // Let a store write that is still running finish before reading it back.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const sid = decodeURIComponent(cookie.split('=')[1] ?? '').slice(2).split('.')[0];
    const stored = await new Promise<unknown>((resolve) => store.get(sid, (_err, value) => resolve(value)));
    return { exchange, handled, views: (stored as { views?: unknown } | null)?.views };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Every byte on the wire belongs to a complete, expected response, in order; nothing escaped. */
function assertClean(outcome: Outcome, expected: { status: number; body: string }): void {
  const { responses, leftover, raw } = outcome.exchange;
  assert.deepEqual(escaped, [], 'an error escaped to the process');
  assert.equal(leftover, '', `bytes that belong to no response: ${JSON.stringify(raw)}`);
  const wanted = [expected, { status: 200, body: 'ok' }];
  assert.ok(responses.length <= 2, JSON.stringify(raw));
  responses.forEach((response, i) => {
    assert.deepEqual({ status: response.status, body: response.body }, wanted[i], JSON.stringify(raw));
  });
}

const FRAMEWORKS: Array<[string, typeof express]> = [['Express 4', express], ['Express 5', express5]];
const STORES: Array<[string, () => session.MemoryStore]> = [
  ['MemoryStore', () => new session.MemoryStore()],
  ['a store that answers later', () => new LaterStore()],
];

for (const [frameworkName, framework] of FRAMEWORKS) {
  describe(frameworkName, () => {
    for (const [bug, { route, status, body }] of Object.entries(BUGS)) {
      for (const [storeName, store] of STORES) {
        test(`${bug}, ${storeName}, no error handler: no crash, no desync, the session is saved`, async () => {
          const outcome = await run({ framework, store, errors: 'none', withSession: true, route });
          assertClean(outcome, { status, body });
          assert.equal(outcome.views, 1, 'the save completed');
        });

        test(`${bug}, ${storeName}, an error handler for unsent responses: the client gets what it gets without sessions`, async () => {
          const outcome = await run({ framework, store, errors: 'answers unsent responses', withSession: true, route });
          const plain = await run({ framework, store, errors: 'answers unsent responses', withSession: false, route });
          assertClean(outcome, { status, body });
          assert.equal(outcome.exchange.responses.length, 2);
          const strip = (exchange: RawExchange) => exchange.responses.map(({ status: code, body: text, headers }) => ({
            status: code, body: text, length: headers['content-length'], type: headers['content-type'],
          }));
          assert.deepEqual(strip(outcome.exchange), strip(plain.exchange));
          assert.deepEqual(outcome.handled.map(codeOf), plain.handled.map(codeOf));
          assert.equal(outcome.views, 1, 'the save completed');
        });
      }
    }
  });
}

function codeOf(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code ?? (err as Error).name;
}

describe('Connect and node:http', () => {
  for (const [storeName, store] of STORES) {
    test(`Connect, no error handler, ${storeName}: end() then write(): no crash, no desync`, async () => {
      const app = connect();
      process.env.NODE_ENV ??= 'test'; // finalhandler: no error logging
      app.use(session({ secret: SECRET, resave: false, saveUninitialized: true, store: store() }) as connect.NextHandleFunction);
      const seen: string[] = [];
      app.use((req: http.IncomingMessage, res: http.ServerResponse, next: connect.NextFunction) => {
        if (req.url === '/ok') {
          res.end('ok');
          return;
        }
        (req as unknown as { session: Record<string, unknown> }).session.views = 1;
        res.on('error', (err: NodeJS.ErrnoException) => seen.push(String(err.code)));
        res.end('first');
        seen.push(`headersSent ${String(res.headersSent)}`);
        try {
          res.setHeader('X-Late', '1');
        } catch (err) {
          seen.push(String((err as NodeJS.ErrnoException).code));
        }
        res.write('late');
        next(new Error('after end'));
      });
      const server = http.createServer(app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { responses, leftover, raw } = await pipeline((server.address() as AddressInfo).port, [{ path: '/a' }, { path: '/ok' }]);
        assert.equal(leftover, '', JSON.stringify(raw));
        for (const [i, response] of responses.entries()) assert.equal(response.body, ['first', 'ok'][i]);
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(seen.sort(), ['ERR_HTTP_HEADERS_SENT', 'ERR_STREAM_WRITE_AFTER_END', 'headersSent true']);
        assert.deepEqual(escaped, []);
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  }
});
