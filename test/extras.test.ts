// The express-session-cn extras (docs/compatibility.md §13): allowUnsigned, alternateTokenValue,
// skipCookie, getCookieValue and unsigncookie. express-session has none of these, so
// these tests check our own documented rules; signatures are checked against
// cookie-signature and express-session where it can produce them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IncomingMessage } from 'node:http';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import signature = require('cookie-signature');
import session = require('../src/index.js');
import { data, setCookies } from './helpers/responses.js';

const oracle = require('express-session') as (options: Record<string, unknown>) => express.RequestHandler;

const SECRET = 'keyboard cat';

type Options = session.SessionOptions;
type Data = Record<string, unknown>;

/** The raw (still URL-encoded) value of the `name` cookie in the response's Set-Cookie, if any. */
function cookieValue(res: request.Response, name = 'connect.sid'): string | undefined {
  for (const line of setCookies(res)) {
    const pair = line.split(';')[0];
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq) === name) return pair.slice(eq + 1);
  }
  return undefined;
}

/** The URL-encoded signed value express-session puts in the cookie for `id`. */
function signed(id: string, secret: string = SECRET): string {
  return encodeURIComponent('s:' + signature.sign(id, secret));
}

interface StoreCall {
  method: string;
  sid: string;
}

/** A MemoryStore that records the calls the middleware makes. */
function spyStore(): { store: InstanceType<typeof session.MemoryStore>; calls: StoreCall[] } {
  const store = new session.MemoryStore();
  const calls: StoreCall[] = [];
  const target = store as unknown as Record<string, unknown>;
  for (const method of ['get', 'set', 'touch', 'destroy']) {
    const original = target[method] as (...args: unknown[]) => unknown;
    target[method] = function (this: unknown, ...args: unknown[]) {
      calls.push({ method, sid: String(args[0]) });
      return original.apply(this, args);
    };
  }
  return { store, calls };
}

interface AppOptions extends Options {
  /** Runs before the session middleware (to fake cookie-parser, remove headers...). */
  before?: express.RequestHandler;
}

/**
 * An app with:
 * - `/login?tag=X`: stores `tag`, answers `{ id, token }` (token = getCookieValue(req))
 * - `/whoami`: answers `{ id, tag }` without touching the session
 * - `/bump`: increments `n`
 * and an error handler answering 500 with the message.
 */
function makeApp(options: AppOptions = {}) {
  const { before, ...sessionOptions } = options;
  const app = express();
  if (before) app.use(before);
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, ...sessionOptions }));
  app.get('/login', (req, res) => {
    data(req).tag = req.query.tag;
    res.json({ id: req.sessionID, token: session.getCookieValue(req) });
  });
  app.get('/whoami', (req, res) => {
    res.json({ id: req.sessionID, tag: data(req).tag ?? null });
  });
  app.get('/bump', (req, res) => {
    data(req).n = ((data(req).n as number | undefined) ?? 0) + 1;
    res.json({ id: req.sessionID, n: data(req).n });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).send('error: ' + (err instanceof Error ? err.message : String(err)));
  });
  return app;
}

interface Login {
  id: string;
  token: string;
  cookie: string;
}

async function login(app: express.Express, tag: string): Promise<Login> {
  const res = await request(app).get('/login').query({ tag });
  assert.equal(res.status, 200);
  const cookie = cookieValue(res);
  assert.ok(cookie, 'login sets a cookie');
  return { id: res.body.id as string, token: res.body.token as string, cookie };
}

