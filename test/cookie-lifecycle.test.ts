// The cookie lifecycle extras of issue 8: regenerate({ keep }),
// clearCookieOnDestroy, resendOnExpiryChange, resignOnRotation, 'auto' values
// returned by a `cookie` function, and an async genid. Where express-session can
// say what the behaviour without the option is, it is the oracle.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { install } from '@sinonjs/fake-timers';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import signature = require('cookie-signature');
import session = require('../src/index.js');
import { oracle } from './helpers/oracle.js';
import { data, setCookies, sessionCookie } from './helpers/responses.js';

const SECRET = 'keyboard cat';
const MINUTE = 60 * 1000;
const DAY = 24 * 60 * MINUTE;
/** A whole second, so cookie Expires (second precision) can be compared exactly. */
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const CLEARED = 'connect.sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly';

type Data = Record<string, unknown>;
type Handler = (req: Request, res: Response, next: NextFunction) => void;
type Route = (req: Request, res: Response, next: NextFunction) => void | Promise<void>;

/** `connect.sid=<value>` for a Cookie request header, from a response's Set-Cookie. */
function cookieHeader(res: request.Response): string {
  const line = sessionCookie(res);
  assert.ok(line, 'a session cookie was sent');
  return line.split(';')[0]!;
}

/** The cookie's attributes, lower-cased names (value-less ones map to ''), and its value. */
function parseCookie(line: string): { value: string; attributes: Map<string, string> } {
  const [pair, ...rest] = line.split('; ');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const eq = part.indexOf('=');
    attributes.set((eq === -1 ? part : part.slice(0, eq)).toLowerCase(), eq === -1 ? '' : part.slice(eq + 1));
  }
  return { value: pair!.slice(pair!.indexOf('=') + 1), attributes };
}

function cookieExpires(res: request.Response): number | undefined {
  const line = sessionCookie(res);
  assert.ok(line, 'a session cookie was sent');
  const expires = parseCookie(line).attributes.get('expires');
  return expires === undefined ? undefined : Date.parse(expires);
}

function cookieFor(id: string, secret = SECRET): string {
  return 'connect.sid=' + signedValue(id, secret);
}

function signedValue(id: string, secret = SECRET): string {
  return encodeURIComponent('s:' + signature.sign(id, secret));
}

function storedSession(store: session.MemoryStore, sid: string): Data | undefined {
  const json = store.sessions[sid];
  return json === undefined ? undefined : (JSON.parse(json) as Data);
}

/**
 * An app: `/login?tag=X` stores `user` (= tag), `cart` and `theme`, answering
 * `{ id }`; `/whoami` answers `{ id, data }` without changes; the extra
 * `routes` are mounted under their path; errors answer 500 with the message.
 */
function makeApp(middleware: Handler, routes: Record<string, Route> = {}): express.Express {
  const app = express();
  app.use(middleware);
  app.get('/login', (req, res) => {
    Object.assign(data(req), { user: req.query.tag ?? 'u', cart: ['apple'], theme: 'dark' });
    res.json({ id: req.sessionID });
  });
  app.get('/whoami', (req, res) => {
    res.json({ id: req.sessionID, data: sessionData(req) });
  });
  for (const [path, route] of Object.entries(routes)) {
    app.get(path, (req, res, next) => {
      Promise.resolve(route(req, res, next)).catch(next);
    });
  }
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).send('error: ' + (err instanceof Error ? `${err.name}: ${err.message}` : String(err)));
  });
  return app;
}

/** The session's data keys and values, without the cookie. */
function sessionData(req: Request): Data | null {
  if (!req.session) return null;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { cookie, ...rest } = data(req);
  return rest;
}

function ours(options: session.SessionOptions, routes?: Record<string, Route>): express.Express {
  return makeApp(session({ secret: SECRET, resave: false, saveUninitialized: false, ...options }) as unknown as Handler, routes);
}

function theirs(options: Data, routes?: Record<string, Route>): express.Express {
  return makeApp(oracle({ secret: SECRET, resave: false, saveUninitialized: false, ...options }) as unknown as Handler, routes);
}

