// Errors thrown while the held response is written (a throwing skipCookie, an
// invalid chunk given to end()) reach the error handler: never an unhandled
// rejection, never a hanging request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import session = require('../src/index.js');
import { data } from './helpers/responses.js';

/** Records unhandled rejections and uncaught exceptions while `fn` runs (and a few turns after). */
async function withoutEscapes(fn: () => Promise<void>): Promise<unknown[]> {
  const escaped: unknown[] = [];
  const onEscape = (err: unknown): void => {
    escaped.push(err);
  };
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  try {
    await fn();
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
  }
  return escaped;
}

function app(options: session.SessionOptions, route: express.RequestHandler): { app: express.Express; errors: string[] } {
  const errors: string[] = [];
  const server = express();
  server.use(session({ secret: 'k', resave: false, saveUninitialized: true, ...options }));
  server.get('/', route);
  server.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    errors.push(err.message);
    if (!res.headersSent) res.status(500).send(`handled: ${err.message}`);
  });
  return { app: server, errors };
}

test('a skipCookie that throws: the response goes out without the cookie, and the error reaches the handler', async () => {
  const { app: server, errors } = app(
    { skipCookie: () => { throw new Error('skipCookie broke'); } },
    (req, res) => {
      data(req).x = 1;
      res.send('ok');
    },
  );
  const escaped = await withoutEscapes(async () => {
    const res = await request(server).get('/').timeout(5000);
    assert.equal(res.status, 200);
    assert.equal(res.text, 'ok');
    assert.equal(res.headers['set-cookie'], undefined);
  });
  assert.deepEqual(escaped, []);
  assert.deepEqual(errors, ['skipCookie broke']);
});

test('an invalid chunk given to end() on a held response reaches the error handler', async () => {
  const { app: server, errors } = app({}, (req, res) => {
    data(req).x = 1;
    (res.end as (chunk: unknown) => void)(42);
  });
  const escaped = await withoutEscapes(async () => {
    const res = await request(server).get('/').timeout(5000);
    assert.equal(res.status, 500);
    assert.match(res.text, /^handled: /);
  });
  assert.deepEqual(escaped, []);
  assert.equal(errors.length, 1);
});

test('a session that cannot be serialized: the error handler answers (no hanging request)', async () => {
  const { app: server, errors } = app({}, (req, res, next) => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    data(req).loop = loop;
    try {
      res.send('ok');
    } catch (err) {
      next(err);
    }
  });
  const escaped = await withoutEscapes(async () => {
    const res = await request(server).get('/').timeout(5000);
    assert.equal(res.status, 500);
    assert.match(res.text, /^handled: Converting circular structure to JSON/);
  });
  assert.deepEqual(escaped, []);
  assert.match(errors[0] ?? '', /circular/);
});