describe('lookup order: cookie, signedCookies, cookies, alternate token', () => {
  // Sessions A..D live in one store; each request offers one id per source.
  function appWithSources(tokenCalls: string[]) {
    return makeApp({
      before(req, _res, next) {
        const r = req as unknown as { signedCookies?: Data; cookies?: Data };
        const signedId = req.get('x-signed');
        const cookiesValue = req.get('x-cookies');
        if (signedId !== undefined) r.signedCookies = { 'connect.sid': signedId };
        if (cookiesValue !== undefined) r.cookies = { 'connect.sid': cookiesValue };
        next();
      },
      alternateTokenValue(req) {
        const token = req.headers['x-token'] as string | undefined;
        tokenCalls.push(String(token));
        return token;
      },
    });
  }

  test('each source is used only when the ones before it give nothing', async () => {
    const tokenCalls: string[] = [];
    const app = appWithSources(tokenCalls);
    const [a, b, c, d] = [await login(app, 'A'), await login(app, 'B'), await login(app, 'C'), await login(app, 'D')];
    tokenCalls.length = 0;

    const ask = async (sources: { cookie?: string; signed?: string; cookies?: string; token?: string }) => {
      let req = request(app).get('/whoami');
      if (sources.cookie !== undefined) req = req.set('Cookie', 'connect.sid=' + sources.cookie);
      if (sources.signed !== undefined) req = req.set('x-signed', sources.signed);
      if (sources.cookies !== undefined) req = req.set('x-cookies', sources.cookies);
      if (sources.token !== undefined) req = req.set('x-token', sources.token);
      const res = await req;
      assert.equal(res.status, 200);
      return res.body.tag as string | null;
    };
    const all = {
      cookie: a.cookie,
      signed: b.id, // cookie-parser has already verified it
      cookies: decodeURIComponent(c.cookie), // cookie-parser's req.cookies holds the decoded `s:` value
      token: d.token,
    };

    assert.equal(await ask(all), 'A');
    assert.equal(await ask({ ...all, cookie: undefined }), 'B');
    assert.equal(await ask({ ...all, cookie: undefined, signed: undefined }), 'C');
    assert.deepEqual(tokenCalls, [], 'the alternate token is not consulted while a cookie source gives an id');
    assert.equal(await ask({ token: all.token }), 'D');
    assert.deepEqual(tokenCalls, [all.token]);
    assert.equal(await ask({}), null);
  });

  test('a badly signed value at each cookie source falls through to the next one', async () => {
    const tokenCalls: string[] = [];
    const app = appWithSources(tokenCalls);
    const [c, d] = [await login(app, 'C'), await login(app, 'D')];
    const forged = signed(c.id, 'not the secret');

    // Bad header cookie → req.cookies; bad header cookie and bad req.cookies → token.
    const viaCookies = await request(app).get('/whoami').set('Cookie', 'connect.sid=' + forged)
      .set('x-cookies', decodeURIComponent(c.cookie)).set('x-token', d.token);
    assert.equal(viaCookies.body.tag, 'C');

    tokenCalls.length = 0;
    const viaToken = await request(app).get('/whoami').set('Cookie', 'connect.sid=' + forged)
      .set('x-cookies', decodeURIComponent(forged)).set('x-token', d.token);
    assert.equal(viaToken.body.tag, 'D');
    assert.deepEqual(tokenCalls, [d.token]);
  });

  test('a badly signed cookie falls through to a valid alternate token', async () => {
    const { store, calls } = spyStore();
    const app = makeApp({ store, alternateTokenValue: (req) => req.headers['x-token'] as string | undefined });
    const a = await login(app, 'A');
    const b = await login(app, 'B');
    calls.length = 0;
    const tampered = signed(a.id, 'other secret');
    const res = await request(app).get('/whoami').set('Cookie', 'connect.sid=' + tampered).set('x-token', b.token);
    assert.deepEqual(res.body, { id: b.id, tag: 'B' });
    assert.deepEqual(calls.filter((call) => call.method === 'get'), [{ method: 'get', sid: b.id }],
      'the store is never asked for the badly signed id');
  });

  test('with allowUnsigned an unsigned cookie beats a valid alternate token; without it the token wins', async () => {
    const tokenCalls: string[] = [];
    const alternateTokenValue = (req: IncomingMessage) => {
      tokenCalls.push('called');
      return req.headers['x-token'] as string | undefined;
    };
    const store = new session.MemoryStore();
    const lax = makeApp({ store, allowUnsigned: true, alternateTokenValue });
    const strict = makeApp({ store, allowUnsigned: false, alternateTokenValue });
    const a = await login(lax, 'A');
    const b = await login(lax, 'B');
    tokenCalls.length = 0;

    const withUnsigned = await request(lax).get('/whoami').set('Cookie', 'connect.sid=' + a.id).set('x-token', b.token);
    assert.deepEqual(withUnsigned.body, { id: a.id, tag: 'A' });
    assert.deepEqual(tokenCalls, []);

    const without = await request(strict).get('/whoami').set('Cookie', 'connect.sid=' + a.id).set('x-token', b.token);
    assert.deepEqual(without.body, { id: b.id, tag: 'B' });
    assert.deepEqual(tokenCalls, ['called']);
  });
});