async function login(app: express.Express, tag = 'u'): Promise<{ id: string; cookie: string }> {
  const res = await request(app).get('/login').query({ tag });
  assert.equal(res.status, 200);
  return { id: res.body.id as string, cookie: cookieHeader(res) };
}

// ---------------------------------------------------------------------------

describe('regenerate({ keep })', () => {
  const routes: Record<string, Route> = {
    '/regen-all': async (req, res) => {
      await req.session.regenerate({ keep: true });
      res.json({ id: req.sessionID, data: sessionData(req) });
    },
    '/regen-cart': async (req, res) => {
      const oldCookie = req.session.cookie;
      await req.session.regenerate({ keep: ['cart', 'missing'] });
      res.json({ id: req.sessionID, data: sessionData(req), oldCookie: req.session.cookie === oldCookie });
    },
    '/regen-callback': (req, res, next) => {
      req.session.regenerate({ keep: ['user'] }, (err) => {
        if (err) return next(err);
        res.json({ id: req.sessionID, data: sessionData(req) });
      });
    },
    '/regen-empty': async (req, res) => {
      await req.session.regenerate({ keep: false });
      res.json({ id: req.sessionID, data: sessionData(req) });
    },
    '/regen-bad': (req, res) => {
      const bad = JSON.parse(String(req.query.options)) as unknown;
      let thrown: unknown;
      let returned: unknown;
      try {
        returned = (req.session.regenerate as (options: unknown) => unknown)(bad);
      } catch (err) {
        thrown = err;
      }
      res.json({
        id: req.sessionID,
        sync: thrown instanceof TypeError ? thrown.message : null,
        returnedPromise: returned instanceof Promise,
      });
    },
  };

  test('keep: true carries all data to a new id, destroys the old id, and saves the new session', async () => {
    const store = new session.MemoryStore();
    const app = ours({ store }, routes);
    const old = await login(app, 'ann');
    const res = await request(app).get('/regen-all').set('Cookie', old.cookie);
    assert.equal(res.status, 200);
    assert.notEqual(res.body.id, old.id);
    assert.deepEqual(res.body.data, { user: 'ann', cart: ['apple'], theme: 'dark' });
    assert.equal(store.sessions[old.id], undefined, 'old id destroyed');
    assert.equal(cookieHeader(res), cookieFor(res.body.id as string));
    const next = await request(app).get('/whoami').set('Cookie', cookieHeader(res));
    assert.deepEqual(next.body, { id: res.body.id, data: { user: 'ann', cart: ['apple'], theme: 'dark' } });
    // The old cookie no longer reaches the data.
    const stale = await request(app).get('/whoami').set('Cookie', old.cookie);
    assert.deepEqual(stale.body.data, {});
  });

  test('keep: [names] carries only those keys (missing keys are ignored), with a new cookie', async () => {
    const store = new session.MemoryStore();
    const app = ours({ store, cookie: { maxAge: MINUTE } }, routes);
    const old = await login(app);
    const res = await request(app).get('/regen-cart').set('Cookie', old.cookie);
    assert.notEqual(res.body.id, old.id);
    assert.deepEqual(res.body.data, { cart: ['apple'] });
    assert.equal(res.body.oldCookie, false, 'the new session has its own cookie');
    assert.equal(store.sessions[old.id], undefined);
    const stored = storedSession(store, res.body.id as string);
    assert.deepEqual(Object.keys(stored ?? {}).sort(), ['cart', 'cookie']);
  });

  test('takes a callback as second argument', async () => {
    const store = new session.MemoryStore();
    const app = ours({ store }, routes);
    const old = await login(app, 'bob');
    const res = await request(app).get('/regen-callback').set('Cookie', old.cookie);
    assert.equal(res.status, 200);
    assert.notEqual(res.body.id, old.id);
    assert.deepEqual(res.body.data, { user: 'bob' });
    assert.equal(store.sessions[old.id], undefined);
  });

  test('keep: false, like regenerate() in express-session, gives an empty session', async () => {
    const ourStore = new session.MemoryStore();
    const app = ours({ store: ourStore }, routes);
    const old = await login(app);
    const res = await request(app).get('/regen-empty').set('Cookie', old.cookie);

    const theirStore = new oracle.MemoryStore();
    const theirApp = theirs({ store: theirStore }, {
      '/regen-empty': (req, res2, next) => {
        req.session.regenerate((err: unknown) => (err ? next(err) : res2.json({ id: req.sessionID, data: sessionData(req) })));
      },
    });
    const theirOld = await login(theirApp);
    const expected = await request(theirApp).get('/regen-empty').set('Cookie', theirOld.cookie);

    assert.deepEqual(res.body.data, expected.body.data);
    assert.equal(res.body.id !== old.id, expected.body.id !== theirOld.id);
    assert.equal(ourStore.sessions[old.id] === undefined, theirStore.sessions[theirOld.id] === undefined);
  });

  test('invalid options throw a TypeError synchronously and leave the session alone', async () => {
    const store = new session.MemoryStore();
    const app = ours({ store }, routes);
    const old = await login(app);
    const reserved = ['id', 'req', 'cookie', 'save', 'regenerate', 'constructor', '__proto__', 'toString'].map((name) => `{"keep":["cart","${name}"]}`);
    for (const bad of ['"yes"', '42', '{"keep":"cart"}', '{"keep":[1]}', '{"keep":1}', '{"keep":["cart",null]}', ...reserved]) {
      const res = await request(app).get('/regen-bad').query({ options: bad }).set('Cookie', old.cookie);
      assert.equal(res.status, 200);
      assert.equal(typeof res.body.sync, 'string', `TypeError for ${bad}`);
      assert.equal(res.body.returnedPromise, false);
      assert.equal(res.body.id, old.id);
      assert.ok(store.sessions[old.id], `old session kept after ${bad}`);
    }
  });
});

