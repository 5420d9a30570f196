// Issue 7: hostile input. Arbitrary Cookie headers (random bytes, bad
// percent-encoding, 8 KB+ values, thousands of pairs, duplicate session
// cookies, forged or empty signatures, `__proto__`-like names, headers given
// as arrays) always get a normal response, never load a session without a valid
// signature, and never adopt an id the client chose. Stored sessions carrying
// `__proto__` / `constructor.prototype` payloads never pollute prototypes.
// Signatures are compared in constant time and rotate with the secret list.
//
// Requests run in-process on real http.IncomingMessage / ServerResponse
// objects (as bench/in-process.js does), so header values Node's HTTP parser
// would reject still reach the middleware.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http = require('node:http');
import crypto = require('node:crypto');
import { Duplex } from 'node:stream';
import express from 'express';
import request from 'supertest';
import fc from 'fast-check';
import cookieSignature from 'cookie-signature';
import session = require('../src/index.js');
import { oracle } from './helpers/oracle.js';
import { serialize as serializeCookie } from 'cookie';

const SECRET = 'hostile input secret';
const OTHER_SECRET = 'some other secret';
const KNOWN_SID = 'known-session-id-0123456789abcdef';
const FRESH_PREFIX = 'genid-';

function sign(sid: string, secret = SECRET): string {
  return 's:' + cookieSignature.sign(sid, secret);
}

const VALID = sign(KNOWN_SID);
/** The valid value with one signature character changed: same length, wrong HMAC. */
const TAMPERED = VALID.slice(0, -1) + (VALID.endsWith('A') ? 'B' : 'A');

// --- a recording store and in-process requests ---------------------------------

type Callback = (err?: unknown, value?: unknown) => void;

interface Recording {
  gets: string[];
  sets: string[];
  data: Map<string, string>;
}

interface StoreLike {
  get(sid: string, cb: Callback): void;
  set(sid: string, sess: unknown, cb: Callback): void;
  destroy(sid: string, cb: Callback): void;
  touch(sid: string, sess: unknown, cb: Callback): void;
}

/** A store built on `Base` (ours or express-session's Store) that records every get and set. */
function recordingStore(Base: new () => object): { store: StoreLike; rec: Recording } {
  const rec: Recording = { gets: [], sets: [], data: new Map() };
  rec.data.set(KNOWN_SID, JSON.stringify({ cookie: { originalMaxAge: null, httpOnly: true, path: '/' }, views: 1 }));
  const store = Object.assign(new Base(), {
    get(sid: string, cb: Callback) {
      rec.gets.push(sid);
      const json = rec.data.get(sid);
      setImmediate(cb, null, json === undefined ? undefined : JSON.parse(json));
    },
    set(sid: string, sess: unknown, cb: Callback) {
      rec.sets.push(sid);
      rec.data.set(sid, JSON.stringify(sess));
      setImmediate(cb);
    },
    destroy(sid: string, cb: Callback) {
      rec.data.delete(sid);
      setImmediate(cb);
    },
    touch(_sid: string, _sess: unknown, cb: Callback) {
      setImmediate(cb);
    },
  });
  return { store, rec };
}

type Middleware = (req: http.IncomingMessage, res: http.ServerResponse, next: (err?: unknown) => void) => void;
type Implementation = 'ours' | 'theirs';

interface Setup {
  mw: Middleware;
  rec: Recording;
  genids: Set<string>;
}

function setup(impl: Implementation, options: Record<string, unknown> = {}): Setup {
  const genids = new Set<string>();
  const genid = () => {
    const id = FRESH_PREFIX + crypto.randomBytes(12).toString('base64url');
    genids.add(id);
    return id;
  };
  const factory = impl === 'ours' ? (session as unknown as (o: object) => Middleware) : (oracle as unknown as (o: object) => Middleware);
  const Base = (impl === 'ours' ? session.Store : oracle.Store) as unknown as new () => object;
  const { store, rec } = recordingStore(Base);
  const mw = factory({ secret: SECRET, resave: false, saveUninitialized: true, genid, store, ...options });
  return { mw, rec, genids };
}

