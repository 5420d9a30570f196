/**
 * docs/compatibility.md §2 (secret) and §3–§4: signing, rotation, tampering, unsigned
 * values, req.secret from cookie-parser, a missing secret, cookie-parser's
 * req.signedCookies / req.cookies fallbacks, and a session set by earlier middleware.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import cookieParser from 'cookie-parser';
import cookieSignature from 'cookie-signature';
import { scenario, setValue, signedCookie, type Observation } from './harness.js';

const methods = (o: Observation): string[] => o.storeCalls.map((call) => call[0]);

describe('differential: secrets', () => {
  scenario({
    name: 'secret array: the first signs',
    options: { secret: ['new', 'old'] },
    steps: [{ do: setValue('a', 1) }, {}],
    check: ({ theirs }) => assert.match(theirs[0]!.setCookie![0]!, /<sig 0>/),
  });
  scenario({
    name: 'secret rotation: a cookie signed with the old secret is accepted',
    options: { secret: ['new', 'old'], rolling: true },
    steps: [
      { do: setValue('a', 1) },
      { cookie: (ctx) => signedCookie('connect.sid', ctx.lastId!, 'old') },
    ],
    check: ({ theirs }) => {
      assert.deepEqual(methods(theirs[1]!), ['get', 'touch']);
      assert.match(theirs[1]!.body, /"a":1/);
      assert.match(theirs[1]!.setCookie![0]!, /<sig 0>/); // re-signed with the new secret
    },
  });
  scenario({
    name: 'a tampered signature: new session, no store.get',
    steps: [
      { do: setValue('a', 1) },
      { cookie: (ctx) => signedCookie('connect.sid', ctx.lastId!, 'not the secret') },
    ],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[1]!), []),
  });
  scenario({
    name: 'a truncated signed value is ignored',
    steps: [{ do: setValue('a', 1) }, { cookie: (ctx) => `connect.sid=s%3A${ctx.lastId!}` }],
  });
  scenario({
    name: 'an unsigned cookie value is ignored',
    steps: [{ do: setValue('a', 1) }, { cookie: (ctx) => `connect.sid=${ctx.lastId!}` }],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[1]!), []),
  });
  scenario({
    name: 'a malformed Cookie header is survived',
    steps: [{ cookie: 'connect.sid=%E0%A4%A; other' }, { cookie: '=;;connect.sid' }],
  });
  scenario({
    name: 'two session cookies in one header: the first one counts',
    steps: [
      { do: setValue('a', 1) },
      { cookie: (ctx) => `${signedCookie('connect.sid', ctx.lastId!, 'keyboard cat')}; connect.sid=s%3Aother.sig` },
      { cookie: (ctx) => `connect.sid=s%3Aother.sig; ${signedCookie('connect.sid', ctx.lastId!, 'keyboard cat')}` },
    ],
  });
  scenario({
    name: 'a quoted cookie value and spaces around it',
    steps: [
      { do: setValue('a', 1) },
      { cookie: (ctx) => `connect.sid="${signedCookie('connect.sid', ctx.lastId!, 'keyboard cat').slice('connect.sid='.length)}"` },
      { cookie: (ctx) => `  other=1 ;  ${signedCookie('connect.sid', ctx.lastId!, 'keyboard cat')}  ` },
    ],
  });
  scenario({
    name: 'a Buffer secret',
    options: { secret: Buffer.from('buffer secret') },
    secrets: [],
    steps: [{ do: setValue('a', 1) }, {}],
  });
  scenario({
    name: 'no secret: req.secret from cookie-parser is used',
    options: { secret: undefined },
    secrets: ['parser secret'],
    setup: (app) => app.use(cookieParser('parser secret')),
    steps: [{ do: setValue('a', 1) }, {}],
    check: ({ theirs }) => {
      assert.match(theirs[0]!.setCookie![0]!, /<sig 0>/);
      assert.deepEqual(methods(theirs[1]!), ['get', 'touch']);
    },
  });
  scenario({
    name: "no secret at all: 'secret option required for sessions'",
    options: { secret: undefined },
    steps: [{}],
    check: ({ theirs }) => assert.equal(theirs[0]!.body, 'error: secret option required for sessions'),
  });
  scenario({
    name: 'no secret, outside the cookie path: no error (the path check comes first)',
    options: { secret: undefined, cookie: { path: '/app' } },
    steps: [{ path: '/other', do: (req, res) => res.send(String(req.session)) }],
  });
});

describe('differential: cookie-parser fallbacks', () => {
  scenario({
    name: 'req.signedCookies is read when the header has no session cookie',
    setup: (app, ctx) => app.use((req, _res, next) => {
      if (ctx.bag.id) (req as unknown as { signedCookies: Record<string, unknown> }).signedCookies = { 'connect.sid': ctx.bag.id };
      next();
    }),
    steps: [
      { do: (req, res, _next, ctx) => { (req.session as unknown as Record<string, unknown>).a = 1; ctx.bag.id = req.sessionID; res.send('ok'); } },
      { cookie: 'other=1' },
    ],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[1]!), ['get', 'touch']),
  });
  scenario({
    name: 'req.cookies is read (signed value) when the header has none',
    setup: (app, ctx) => app.use((req, _res, next) => {
      if (ctx.bag.value) (req as unknown as { cookies: Record<string, unknown> }).cookies = { 'connect.sid': ctx.bag.value };
      next();
    }),
    steps: [
      { do: setValue('a', 1) },
      { cookie: 'other=1', before: (ctx) => { ctx.bag.value = `s:${cookieSignature.sign(ctx.lastId!, 'keyboard cat')}`; } },
      { cookie: 'other=1', before: (ctx) => { ctx.bag.value = ctx.lastId; } }, // unsigned: ignored
    ],
    check: ({ theirs }) => {
      assert.deepEqual(methods(theirs[1]!), ['get', 'touch']);
      assert.deepEqual(methods(theirs[2]!), []);
    },
  });
  scenario({
    name: 'a valid header cookie wins over req.signedCookies',
    setup: (app) => app.use((req, _res, next) => {
      (req as unknown as { signedCookies: Record<string, unknown> }).signedCookies = { 'connect.sid': 'planted' };
      next();
    }),
    steps: [{ do: setValue('a', 1) }, {}],
  });
});

describe('differential: req.session set by earlier middleware', () => {
  scenario({
    name: 'the middleware leaves an existing req.session untouched',
    setup: (app) => app.use((req, _res, next) => {
      (req as unknown as { session: unknown }).session = { custom: true };
      next();
    }),
    steps: [{ do: (req, res) => res.send(JSON.stringify(req.session) + String(req.sessionID)) }],
    check: ({ theirs }) => {
      assert.equal(theirs[0]!.body, '{"custom":true}undefined');
      assert.deepEqual(methods(theirs[0]!), []);
    },
  });
});