describe('clearCookieOnDestroy', () => {
  const routes: Record<string, Route> = {
    '/logout': async (req, res) => {
      await req.session.destroy();
      res.send('bye');
    },
    '/unset': (req, res) => {
      delete (req as { session?: unknown }).session;
      res.send('bye');
    },
    '/fresh-logout': async (req, res) => {
      data(req).x = 1;
      await req.session.destroy();
      res.send('bye');
    },
  };

  test('destroy() sends a Set-Cookie that expires the cookie at once', async () => {
    const store = new session.MemoryStore();
    const app = ours({ store, clearCookieOnDestroy: true }, routes);
    const user = await login(app);
    const res = await request(app).get('/logout').set('Cookie', user.cookie);
    assert.equal(res.text, 'bye');
    assert.deepEqual(setCookies(res), [CLEARED]);
    assert.equal(store.sessions[user.id], undefined);
  });

  test('without the option no cookie is sent after destroy(), as in express-session', async () => {
    const ourRes = await request(ours({}, routes)).get('/logout').set('Cookie', (await login(ours({}, routes))).cookie);
    const theirApp = theirs({}, {
      '/logout': (req, res, next) => {
        req.session.destroy((err: unknown) => (err ? next(err) : res.send('bye')));
      },
    });
    const theirRes = await request(theirApp).get('/logout').set('Cookie', (await login(theirApp)).cookie);
    assert.equal(ourRes.text, theirRes.text);
    assert.deepEqual(setCookies(ourRes), setCookies(theirRes));
    assert.deepEqual(setCookies(ourRes), []);
  });

  test("unset: 'destroy' with delete req.session clears the cookie; unset: 'keep' does not", async () => {
    const store = new session.MemoryStore();
    const app = ours({ store, unset: 'destroy', clearCookieOnDestroy: true }, routes);
    const user = await login(app);
    const res = await request(app).get('/unset').set('Cookie', user.cookie);
    assert.deepEqual(setCookies(res), [CLEARED]);
    assert.equal(store.sessions[user.id], undefined);

    const keepStore = new session.MemoryStore();
    const keepApp = ours({ store: keepStore, unset: 'keep', clearCookieOnDestroy: true }, routes);
    const kept = await login(keepApp);
    const keepRes = await request(keepApp).get('/unset').set('Cookie', kept.cookie);
    assert.deepEqual(setCookies(keepRes), []);
    assert.ok(keepStore.sessions[kept.id]);
  });

  test('only when the client had sent a session id', async () => {
    const app = ours({ clearCookieOnDestroy: true, saveUninitialized: true }, routes);
    const res = await request(app).get('/fresh-logout');
    assert.equal(res.text, 'bye');
    assert.deepEqual(setCookies(res), []);
  });

  test('the cleared cookie has the attributes of the destroyed cookie (as stored), with no Max-Age', async () => {
    const store = new session.MemoryStore();
    const cookie = { domain: 'example.com', sameSite: 'strict' as const, maxAge: DAY, partitioned: true, secure: true };
    const before = ours({ store, proxy: true, cookie }, routes);
    const user = await request(before).get('/login').set('X-Forwarded-Proto', 'https');
    assert.equal(user.status, 200);
    // The app's cookie options changed since: the browser's cookie is the stored one.
    const app = ours({ store, proxy: true, clearCookieOnDestroy: true, cookie: { domain: 'other.example' } }, routes);
    const res = await request(app).get('/logout').set('Cookie', cookieHeader(user)).set('X-Forwarded-Proto', 'https');
    const lines = setCookies(res);
    assert.equal(lines.length, 1);
    const { value, attributes } = parseCookie(lines[0]!);
    assert.ok(lines[0]!.startsWith('connect.sid=;'));
    assert.equal(value, '');
    assert.deepEqual(Object.fromEntries(attributes), {
      path: '/',
      expires: 'Thu, 01 Jan 1970 00:00:00 GMT',
      domain: 'example.com',
      httponly: '',
      secure: '',
      partitioned: '',
      samesite: 'Strict',
    });
  });

  test('a Secure cookie is not cleared over plain http (a browser would drop it), nor with skipCookie', async () => {
    const store = new session.MemoryStore();
    const app = ours({ store, proxy: true, clearCookieOnDestroy: true, cookie: { secure: true } }, routes);
    const user = await request(app).get('/login').set('X-Forwarded-Proto', 'https');
    const res = await request(app).get('/logout').set('Cookie', cookieHeader(user));
    assert.equal(res.text, 'bye');
    assert.equal(store.sessions[user.body.id as string], undefined);
    assert.deepEqual(setCookies(res), []);

    const skipping = ours({ clearCookieOnDestroy: true, skipCookie: (req) => req.headers['x-skip'] === '1' }, routes);
    const other = await login(skipping);
    assert.deepEqual(setCookies(await request(skipping).get('/logout').set('Cookie', other.cookie).set('X-Skip', '1')), []);
  });

  test('destroy() followed by regenerate() sends the new session cookie, not a clearing one', async () => {
    const app = ours({ clearCookieOnDestroy: true }, {
      '/relogin': async (req, res) => {
        const old = req.session;
        await old.destroy();
        // After destroy() req.session is gone; regenerate through the old object.
        await old.regenerate();
        data(req).user = 'again';
        res.json({ id: req.sessionID });
      },
    });
    const user = await login(app);
    const res = await request(app).get('/relogin').set('Cookie', user.cookie);
    assert.equal(res.status, 200);
    const lines = setCookies(res);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.ok(lines[0]!.startsWith(cookieFor(res.body.id as string) + ';'), lines[0]);
  });
});