/** A socket that accepts and discards everything written to it. */
function sinkSocket(): Duplex {
  const socket = new Duplex({
    read() {},
    write(_chunk, _enc, cb) {
      cb();
    },
  });
  Object.assign(socket, { remoteAddress: '127.0.0.1', setTimeout: () => socket, setNoDelay: () => socket, setKeepAlive: () => socket });
  return socket;
}

interface Outcome {
  status: number;
  error: unknown;
  sessionID: string | undefined;
  views: unknown;
  /** The id the Set-Cookie header carries (unsigned with SECRET), `false` for a bad signature, undefined without one. */
  cookieId: string | false | undefined;
}

/** Runs one GET / through `mw` with `cookie` as the Cookie header (a string, or an array as some frameworks pass it). */
function runRequest(mw: Middleware, cookie: string | string[] | undefined): Promise<Outcome> {
  return runRequestWith(mw, cookie === undefined ? {} : { cookie });
}

/** Runs one GET / through `mw` with these request headers besides `host`. */
function runRequestWith(mw: Middleware, headers: Record<string, string | string[]>): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = sinkSocket();
    const req = new http.IncomingMessage(socket as unknown as import('node:net').Socket);
    req.method = 'GET';
    req.url = '/';
    req.headers = { host: 'localhost', ...headers };
    const res = new http.ServerResponse(req);
    res.assignSocket(socket as unknown as import('node:net').Socket);
    let error: unknown;
    let views: unknown;
    res.on('finish', () => {
      res.detachSocket(socket as unknown as import('node:net').Socket);
      const setCookie = res.getHeader('set-cookie');
      const header = Array.isArray(setCookie) ? setCookie.find((c) => c.startsWith('connect.sid=')) : undefined;
      let cookieId: string | false | undefined;
      if (header) {
        const value = decodeURIComponent(header.slice('connect.sid='.length, header.indexOf(';')));
        cookieId = value.startsWith('s:') ? cookieSignature.unsign(value.slice(2), SECRET) : false;
      }
      const sessionID = (req as { sessionID?: string }).sessionID;
      resolve({ status: res.statusCode, error, sessionID, views, cookieId });
    });
    mw(req, res, (err) => {
      if (err) {
        error = err;
        res.statusCode = 500;
        res.end('error');
        return;
      }
      views = (req as { session?: { views?: unknown } }).session?.views;
      res.end('ok');
    });
  });
}

/**
 * What must hold for every request, whatever it sent: a normal response, a
 * session loaded only for the one validly signed id, and otherwise a fresh id
 * from genid (never one the client chose), sent back in the cookie.
 */
function assertSafe(outcome: Outcome, { rec, genids }: Setup): void {
  assert.equal(outcome.error, undefined, `next(err): ${String(outcome.error)}`);
  assert.equal(outcome.status, 200);
  for (const id of rec.gets) assert.equal(id, KNOWN_SID, 'store.get() was called with an id that was not validly signed');
  if (outcome.views === 1) {
    assert.deepEqual(rec.gets, [KNOWN_SID]);
    assert.equal(outcome.sessionID, KNOWN_SID);
  } else {
    assert.equal(outcome.views, undefined);
    assert.ok(genids.has(outcome.sessionID!), `req.sessionID ${String(outcome.sessionID)} is not a genid output`);
    assert.equal(outcome.cookieId, outcome.sessionID, 'the cookie must carry the fresh id');
    assert.deepEqual(rec.sets, [outcome.sessionID]);
  }
}

// --- arbitraries ---------------------------------------------------------------