describe('secret rotation', () => {
  const secrets = ['newest', 'middle', 'oldest'];

  test('values signed with any of the secrets are accepted, from every source; others are not', async () => {
    const store = new session.MemoryStore();
    const writer = makeApp({ store, secret: 'middle' });
    const older = makeApp({ store, secret: 'oldest' });
    const app = makeApp({
      store,
      secret: secrets,
      before(req, _res, next) {
        const cookies = req.get('x-cookies');
        if (cookies !== undefined) (req as unknown as { cookies?: Data }).cookies = { 'connect.sid': cookies };
        next();
      },
      alternateTokenValue: (req) => req.headers['x-token'] as string | undefined,
    });
    const m = await login(writer, 'M');
    const o = await login(older, 'O');

    for (const who of [m, o]) {
      const tag = who === m ? 'M' : 'O';
      assert.equal((await request(app).get('/whoami').set('Cookie', 'connect.sid=' + who.cookie)).body.tag, tag);
      assert.equal((await request(app).get('/whoami').set('x-cookies', decodeURIComponent(who.cookie))).body.tag, tag);
      assert.equal((await request(app).get('/whoami').set('x-token', who.token)).body.tag, tag);
    }

    const unknownSecret = signed(m.id, 'retired');
    const res = await request(app).get('/whoami').set('Cookie', 'connect.sid=' + unknownSecret).set('x-token', unknownSecret);
    assert.equal(res.body.tag, null);
    assert.notEqual(res.body.id, m.id);
  });

  test('the first secret signs new cookies and tokens', async () => {
    const app = makeApp({ secret: secrets });
    const res = await request(app).get('/login').query({ tag: 'x' });
    assert.equal(cookieValue(res), signed(res.body.id, 'newest'));
    assert.equal(res.body.token, signed(res.body.id, 'newest'));
  });

  test('a cookie signed with an older secret is re-signed with the first when it is sent again', async () => {
    const store = new session.MemoryStore();
    const old = await login(makeApp({ store, secret: 'oldest' }), 'O');
    const res = await request(makeApp({ store, secret: secrets, rolling: true }))
      .get('/whoami').set('Cookie', 'connect.sid=' + old.cookie);
    assert.equal(res.body.tag, 'O');
    assert.equal(cookieValue(res), signed(old.id, 'newest'));
  });
});

