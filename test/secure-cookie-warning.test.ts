// A `secure` session cookie that is not sent because the request is not secure:
// express-session only says so under DEBUG; ours also warns once per middleware.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import session = require('../src/index.js');
import { secureCookieMessage } from '../src/secure-cookie-warning.js';

const QUIET = { secret: 'keyboard cat', resave: false, saveUninitialized: true };

/** The session-cookie warnings emitted while `run` runs (they are emitted on a later tick). */
async function warningsDuring(run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (warning: Error & { code?: string }) => {
    if (warning.code === 'ESESSIONSECURECOOKIE') seen.push(warning.message);
  };
  process.on('warning', listener);
  try {
    await run();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.removeListener('warning', listener);
  }
  return seen;
}

function app(options: Record<string, unknown>, trustProxy = false): express.Express {
  const server = express();
  if (trustProxy) server.set('trust proxy', 1);
  server.use(session({ ...QUIET, ...options }));
  server.get('/', (_req, res) => {
    res.end('ok');
  });
  return server;
}

describe('a secure cookie that is not sent', () => {
  test('over plain HTTP: one warning per middleware, however many requests', async () => {
    const first = app({ cookie: { secure: true } });
    const second = app({ cookie: { secure: true } });
    const seen = await warningsDuring(async () => {
      for (const server of [first, first, second, first]) {
        const res = await request(server).get('/');
        assert.equal(res.headers['set-cookie'], undefined);
      }
    });
    const message = `express-session-cn: ${secureCookieMessage(undefined, undefined)}`;
    assert.deepEqual(seen, [message, message]);
    assert.match(message, /it came over plain HTTP\): serve the app over HTTPS, .*`app\.set\('trust proxy', 1\)` or `proxy: true`.*secure: 'auto'/);
  });

  test('behind a proxy that says https but is not trusted: the warning says to trust it', async () => {
    const seen = await warningsDuring(async () => {
      await request(app({ cookie: { secure: true } })).get('/').set('X-Forwarded-Proto', 'https');
      await request(app({ proxy: false, cookie: { secure: true } })).get('/').set('X-Forwarded-Proto', 'HTTPS, http');
    });
    assert.deepEqual(seen, [
      "express-session-cn: the session cookie was not sent: it is `secure` and this request is not (it came over HTTP from a proxy that says X-Forwarded-Proto: https, which is not trusted): trust the proxy: `app.set('trust proxy', 1)` in Express, or the `proxy: true` option",
      "express-session-cn: the session cookie was not sent: it is `secure` and this request is not (it came over HTTP from a proxy that says X-Forwarded-Proto: https, which is not trusted): you set `proxy: false`; set `proxy: true`, or leave it out and tell Express to trust the proxy: `app.set('trust proxy', 1)`",
    ]);
  });

  test('no warning when the cookie goes out: a trusted proxy, proxy: true, secure: auto, or no secure', async () => {
    const seen = await warningsDuring(async () => {
      const cases: Array<[express.Express, string | undefined]> = [
        [app({ cookie: { secure: true } }, true), 'https'],
        [app({ proxy: true, cookie: { secure: true } }), 'https'],
        [app({ cookie: { secure: 'auto' } }), undefined],
        [app({}), undefined],
      ];
      for (const [server, proto] of cases) {
        const res = proto ? await request(server).get('/').set('X-Forwarded-Proto', proto) : await request(server).get('/');
        assert.match(String(res.headers['set-cookie']), /^connect\.sid=/);
      }
    });
    assert.deepEqual(seen, []);
  });

  test('no warning when no cookie was due anyway (an unchanged, uninitialised session)', async () => {
    const seen = await warningsDuring(async () => {
      await request(app({ saveUninitialized: false, cookie: { secure: true } })).get('/');
    });
    assert.deepEqual(seen, []);
  });
});