const latin1Bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes).toString('latin1'));
const attackerId = fc.oneof(fc.constant(KNOWN_SID), fc.string({ maxLength: 40 }), latin1Bytes(40));
const cookieName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('connect.sid', ' connect.sid', 'connect.sid ', '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const cookieValue = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  latin1Bytes(60),
  fc.constantFrom('%', '%E0%A4%A', '%zz', 's%3A%', '%C0%AF', '%%%', 's:%', '%FF', '%00', 's%3a', '""', '"'),
  fc.constantFrom(VALID, encodeURIComponent(VALID), `"${encodeURIComponent(VALID)}"`, TAMPERED, encodeURIComponent(TAMPERED)),
  fc.constantFrom('s:', 's:.', 's:' + KNOWN_SID, 's:' + KNOWN_SID + '.', KNOWN_SID),
  attackerId.map((id) => `s:${id}`),
  attackerId.map((id) => `s:${id}.`),
  fc.tuple(attackerId, fc.string({ maxLength: 50 })).map(([id, sig]) => `s:${id}.${sig}`),
  attackerId.map((id) => encodeURIComponent(sign(id, OTHER_SECRET))),
  fc.integer({ min: 8192, max: 12000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 8192, max: 12000 }).map((n) => encodeURIComponent(sign('y'.repeat(n), OTHER_SECRET))),
  fc.integer({ min: 8192, max: 12000 }).map((n) => `s:${KNOWN_SID}.${'A'.repeat(n)}`),
);
const separator = fc.constantFrom('; ', ';', ';  ', ' ; ', ';;', ', ');
const sessionValue = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(VALID, encodeURIComponent(VALID), `"${encodeURIComponent(VALID)}"`, TAMPERED) },
  { weight: 3, arbitrary: cookieValue },
);
const cookiePair = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(cookieName, cookieValue, fc.boolean()) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('connect.sid'), sessionValue, fc.constant(true)) },
);
const cookieHeader = fc
  .tuple(fc.array(cookiePair, { maxLength: 8 }), separator)
  .map(([pairs, sep]) => pairs.map(([name, value, withEquals]) => (withEquals ? `${name}=${value}` : `${name}${value}`)).join(sep));
const anyHeader = fc.oneof(cookieHeader, fc.string({ unit: 'binary', maxLength: 200 }), latin1Bytes(200));

// --- hostile cookies -----------------------------------------------------------