describe('allowUnsigned', () => {
  test('a raw id is accepted from the cookie only when allowUnsigned is on', async () => {
    const store = new session.MemoryStore();
    const on = makeApp({ store, allowUnsigned: true });
    const off = makeApp({ store });
    const a = await login(off, 'A');

    assert.deepEqual((await request(on).get('/whoami').set('Cookie', 'connect.sid=' + a.id)).body, { id: a.id, tag: 'A' });
    const rejected = await request(off).get('/whoami').set('Cookie', 'connect.sid=' + a.id);
    assert.equal(rejected.body.tag, null);
    assert.notEqual(rejected.body.id, a.id);
    // A signed cookie still works with allowUnsigned on.
    assert.equal((await request(on).get('/whoami').set('Cookie', 'connect.sid=' + a.cookie)).body.tag, 'A');
  });

  test('a raw id is accepted from req.cookies and from the alternate token only when allowUnsigned is on', async () => {
    const store = new session.MemoryStore();
    const build = (allowUnsigned: boolean) => makeApp({
      store,
      allowUnsigned,
      before(req, _res, next) {
        const cookies = req.get('x-cookies');
        if (cookies !== undefined) (req as unknown as { cookies?: Data }).cookies = { 'connect.sid': cookies };
        next();
      },
      alternateTokenValue: (req) => req.headers['x-token'] as string | undefined,
    });
    const on = build(true);
    const off = build(false);
    const a = await login(off, 'A');
    assert.equal((await request(on).get('/whoami').set('x-cookies', a.id)).body.tag, 'A');
    assert.equal((await request(on).get('/whoami').set('x-token', a.id)).body.tag, 'A');
    assert.equal((await request(off).get('/whoami').set('x-cookies', a.id)).body.tag, null);
    assert.equal((await request(off).get('/whoami').set('x-token', a.id)).body.tag, null);
  });

  test('an unknown raw id gets a fresh session with a new id: ids cannot be fixated', async () => {
    const { store, calls } = spyStore();
    const app = makeApp({ store, allowUnsigned: true });
    const chosen = 'attacker-chosen-id-of-32-chars-x';
    const res = await request(app).get('/bump').set('Cookie', 'connect.sid=' + chosen);
    assert.equal(res.body.n, 1);
    assert.notEqual(res.body.id, chosen);
    assert.equal(cookieValue(res), signed(res.body.id));
    assert.deepEqual(calls.map((call) => call.method + ' ' + call.sid), ['get ' + chosen, 'set ' + res.body.id]);
  });

  test('an id from cookie-parser\'s req.signedCookies or req.cookies that could not be ours never reaches the store', async () => {
    const { store, calls } = spyStore();
    const app = makeApp({
      store,
      allowUnsigned: true,
      before(req, _res, next) {
        const r = req as unknown as { signedCookies?: Data; cookies?: Data };
        if (req.get('x-signed') !== undefined) r.signedCookies = { 'connect.sid': req.get('x-signed') };
        if (req.get('x-cookies') !== undefined) r.cookies = { 'connect.sid': req.get('x-cookies') };
        next();
      },
    });
    for (const value of ['../other-app-config', 'x'.repeat(300), '..\\x']) {
      for (const header of ['x-signed', 'x-cookies']) {
        calls.length = 0;
        const res = await request(app).get('/whoami').set(header, value);
        assert.equal(res.status, 200);
        assert.notEqual(res.body.id, value);
        assert.deepEqual(calls.filter((call) => call.method === 'get'), [], `${header}: ${value.slice(0, 30)}`);
      }
    }
  });

  test('an unsigned id is re-issued as a signed cookie only when the usual rules say so', async () => {
    const store = new session.MemoryStore();
    const a = await login(makeApp({ store }), 'A');
    const plain = makeApp({ store, allowUnsigned: true });
    assert.deepEqual(setCookies(await request(plain).get('/whoami').set('Cookie', 'connect.sid=' + a.id)), []);
    // Modified, but a browser-session cookie (no expires) is not re-sent on modification.
    assert.deepEqual(setCookies(await request(plain).get('/bump').set('Cookie', 'connect.sid=' + a.id)), []);

    const rolling = makeApp({ store, allowUnsigned: true, rolling: true });
    const res = await request(rolling).get('/whoami').set('Cookie', 'connect.sid=' + a.id);
    assert.equal(cookieValue(res), a.cookie);

    const expiring = makeApp({ store, allowUnsigned: true, cookie: { maxAge: 60_000 } });
    const b = await login(expiring, 'B');
    assert.deepEqual(setCookies(await request(expiring).get('/whoami').set('Cookie', 'connect.sid=' + b.id)), []);
    assert.equal(cookieValue(await request(expiring).get('/bump').set('Cookie', 'connect.sid=' + b.id)), b.cookie);
  });
});