describe('resendOnExpiryChange', () => {
  let clock: ReturnType<typeof install>;
  beforeEach(() => {
    clock = install({ now: T0, toFake: ['Date'] });
  });
  afterEach(() => {
    clock.uninstall();
  });

  const routes: Record<string, Route> = {
    '/remember': (req, res) => {
      req.session.cookie.maxAge = 30 * DAY;
      res.send('ok');
    },
    '/until': (req, res) => {
      req.session.cookie.expires = new Date(T0 + 7 * DAY);
      res.send('ok');
    },
    '/remember-streaming': (req, res) => {
      req.session.cookie.maxAge = 30 * DAY;
      // Headers go out with the first write, before the end of the response.
      res.write('o');
      res.end('k');
    },
    '/reload-remember': async (req, res) => {
      await req.session.reload();
      req.session.cookie.maxAge = 30 * DAY;
      res.send('ok');
    },
    '/forget': (req, res) => {
      req.session.cookie.maxAge = null;
      res.send('ok');
    },
  };

  test('without the option a changed maxAge is not sent (as in express-session), with it it is', async () => {
    const theirApp = theirs({ cookie: { maxAge: 60 * MINUTE } }, routes);
    const theirUser = await login(theirApp);
    const ourPlainApp = ours({ cookie: { maxAge: 60 * MINUTE } }, routes);
    const ourPlainUser = await login(ourPlainApp);
    const ourApp = ours({ cookie: { maxAge: 60 * MINUTE }, resendOnExpiryChange: true }, routes);
    const ourUser = await login(ourApp);
    clock.tick(10 * MINUTE);

    const theirRes = await request(theirApp).get('/remember').set('Cookie', theirUser.cookie);
    const plainRes = await request(ourPlainApp).get('/remember').set('Cookie', ourPlainUser.cookie);
    assert.deepEqual(setCookies(plainRes), setCookies(theirRes));
    assert.deepEqual(setCookies(plainRes), []);

    const res = await request(ourApp).get('/remember').set('Cookie', ourUser.cookie);
    assert.equal(cookieHeader(res), ourUser.cookie, 'same id, same signature');
    assert.equal(cookieExpires(res), T0 + 10 * MINUTE + 30 * DAY);
  });

  test('also when the headers go out before the end (a streamed response)', async () => {
    const app = ours({ cookie: { maxAge: 60 * MINUTE }, resendOnExpiryChange: true }, routes);
    const user = await login(app);
    clock.tick(MINUTE);
    const res = await request(app).get('/remember-streaming').set('Cookie', user.cookie);
    assert.equal(res.text, 'ok');
    assert.equal(cookieHeader(res), user.cookie);
    assert.equal(cookieExpires(res), T0 + MINUTE + 30 * DAY);
  });

  test('also after req.session.reload() (a new session object with the same id)', async () => {
    const app = ours({ cookie: { maxAge: 60 * MINUTE }, resendOnExpiryChange: true }, routes);
    const user = await login(app);
    const res = await request(app).get('/reload-remember').set('Cookie', user.cookie);
    assert.equal(res.text, 'ok');
    assert.equal(cookieHeader(res), user.cookie);
    assert.equal(cookieExpires(res), T0 + 30 * DAY);
  });

  test('the store keeps the new expiry, so later requests carry it', async () => {
    const store = new session.MemoryStore();
    const app = ours({ store, rolling: false, resendOnExpiryChange: true, cookie: { maxAge: 60 * MINUTE } }, routes);
    const user = await login(app);
    await request(app).get('/remember').set('Cookie', user.cookie);
    const stored = storedSession(store, user.id)?.cookie as Data | undefined;
    assert.equal(stored?.originalMaxAge, 30 * DAY);
    assert.equal(stored?.expires, new Date(T0 + 30 * DAY).toISOString());
  });

  test('setting expires is noticed too', async () => {
    const app = ours({ resendOnExpiryChange: true, cookie: { maxAge: 60 * MINUTE } }, routes);
    const user = await login(app);
    const res = await request(app).get('/until').set('Cookie', user.cookie);
    assert.equal(cookieExpires(res), T0 + 7 * DAY);
  });

  test('a browser-session cookie made persistent, and back ("forget me")', async () => {
    const app = ours({ resendOnExpiryChange: true }, routes);
    const user = await login(app);
    const remembered = await request(app).get('/remember').set('Cookie', user.cookie);
    assert.equal(cookieExpires(remembered), T0 + 30 * DAY);
    const forgotten = await request(app).get('/forget').set('Cookie', user.cookie);
    assert.equal(cookieHeader(forgotten), user.cookie);
    assert.equal(cookieExpires(forgotten), undefined);
  });

  test('no Set-Cookie when the app leaves the expiry alone, even as time passes', async () => {
    const app = ours({ resendOnExpiryChange: true, cookie: { maxAge: 60 * MINUTE } }, routes);
    const user = await login(app);
    clock.tick(5 * MINUTE);
    const res = await request(app).get('/whoami').set('Cookie', user.cookie);
    assert.equal(res.body.id, user.id);
    assert.deepEqual(setCookies(res), []);
  });
});