describe('hostile Cookie headers', () => {
  test('any header: a normal response, a session only for a valid signature, otherwise a fresh id', async () => {
    await fc.assert(
      fc.asyncProperty(anyHeader, async (header) => {
        const side = setup('ours');
        assertSafe(await runRequest(side.mw, header), side);
      }),
      { numRuns: 300 },
    );
  });

  test('any header: the same session is loaded as express-session loads (differential)', async () => {
    const seen = { loaded: 0, fresh: 0 };
    await fc.assert(
      fc.asyncProperty(cookieHeader, async (header) => {
        const ours = setup('ours');
        const theirs = setup('theirs');
        const [a, b] = await Promise.all([runRequest(ours.mw, header), runRequest(theirs.mw, header)]);
        assertSafe(a, ours);
        assert.equal(b.error, undefined, `express-session failed: ${String(b.error)}`);
        assert.deepEqual(ours.rec.gets, theirs.rec.gets, 'store.get() calls differ from express-session');
        assert.equal(a.views, b.views);
        seen[a.views === 1 ? 'loaded' : 'fresh']++;
      }),
      { numRuns: 300 },
    );
    // The generator must exercise both outcomes, or the property proves little.
    assert.ok(seen.loaded >= 10 && seen.fresh >= 10, `loaded ${seen.loaded}, fresh ${seen.fresh}`);
  });

  test('thousands of pairs around one session cookie: loaded only when validly signed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1000, max: 5000 }),
        fc.nat(),
        fc.constantFrom(VALID, TAMPERED, 's:' + KNOWN_SID + '.'),
        async (count, at, value) => {
          const pairs = Array.from({ length: count }, (_, i) => `c${i}=v${i}`);
          pairs.splice(at % (count + 1), 0, `connect.sid=${encodeURIComponent(value)}`);
          const side = setup('ours');
          const outcome = await runRequest(side.mw, pairs.join('; '));
          assertSafe(outcome, side);
          assert.equal(outcome.views, value === VALID ? 1 : undefined);
        },
      ),
      { numRuns: 10 },
    );
  });

  test('duplicate session cookies: the first one counts, as in express-session', async () => {
    const cases: [string, number | undefined][] = [
      [`connect.sid=${TAMPERED}; connect.sid=${VALID}`, undefined],
      [`connect.sid=${VALID}; connect.sid=${TAMPERED}`, 1],
      [`connect.sid=; connect.sid=${VALID}`, undefined],
      [`connect.sid=garbage; connect.sid=${VALID}`, undefined],
    ];
    for (const [header, views] of cases) {
      const ours = setup('ours');
      const theirs = setup('theirs');
      const a = await runRequest(ours.mw, header);
      const b = await runRequest(theirs.mw, header);
      assertSafe(a, ours);
      assert.equal(b.views, views, `express-session on ${header}`);
      assert.equal(a.views, views, header);
    }
  });

  test('headers given as arrays: joined, never an error', async () => {
    const valid = setup('ours');
    const loaded = await runRequest(valid.mw, ['a=b', `connect.sid=${VALID}`]);
    assertSafe(loaded, valid);
    assert.equal(loaded.views, 1);

    const tampered = setup('ours');
    const fresh = await runRequest(tampered.mw, ['a=b', `connect.sid=${TAMPERED}`, `connect.sid=${VALID}`]);
    assertSafe(fresh, tampered);
    assert.equal(fresh.views, undefined);

    await fc.assert(
      fc.asyncProperty(fc.array(anyHeader, { maxLength: 5 }), async (headers) => {
        const side = setup('ours');
        assertSafe(await runRequest(side.mw, headers), side);
      }),
      { numRuns: 100 },
    );
  });

  test('an invalid signature never loads, and its id is never reused', async () => {
    await fc.assert(
      fc.asyncProperty(attackerId, fc.oneof(fc.constant(''), fc.string({ maxLength: 50 }), fc.constant(OTHER_SECRET)), async (id, garbage) => {
        const forged = garbage === OTHER_SECRET ? sign(id, OTHER_SECRET) : `s:${id}.${garbage}`;
        fc.pre(forged !== sign(id));
        const side = setup('ours');
        const outcome = await runRequest(side.mw, `connect.sid=${encodeURIComponent(forged)}`);
        assertSafe(outcome, side);
        assert.deepEqual(side.rec.gets, []);
        assert.notEqual(outcome.sessionID, id);
        assert.notEqual(outcome.cookieId, id);
      }),
      { numRuns: 200 },
    );
  });
});

// --- signatures ----------------------------------------------------------------