describe('alternateTokenValue', () => {
  test('is consulted only when no valid cookie value was found', async () => {
    let calls = 0;
    const app = makeApp({
      alternateTokenValue() {
        calls++;
        return undefined;
      },
    });
    const a = await login(app, 'A');
    calls = 0;
    await request(app).get('/whoami').set('Cookie', 'connect.sid=' + a.cookie);
    assert.equal(calls, 0);
    await request(app).get('/whoami').set('Cookie', 'connect.sid=' + a.id); // unsigned, allowUnsigned off
    await request(app).get('/whoami').set('Cookie', 'other=1');
    await request(app).get('/whoami');
    assert.equal(calls, 3);
  });

  test('the URL-encoded value from getCookieValue and a raw `s:` value both work', async () => {
    const app = makeApp({ alternateTokenValue: (req) => req.headers['x-token'] as string | undefined });
    const a = await login(app, 'A');
    assert.match(a.token, /^s%3A/);
    assert.deepEqual((await request(app).get('/whoami').set('x-token', a.token)).body, { id: a.id, tag: 'A' });
    const raw = decodeURIComponent(a.token);
    assert.match(raw, /^s:/);
    assert.deepEqual((await request(app).get('/whoami').set('x-token', raw)).body, { id: a.id, tag: 'A' });
  });

  test('a token with a bad signature, no `s:` (allowUnsigned off) or broken %-encoding is ignored', async () => {
    const app = makeApp({ alternateTokenValue: (req) => req.headers['x-token'] as string | undefined });
    const a = await login(app, 'A');
    for (const token of [signed(a.id, 'wrong'), a.id, a.token + '%E0%A4%A', '%']) {
      const res = await request(app).get('/whoami').set('x-token', token);
      assert.equal(res.status, 200, token);
      assert.equal(res.body.tag, null, token);
      assert.notEqual(res.body.id, a.id, token);
    }
  });

  test('null, undefined, an empty string or a non-string mean no token', async () => {
    const values: unknown[] = [null, undefined, '', 42, {}];
    for (const value of values) {
      const app = makeApp({ alternateTokenValue: () => value as string });
      const res = await request(app).get('/bump');
      assert.equal(res.status, 200);
      assert.equal(res.body.n, 1);
      assert.equal(cookieValue(res), signed(res.body.id));
    }
  });

  test('may return a Promise (or any thenable)', async () => {
    const store = new session.MemoryStore();
    const a = await login(makeApp({ store }), 'A');
    const viaPromise = makeApp({ store, alternateTokenValue: async (req) => req.headers['x-token'] as string | undefined });
    assert.deepEqual((await request(viaPromise).get('/whoami').set('x-token', a.token)).body, { id: a.id, tag: 'A' });
    assert.equal((await request(viaPromise).get('/whoami')).body.tag, null);

    // A foreign thenable whose then() returns nothing (not a native Promise).
    const viaThenable = makeApp({
      store,
      alternateTokenValue: (req) => ({
        then(resolve: (value: string | undefined) => void) {
          resolve(req.headers['x-token'] as string | undefined);
        },
      }) as unknown as Promise<string | undefined>,
    });
    assert.deepEqual((await request(viaThenable).get('/whoami').set('x-token', a.token)).body, { id: a.id, tag: 'A' });
  });

  test('a rejected Promise or a throw reaches next(err)', async () => {
    const rejecting = makeApp({ alternateTokenValue: () => Promise.reject(new Error('token service down')) });
    const res = await request(rejecting).get('/whoami');
    assert.equal(res.status, 500);
    assert.equal(res.text, 'error: token service down');
    assert.deepEqual(setCookies(res), []);

    const throwing = makeApp({
      alternateTokenValue() {
        throw new Error('bad header');
      },
    });
    const thrown = await request(throwing).get('/whoami');
    assert.equal(thrown.status, 500);
    assert.equal(thrown.text, 'error: bad header');
  });

  test('the token id becomes req.sessionID: rolling or a modification with expires sends a cookie', async () => {
    const store = new session.MemoryStore();
    const a = await login(makeApp({ store }), 'A');
    const alternateTokenValue = (req: IncomingMessage) => req.headers['x-token'] as string | undefined;

    const plain = makeApp({ store, alternateTokenValue });
    assert.deepEqual(setCookies(await request(plain).get('/whoami').set('x-token', a.token)), []);
    const rolling = makeApp({ store, alternateTokenValue, rolling: true });
    assert.equal(cookieValue(await request(rolling).get('/whoami').set('x-token', a.token)), a.cookie);
    const skipping = makeApp({ store, alternateTokenValue, rolling: true, skipCookie: () => true });
    assert.deepEqual(setCookies(await request(skipping).get('/whoami').set('x-token', a.token)), []);
  });
});