describe('resignOnRotation', () => {
  const SECRETS = ['newest', 'older', 'oldest'];

  test('a cookie verified with an older secret is re-issued signed with the first one', async () => {
    const store = new session.MemoryStore();
    const old = await login(ours({ store, secret: 'oldest' }), 'ann');
    const app = ours({ store, secret: SECRETS, resignOnRotation: true });
    const res = await request(app).get('/whoami').set('Cookie', old.cookie);
    assert.deepEqual(res.body, { id: old.id, data: { user: 'ann', cart: ['apple'], theme: 'dark' } });
    assert.equal(cookieHeader(res), cookieFor(old.id, 'newest'));
    // Once re-signed, it is not sent again.
    const again = await request(app).get('/whoami').set('Cookie', cookieHeader(res));
    assert.equal(again.body.id, old.id);
    assert.deepEqual(setCookies(again), []);
  });

  test('without the option an unchanged session keeps its old signature (no Set-Cookie), as in express-session', async () => {
    const ourStore = new session.MemoryStore();
    const ourOld = await login(ours({ store: ourStore, secret: 'older' }));
    const ourRes = await request(ours({ store: ourStore, secret: SECRETS })).get('/whoami').set('Cookie', ourOld.cookie);

    const theirStore = new oracle.MemoryStore();
    const theirOld = await login(theirs({ store: theirStore, secret: 'older' }));
    const theirRes = await request(theirs({ store: theirStore, secret: SECRETS })).get('/whoami').set('Cookie', theirOld.cookie);

    assert.equal(theirRes.body.id, theirOld.id);
    assert.equal(ourRes.body.id, ourOld.id);
    assert.deepEqual(setCookies(ourRes), setCookies(theirRes));
    assert.deepEqual(setCookies(ourRes), []);
  });

  test('a cookie signed with the first secret is not re-sent', async () => {
    const store = new session.MemoryStore();
    const user = await login(ours({ store, secret: SECRETS }));
    const res = await request(ours({ store, secret: SECRETS, resignOnRotation: true })).get('/whoami').set('Cookie', user.cookie);
    assert.equal(res.body.id, user.id);
    assert.deepEqual(setCookies(res), []);
  });

  test('the re-issued cookie keeps the stored cookie attributes and expiry', async () => {
    const clock = install({ now: T0, toFake: ['Date'] });
    try {
      const store = new session.MemoryStore();
      const old = await login(ours({ store, secret: 'older', cookie: { maxAge: 60 * MINUTE, sameSite: 'lax' } }));
      clock.tick(MINUTE);
      const res = await request(ours({ store, secret: SECRETS, resignOnRotation: true })).get('/whoami').set('Cookie', old.cookie);
      const { value, attributes } = parseCookie(sessionCookie(res)!);
      assert.equal(value, signedValue(old.id, 'newest'));
      assert.equal(attributes.get('samesite'), 'Lax');
      // Sent cookies are touched first: the idle timeout restarts now.
      assert.equal(Date.parse(attributes.get('expires')!), T0 + 61 * MINUTE);
    } finally {
      clock.uninstall();
    }
  });
});