describe('signatures', () => {
  test('a tampered signature of the same length is compared with crypto.timingSafeEqual', async (t) => {
    const spy = t.mock.method(crypto, 'timingSafeEqual');
    assert.equal(TAMPERED.length, VALID.length);
    const side = setup('ours');
    const outcome = await runRequest(side.mw, `connect.sid=${encodeURIComponent(TAMPERED)}`);
    assertSafe(outcome, side);
    assert.deepEqual(side.rec.gets, []);
    // The middleware's comparisons (this test's own unsign of the Set-Cookie value comes later and is left out).
    const calls = spy.mock.calls.filter((call) => String(call.arguments[1]) === TAMPERED.slice(2));
    assert.ok(calls.length >= 1, 'crypto.timingSafeEqual was not used for the tampered signature');
    for (const call of calls) {
      const [expected, given] = call.arguments as unknown as [Buffer, Buffer];
      assert.equal(expected.length, given.length);
      assert.equal(call.result, false);
    }
  });

  test('secret rotation: a cookie signed with an old secret loads; the new cookie is signed with the first secret', async () => {
    const NEW = 'the new secret';
    const side = setup('ours', { secret: [NEW, SECRET], rolling: true });
    const outcome = await runRequest(side.mw, `connect.sid=${encodeURIComponent(VALID)}`);
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.views, 1);
    assert.deepEqual(side.rec.gets, [KNOWN_SID]);
    // The cookie is re-signed with NEW: not valid under the old secret any more.
    assert.equal(outcome.cookieId, false);

    const check = setup('ours', { secret: [NEW, SECRET], rolling: true });
    const res = await new Promise<string[]>((resolve) => {
      const socket = sinkSocket();
      const req = new http.IncomingMessage(socket as unknown as import('node:net').Socket);
      req.method = 'GET';
      req.url = '/';
      req.headers = { host: 'localhost', cookie: `connect.sid=${encodeURIComponent(VALID)}` };
      const response = new http.ServerResponse(req);
      response.assignSocket(socket as unknown as import('node:net').Socket);
      response.on('finish', () => resolve(response.getHeader('set-cookie') as string[]));
      check.mw(req, response, () => response.end());
    });
    assert.equal(res.length, 1);
    const value = decodeURIComponent(res[0].slice('connect.sid='.length, res[0].indexOf(';')));
    assert.equal(value, sign(KNOWN_SID, NEW));

    const third = setup('ours', { secret: [NEW, SECRET] });
    const rejected = await runRequest(third.mw, `connect.sid=${encodeURIComponent(sign(KNOWN_SID, 'a retired secret'))}`);
    assert.deepEqual(third.rec.gets, []);
    assert.equal(rejected.views, undefined);
  });

  for (const impl of ['ours', 'theirs'] as const) {
    test(`a validly signed id that is not in the store is never adopted (${impl})`, async () => {
      const side = setup(impl);
      const unknown = 'attacker-chosen-session-id';
      const outcome = await runRequest(side.mw, `connect.sid=${encodeURIComponent(sign(unknown))}`);
      assert.deepEqual(side.rec.gets, [unknown]);
      assert.equal(outcome.views, undefined);
      assert.ok(side.genids.has(outcome.sessionID!));
      assert.notEqual(outcome.sessionID, unknown);
      assert.equal(outcome.cookieId, outcome.sessionID);
      assert.deepEqual(side.rec.sets, [outcome.sessionID]);
    });
  }

  test('allowUnsigned: an unknown raw id is never adopted; a known one loads', async () => {
    // KNOWN_SID and genid's ids are not in the default id format: the app says what its ids look like.
    const rule = { allowUnsigned: true, isValidId: /^[\w-]{1,40}$/ };
    const side = setup('ours', rule);
    const unknown = 'attacker-chosen-raw-id';
    const outcome = await runRequest(side.mw, `connect.sid=${unknown}`);
    assert.deepEqual(side.rec.gets, [unknown]);
    assert.ok(side.genids.has(outcome.sessionID!));
    assert.equal(outcome.cookieId, outcome.sessionID);

    const known = setup('ours', rule);
    const loaded = await runRequest(known.mw, `connect.sid=${KNOWN_SID}`);
    assert.equal(loaded.views, 1);

    const forged = setup('ours', rule);
    const rejected = await runRequest(forged.mw, `connect.sid=${encodeURIComponent(TAMPERED)}`);
    assertSafe(rejected, forged);
    assert.deepEqual(forged.rec.gets, [], 'an s: value with a bad signature is not taken as a raw id');
  });
});

// --- ids that never reach the store ----------------------------------------------