describe('skipCookie', () => {
  test('true suppresses Set-Cookie only: the session is still saved and can be resumed', async () => {
    const { store, calls } = spyStore();
    const seen: unknown[][] = [];
    const app = makeApp({
      store,
      alternateTokenValue: (req) => req.headers['x-token'] as string | undefined,
      skipCookie(req, res, next) {
        seen.push([req, res, typeof next]);
        return req.headers['x-api'] === '1';
      },
    });

    const res = await request(app).get('/login').query({ tag: 'api' }).set('x-api', '1');
    assert.equal(res.status, 200);
    assert.deepEqual(setCookies(res), []);
    assert.deepEqual(calls.filter((call) => call.method === 'set'), [{ method: 'set', sid: res.body.id }]);
    assert.equal(seen.length, 1);
    assert.ok((seen[0][0] as IncomingMessage).headers, 'skipCookie gets req');
    assert.equal(typeof (seen[0][1] as { setHeader?: unknown }).setHeader, 'function', 'skipCookie gets res');
    assert.equal(seen[0][2], 'function');

    // The session was stored: the token brings it back.
    const back = await request(app).get('/whoami').set('x-token', res.body.token).set('x-api', '1');
    assert.deepEqual(back.body, { id: res.body.id, tag: 'api' });

    // false: the usual rules.
    const browser = await request(app).get('/login').query({ tag: 'web' });
    assert.equal(cookieValue(browser), browser.body.token);
  });

  test('store writes at the end still happen with skipCookie: touch, resave, destroy', async () => {
    const { store, calls } = spyStore();
    const seed = await login(makeApp({ store }), 'A');
    const app = express();
    app.use(session({ store, secret: SECRET, resave: true, saveUninitialized: false, unset: 'destroy', skipCookie: () => true }));
    app.get('/', (_req, res) => res.send('ok'));
    app.get('/drop', (req, res) => {
      (req as unknown as { session: unknown }).session = null;
      res.send('dropped');
    });
    calls.length = 0;
    const resaved = await request(app).get('/').set('Cookie', 'connect.sid=' + seed.cookie);
    assert.deepEqual(setCookies(resaved), []);
    assert.deepEqual(calls.map((call) => call.method), ['get', 'set']);

    calls.length = 0;
    await request(app).get('/drop').set('Cookie', 'connect.sid=' + seed.cookie);
    assert.deepEqual(calls.map((call) => call.method + ' ' + call.sid), ['get ' + seed.id, 'destroy ' + seed.id]);

    const touching = express();
    touching.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false, skipCookie: () => true }));
    touching.get('/', (_req, res) => res.send('ok'));
    const again = await login(makeApp({ store }), 'B');
    calls.length = 0;
    await request(touching).get('/').set('Cookie', 'connect.sid=' + again.cookie);
    assert.deepEqual(calls.map((call) => call.method), ['get', 'touch']);
  });

  test('is not called when there is no session to send a cookie for', async () => {
    let calls = 0;
    const app = express();
    app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, cookie: { path: '/inside' }, skipCookie: () => {
      calls++;
      return false;
    } }));
    app.get('/outside', (_req, res) => res.send('ok'));
    await request(app).get('/outside');
    assert.equal(calls, 0);
  });
});