describe("'auto' values returned by a cookie function", () => {
  /** The session cookie's attributes for one request, without its value. */
  async function attributesOf(app: express.Express, https: boolean): Promise<Record<string, string>> {
    let req = request(app).get('/login');
    if (https) req = req.set('X-Forwarded-Proto', 'https');
    const res = await req;
    assert.equal(res.status, 200);
    const line = sessionCookie(res);
    assert.ok(line, 'a session cookie was sent');
    return Object.fromEntries(parseCookie(line).attributes);
  }

  const AUTO = { secure: 'auto', sameSite: 'auto' } as const;

  for (const https of [false, true]) {
    test(`are resolved per request like static options (${https ? 'https via proxy' : 'http'})`, async () => {
      // Intended difference: express-session 1.19.0 leaves 'auto' unresolved when
      // a cookie FUNCTION returns it; we resolve it as for the static option,
      // whose output from express-session is the expectation here.
      const expected = await attributesOf(theirs({ proxy: true, cookie: AUTO }), https);
      const fromStatic = await attributesOf(ours({ proxy: true, cookie: AUTO }), https);
      const fromFunction = await attributesOf(ours({ proxy: true, cookie: () => ({ ...AUTO }) }), https);
      assert.deepEqual(fromStatic, expected);
      assert.deepEqual(fromFunction, expected);
      assert.equal(fromFunction.samesite, https ? 'None' : 'Lax');
      assert.equal('secure' in fromFunction, https);
    });
  }

  test('one middleware resolves them for each request, and stores the resolved values', async () => {
    const store = new session.MemoryStore();
    const app = ours({ store, proxy: true, cookie: () => ({ ...AUTO, maxAge: MINUTE }) });
    const plain = await request(app).get('/login');
    const secure = await request(app).get('/login').set('X-Forwarded-Proto', 'https');
    const plainCookie = storedSession(store, plain.body.id as string)?.cookie as Data;
    const secureCookie = storedSession(store, secure.body.id as string)?.cookie as Data;
    assert.equal(plainCookie.secure, false);
    assert.equal(plainCookie.sameSite, 'lax');
    assert.equal(secureCookie.secure, true);
    assert.equal(secureCookie.sameSite, 'none');
  });
});