describe('ids that never reach the store', () => {
  /** Raw values a client may send with allowUnsigned: path traversal, control characters, overlong or odd values. */
  const hostileRaw = [
    '..%2Fother-app-config', '../other-app-config', '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', '..%5Cother', 'a%2F..%2Fb', '..',
    'a%00b', '%00', 'tab%09id', 'del%7F', 'x'.repeat(300), 'attacker-chosen', 'a'.repeat(31), 'a'.repeat(33),
    'a'.repeat(31) + '.', 'a'.repeat(31) + '/', 'a'.repeat(31) + '+',
  ];

  test('allowUnsigned: a raw value reaches the store only if it looks like a default id', async () => {
    for (const value of hostileRaw) {
      for (const where of ['cookie', 'token'] as const) {
        const side = setup('ours', { allowUnsigned: true, alternateTokenValue: (req: http.IncomingMessage) => req.headers['x-token'] });
        const outcome = await runRequestWith(side.mw, where === 'cookie' ? { cookie: `connect.sid=${value}` } : { 'x-token': value });
        assertSafe(outcome, side);
        assert.deepEqual(side.rec.gets, [], `${where} ${value.slice(0, 40)}`);
      }
    }
    // 32 characters of base64url, as the default genid makes: asked for.
    const idLike = crypto.randomBytes(24).toString('base64url');
    const side = setup('ours', { allowUnsigned: true });
    await runRequest(side.mw, `connect.sid=${idLike}`);
    assert.deepEqual(side.rec.gets, [idLike]);
  });

  test('signed values: control characters, path segments and overlong ids are refused even with a valid signature', async () => {
    // As with a leaked secret, or a genid that let such an id through.
    for (const id of ['../other-app-config', 'a/../b', '..\\x', '.', '..', './x', 'a\u0000b', 'x\u001fy', 'z\u007f', 'x'.repeat(257)]) {
      const side = setup('ours');
      const outcome = await runRequest(side.mw, `connect.sid=${encodeURIComponent(sign(id))}`);
      assertSafe(outcome, side);
      assert.deepEqual(side.rec.gets, [], JSON.stringify(id.slice(0, 40)));
    }
  });

  test('signed values: custom genid ids with : . / + = and spaces still load, as in express-session', async () => {
    for (const id of ['user:42.abc', 'id with spaces/+and=signs', 'a..b', '/leading/slash', 'base64+/==', 'x'.repeat(256)]) {
      const ours = setup('ours');
      const theirs = setup('theirs');
      const header = `connect.sid=${encodeURIComponent(sign(id))}`;
      await runRequest(ours.mw, header);
      await runRequest(theirs.mw, header);
      assert.deepEqual(ours.rec.gets, [id]);
      assert.deepEqual(ours.rec.gets, theirs.rec.gets);
    }
  });

  test('isValidId: the app\'s rule decides for raw and signed ids, within the fixed limits', async () => {
    const uuid = crypto.randomUUID();
    const uuids = { allowUnsigned: true, isValidId: /^[0-9a-f-]{36}$/g };
    for (let i = 0; i < 2; i++) {
      // A `g` RegExp answers the same every time.
      const side = setup('ours', uuids);
      await runRequest(side.mw, `connect.sid=${uuid}`);
      assert.deepEqual(side.rec.gets, [uuid]);
    }
    const signedOther = setup('ours', uuids);
    await runRequest(signedOther.mw, `connect.sid=${encodeURIComponent(VALID)}`);
    assert.deepEqual(signedOther.rec.gets, [], 'a signed id must pass the rule too');

    const anything = { allowUnsigned: true, isValidId: () => true };
    for (const value of ['..%2Fother-app-config', 'a%00b', 'x'.repeat(300)]) {
      const side = setup('ours', anything);
      await runRequest(side.mw, `connect.sid=${value}`);
      assert.deepEqual(side.rec.gets, [], value.slice(0, 40));
    }
    const allowed = setup('ours', anything);
    await runRequest(allowed.mw, 'connect.sid=any-raw-value');
    assert.deepEqual(allowed.rec.gets, ['any-raw-value']);

    const truthy = setup('ours', { allowUnsigned: true, isValidId: () => 'yes' });
    await runRequest(truthy.mw, 'connect.sid=any-raw-value');
    assert.deepEqual(truthy.rec.gets, [], 'only `true` accepts');
  });

  test('a genid that makes an id that would be refused is an error, not a session lost on every request', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['a path segment', { genid: () => '../sessions-of-another-app' }],
      ['a NUL', { genid: () => 'a\u0000b' }],
      ['overlong', { genid: () => 'x'.repeat(257) }],
      ['async, overlong', { genid: () => Promise.resolve('x'.repeat(257)) }],
      ['not matching isValidId', { genid: () => 'abc', isValidId: /^[0-9a-f-]{36}$/ }],
    ];
    for (const [label, options] of cases) {
      const app = express();
      app.use(session({ secret: SECRET, resave: false, saveUninitialized: true, ...options }));
      app.get('/', (_req, res) => res.send('ok'));
      app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(500).send(`${err.name}: ${err.message}`);
      });
      const res = await request(app).get('/');
      assert.equal(res.status, 500, label);
      assert.match(res.text, /^TypeError: genid returned an id that is refused when read back/, label);
    }
  });
});