describe('getCookieValue', () => {
  test('equals the value in the real Set-Cookie header, byte for byte', async () => {
    const cases: Options[] = [
      {},
      { name: 'custom.sid' },
      { secret: ['first', 'second'] },
      { secret: Buffer.from('a buffer secret') },
      { cookie: { maxAge: 60_000, sameSite: 'strict', domain: 'example.com' } },
      { genid: () => 'id with spaces/+and=signs' },
    ];
    for (const options of cases) {
      const name = options.name ?? 'connect.sid';
      const app = makeApp(options);
      const res = await request(app).get('/login').query({ tag: 'x' });
      assert.equal(res.status, 200, JSON.stringify(options));
      assert.equal(res.body.token, cookieValue(res, name), JSON.stringify(options));
    }
  });

  test('defaults to the signing secret of the middleware that served req, not req.secret', async () => {
    const app = makeApp({
      secret: ['mine', 'older'],
      before(req, _res, next) {
        (req as unknown as { secret: string }).secret = 'cookie-parser secret';
        next();
      },
    });
    const res = await request(app).get('/login').query({ tag: 'x' });
    assert.equal(res.body.token, signed(res.body.id, 'mine'));
    assert.equal(res.body.token, cookieValue(res));
  });

  test('two middlewares with different secrets: each request gets its own middleware\'s secret', async () => {
    const app = express();
    app.use('/a', session({ secret: 'secret a', resave: false, saveUninitialized: true }));
    app.use('/b', session({ secret: 'secret b', resave: false, saveUninitialized: true }));
    app.get(['/a', '/b'], (req, res) => res.json({ id: req.sessionID, token: session.getCookieValue(req) }));
    for (const [route, secret] of [['/a', 'secret a'], ['/b', 'secret b']]) {
      const res = await request(app).get(route);
      assert.equal(res.body.token, signed(res.body.id, secret));
      assert.equal(res.body.token, cookieValue(res));
    }
  });

  test('falls back to req.secret when the middleware used it (no secret option)', async () => {
    const app = makeApp({
      secret: undefined,
      before(req, _res, next) {
        (req as unknown as { secret: string }).secret = 'from cookie-parser';
        next();
      },
    });
    const res = await request(app).get('/login').query({ tag: 'x' });
    assert.equal(res.body.token, signed(res.body.id, 'from cookie-parser'));
    assert.equal(res.body.token, cookieValue(res));
  });

  test('takes the fork\'s (req, name, secret) arguments; an explicit secret (or array) wins', async () => {
    const app = express();
    app.use(session({ secret: SECRET, resave: false, saveUninitialized: false }));
    app.get('/', (req, res) => res.json({
      id: req.sessionID,
      fork: session.getCookieValue(req, 'connect.sid', 'explicit'),
      array: session.getCookieValue(req, 'connect.sid', ['explicit', 'other']),
      nameOnly: session.getCookieValue(req, 'anything'),
    }));
    const res = await request(app).get('/');
    assert.equal(res.body.fork, signed(res.body.id, 'explicit'));
    assert.equal(res.body.array, signed(res.body.id, 'explicit'));
    assert.equal(res.body.nameOnly, signed(res.body.id, SECRET));
  });

  test('throws a clear TypeError without a session or without any secret', () => {
    const bare = { headers: {} } as unknown as Request;
    assert.throws(() => session.getCookieValue(bare), { name: 'TypeError', message: /session middleware/ });
    const noSecret = { headers: {}, session: {}, sessionID: 'abc' } as unknown as Request;
    assert.throws(() => session.getCookieValue(noSecret), { name: 'TypeError', message: /secret/ });
    assert.equal(session.getCookieValue(noSecret, undefined, 's'), signed('abc', 's'));
    const withReqSecret = { headers: {}, session: {}, sessionID: 'abc', secret: 'rs' } as unknown as Request;
    assert.equal(session.getCookieValue(withReqSecret), signed('abc', 'rs'));
  });
});