describe('async genid', () => {
  function counterGenid(prefix: string): () => Promise<string> {
    let n = 0;
    return () => new Promise((resolve) => setImmediate(resolve, `${prefix}-${++n}`));
  }

  test('a Promise from genid names new sessions', async () => {
    const store = new session.MemoryStore();
    const app = ours({ store, genid: counterGenid('p') });
    const user = await login(app);
    assert.equal(user.id, 'p-1');
    assert.equal(user.cookie, cookieFor('p-1'));
    assert.ok(store.sessions['p-1']);
  });

  test('regenerate() waits for it (with and without keep)', async () => {
    const store = new session.MemoryStore();
    const app = ours({ store, genid: counterGenid('r') }, {
      '/regen': async (req, res) => {
        await req.session.regenerate(req.query.keep ? { keep: true } : undefined);
        data(req).after = true;
        res.json({ id: req.sessionID, sessionId: req.session.id, data: sessionData(req) });
      },
    });
    const user = await login(app);
    const res = await request(app).get('/regen').set('Cookie', user.cookie);
    assert.deepEqual(res.body, { id: 'r-2', sessionId: 'r-2', data: { after: true } });
    assert.equal(cookieHeader(res), cookieFor('r-2'));
    const kept = await request(app).get('/regen').query({ keep: '1' }).set('Cookie', cookieHeader(res));
    assert.deepEqual(kept.body, { id: 'r-3', sessionId: 'r-3', data: { after: true } });
    assert.equal(store.sessions['r-2'], undefined);
    assert.ok(store.sessions['r-3']);
  });

  test('a rejected genid Promise reaches the error handler (new session and regenerate)', async () => {
    let fail = true;
    const genid = (): Promise<string> => (fail ? Promise.reject(new Error('no ids today')) : Promise.resolve('ok-1'));
    const app = ours({ genid }, {
      '/regen': (req, res, next) => {
        fail = true;
        req.session.regenerate({ keep: true }, (err) => (err ? next(err) : res.send('regenerated')));
      },
    });
    const res = await request(app).get('/login');
    assert.equal(res.status, 500);
    assert.equal(res.text, 'error: Error: no ids today');

    fail = false;
    const user = await login(app);
    const regen = await request(app).get('/regen').set('Cookie', user.cookie);
    assert.equal(regen.status, 500);
    assert.equal(regen.text, 'error: Error: no ids today');
  });
});