// --- prototype pollution -------------------------------------------------------

describe('no prototype pollution from stored sessions', () => {
  const payloadJson = JSON.stringify({
    cookie: { originalMaxAge: null, httpOnly: true, path: '/' },
    views: 1,
    nested: { deep: true },
  })
    // JSON.stringify cannot write a `__proto__` key; splice the hostile keys in as text.
    .replace('"path":"/"', '"path":"/","__proto__":{"polluted":"cookie"},"constructor":{"prototype":{"polluted":"cookie ctor"}}')
    .replace('"views":1', '"__proto__":{"polluted":"data"},"constructor":{"prototype":{"polluted":"data ctor"}},"views":1')
    .replace('"deep":true', '"deep":true,"__proto__":{"polluted":"nested"}');

  function payloadObject(): Record<string, unknown> {
    const own = (target: object, key: string, value: unknown) =>
      Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
    const cookie = { originalMaxAge: null, httpOnly: true, path: '/' };
    own(cookie, '__proto__', { polluted: 'cookie' });
    own(cookie, 'constructor', { prototype: { polluted: 'cookie ctor' } });
    const data: Record<string, unknown> = { cookie, views: 1, nested: { deep: true } };
    own(data, '__proto__', { polluted: 'data' });
    own(data, 'constructor', { prototype: { polluted: 'data ctor' } });
    return data;
  }

  function assertClean(): void {
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
    assert.equal((Object as unknown as Record<string, unknown>).polluted, undefined);
  }

  const stores: { name: string; make: () => session.SessionStore }[] = [
    {
      name: 'a store that JSON.parses what it kept',
      make: () => {
        const data = new Map<string, string>([[KNOWN_SID, payloadJson]]);
        return {
          get: (sid: string, cb: Callback) => setImmediate(cb, null, data.has(sid) ? JSON.parse(data.get(sid)!) : undefined),
          set: (sid: string, sess: unknown, cb: Callback) => {
            data.set(sid, JSON.stringify(sess));
            setImmediate(cb);
          },
          destroy: (_sid: string, cb: Callback) => setImmediate(cb),
        } as unknown as session.SessionStore;
      },
    },
    {
      name: 'a store that hands out objects with own __proto__ keys',
      make: () => {
        let stored: Record<string, unknown> | undefined = payloadObject();
        return {
          get: (_sid: string, cb: Callback) => setImmediate(cb, null, stored),
          set: (_sid: string, sess: Record<string, unknown>, cb: Callback) => {
            stored = { ...payloadObject(), ...JSON.parse(JSON.stringify(sess)) };
            setImmediate(cb);
          },
          destroy: (_sid: string, cb: Callback) => {
            stored = undefined;
            setImmediate(cb);
          },
        } as unknown as session.SessionStore;
      },
    },
    {
      name: 'MemoryStore given the payload through store.sessions',
      make: () => {
        const store = new session.MemoryStore();
        store.sessions[KNOWN_SID] = payloadJson;
        return store;
      },
    },
  ];

  for (const { name, make } of stores) {
    test(name, async () => {
      const store = make();
      const seen: { sessionProto: boolean; cookieProto: boolean; polluted: unknown; cookiePolluted: unknown }[] = [];
      const app = express();
      app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, store }));
      app.get('/', (req, res) => {
        const sess = req.session as unknown as Record<string, unknown> & session.Session;
        seen.push({
          sessionProto: Object.getPrototypeOf(sess) === session.Session.prototype,
          cookieProto: Object.getPrototypeOf(sess.cookie) === session.Cookie.prototype,
          polluted: sess.polluted,
          cookiePolluted: (sess.cookie as unknown as Record<string, unknown>).polluted,
        });
        assertClean();
        sess.views = Number(sess.views) + 1;
        (sess.nested as Record<string, unknown>).touched = true;
        res.send(String(sess.views));
      });
      const agent = request.agent(app);
      const cookie = `connect.sid=${encodeURIComponent(VALID)}`;
      const first = await agent.get('/').set('Cookie', cookie);
      assertClean();
      const second = await agent.get('/').set('Cookie', cookie);
      assertClean();
      assert.equal(first.text, '2');
      assert.equal(second.text, '3', 'the modified session was saved and loaded again');
      assert.equal(seen.length, 2);
      for (const s of seen) {
        assert.deepEqual(s, { sessionProto: true, cookieProto: true, polluted: undefined, cookiePolluted: undefined });
      }
    });
  }
});