describe('unsigncookie', () => {
  const id = 'abc.def-ghi';
  const raw = 's:' + signature.sign(id, SECRET);

  test('accepts `s:`, `s%3A` and bare signed values, with a string or an array of secrets', () => {
    for (const value of [raw, encodeURIComponent(raw), raw.slice(2)]) {
      assert.equal(session.unsigncookie(value, SECRET), id, value);
      assert.equal(session.unsigncookie(value, [SECRET]), id, value);
      assert.equal(session.unsigncookie(value, ['newer', 'middle', SECRET]), id, value);
    }
  });

  test('reads the value express-session itself puts in Set-Cookie', async () => {
    const app = express();
    app.use(oracle({ secret: SECRET, resave: false, saveUninitialized: true, genid: () => 'oracle/id+1' }));
    app.get('/', (_req, res) => res.send('ok'));
    const value = cookieValue(await request(app).get('/'));
    assert.ok(value);
    assert.equal(session.unsigncookie(value, [SECRET]), 'oracle/id+1');
    assert.equal(session.unsigncookie(decodeURIComponent(value), SECRET), 'oracle/id+1');
    assert.equal(session.unsigncookie(value, 'wrong'), false);
  });

  test('returns false for a wrong secret, a tampered value or a non-string', () => {
    assert.equal(session.unsigncookie(raw, 'wrong'), false);
    assert.equal(session.unsigncookie(raw, ['wrong', 'also wrong']), false);
    assert.equal(session.unsigncookie(raw.replace('abc', 'abd'), SECRET), false);
    assert.equal(session.unsigncookie(id, SECRET), false);
    assert.equal(session.unsigncookie(undefined as unknown as string, SECRET), false);
  });

  test('throws a TypeError without a secret', () => {
    assert.throws(() => session.unsigncookie(raw, []), TypeError);
    assert.throws(() => session.unsigncookie(raw, undefined as unknown as string), TypeError);
  });
});

describe('exports', () => {
  test('getCookieValue and unsigncookie are exported by require() and by import (same functions)', async () => {
    assert.equal(typeof session.getCookieValue, 'function');
    assert.equal(typeof session.unsigncookie, 'function');
    // The built package (npm test builds it first): the ESM entry re-exports the CJS objects.
    const dist = path.join(__dirname, '..', 'dist');
    if (!fs.existsSync(path.join(dist, 'index.js')) || !fs.existsSync(path.join(dist, 'index.mjs'))) {
      assert.fail('dist/index.js or dist/index.mjs is missing: run `npm run build` before this test (npm test does)');
    }
    const cjs = require(path.join(dist, 'index.js')) as Record<string, unknown>;
    const esm = await import(pathToFileURL(path.join(dist, 'index.mjs')).href) as Record<string, unknown>;
    for (const key of ['getCookieValue', 'unsigncookie']) {
      assert.equal(typeof cjs[key], 'function', key);
      assert.equal(esm[key], cjs[key], key);
      assert.equal((esm.default as Record<string, unknown>)[key], cjs[key], key);
    }
  });

  test('they are typed (checked by tsc on this file)', () => {
    const getCookieValue: (req: IncomingMessage, name?: string, secret?: session.Secret | session.Secret[]) => string =
      session.getCookieValue;
    const unsigncookie: (value: string, secrets: session.Secret | session.Secret[]) => string | false = session.unsigncookie;
    const typeErrors = () => {
      // @ts-expect-error the value must be a string
      unsigncookie(42, 'secret');
      // @ts-expect-error a secret is required
      unsigncookie('value');
      // @ts-expect-error the name must be a string
      getCookieValue({} as IncomingMessage, 42);
      // @ts-expect-error the result is a string
      const n: number = getCookieValue({} as IncomingMessage);
      return n;
    };
    assert.equal(typeof typeErrors, 'function');
    assert.equal(unsigncookie('s:' + signature.sign('x', 'k'), 'k'), 'x');
  });
});

describe('option validation', () => {
  test('alternateTokenValue and skipCookie must be functions', () => {
    for (const hook of ['alternateTokenValue', 'skipCookie'] as const) {
      for (const bad of ['string', 42, true, {}, []]) {
        assert.throws(() => session({ secret: SECRET, resave: false, saveUninitialized: false, [hook]: bad } as Options), {
          name: 'TypeError',
          message: `${hook} option must be a function`,
        });
      }
      assert.doesNotThrow(() => session({ secret: SECRET, resave: false, saveUninitialized: false, [hook]: () => undefined }));
      assert.doesNotThrow(() => session({ secret: SECRET, resave: false, saveUninitialized: false, [hook]: undefined }));
    }
  });
});