// --- cookie attributes from request input --------------------------------------

describe('cookie attributes taken from the request', () => {
  /**
   * An app whose `cookie` function takes its options from a request header
   * (JSON), as a multi-tenant app takes `domain` from a tenant header.
   */
  function tenantApp() {
    const app = express();
    app.use(session({
      secret: SECRET, resave: false, saveUninitialized: true,
      cookie: (req) => JSON.parse(String(req.headers['x-cookie'] ?? '{}')) as session.CookieOptions,
    }));
    app.get('/', (_req, res) => res.send('ok'));
    return app;
  }

  /** The Set-Cookie line the response carries, and the one `cookie.serialize` makes for the same value and options. */
  async function sendAndExpect(app: express.Express, options: Record<string, unknown> | undefined): Promise<[string, string]> {
    const req = request(app).get('/');
    if (options !== undefined) req.set('x-cookie', JSON.stringify(options));
    const res = await req;
    const line = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0];
    assert.ok(line, `a cookie for ${JSON.stringify(options)}`);
    const value = decodeURIComponent(line.slice('connect.sid='.length, line.indexOf(';')));
    return [line, serializeCookie('connect.sid', value, { path: '/', httpOnly: true, ...options })];
  }

  test('values that print alike are different attributes: undefined / "undefined", null / "null", false / "false"', async () => {
    const app = tenantApp();
    const sequence: (Record<string, unknown> | undefined)[] = [
      { domain: 'undefined' }, undefined, {},
      { domain: 'null' }, { domain: null },
      { partitioned: 'false' }, { partitioned: false }, { partitioned: 'true' }, { partitioned: true },
      { path: '/', domain: 'undefined' }, { path: '/' },
    ];
    for (const options of sequence) {
      const [line, expected] = await sendAndExpect(app, options);
      assert.equal(line, expected, JSON.stringify(options));
    }
  });

  test('a flood of distinct domains changes nothing for the requests that follow', async () => {
    const app = tenantApp();
    for (let i = 0; i < 100; i++) {
      const [line, expected] = await sendAndExpect(app, { domain: `t${i}.example` });
      assert.equal(line, expected);
      if (i % 10 === 9) {
        for (const options of [undefined, { domain: 'undefined' }, undefined, { domain: 'shop.example' }]) {
          const [plain, plainExpected] = await sendAndExpect(app, options);
          assert.equal(plain, plainExpected, `after ${i + 1} distinct domains: ${JSON.stringify(options)}`);
        }
      }
    }
  });
});
