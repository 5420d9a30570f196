/**
 * docs/compatibility.md §2, §3 and §5: the cookie options, the path check, secure and
 * sameSite 'auto' with proxy / trust proxy, and the cookie option as a function.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { SessionOptions } from '../../src/index.js';
import { runScenario, scenario, setValue, type Observation, type Step } from './harness.js';

const methods = (o: Observation): string[] => o.storeCalls.map((call) => call[0]);
const attributes = (o: Observation): string => o.setCookie?.[0]?.replace(/^[^;]*;?\s*/, '') ?? '(no cookie)';
/** The `cookie` the store was given by the last set call of a step. */
const storedCookie = (o: Observation): Record<string, unknown> => {
  const set = o.storeCalls.filter((call) => call[0] === 'set').pop();
  assert.ok(set, 'a set call');
  return (JSON.parse(set[2]) as { cookie: Record<string, unknown> }).cookie;
};

/** Creates a session, then loads it (and re-sends the cookie when it has an expiry). */
const createAndLoad: Step[] = [{ do: setValue('a', 1) }, {}, { do: setValue('a', 2) }];

function cookieScenario(name: string, cookie: SessionOptions['cookie'], check?: (theirs: Observation[]) => void): void {
  scenario({ name, options: { cookie }, steps: createAndLoad, check: check && (({ theirs }) => check(theirs)) });
}

describe('differential: cookie attributes', () => {
  cookieScenario('default cookie: Path=/; HttpOnly', undefined, (t) => assert.equal(attributes(t[0]!), 'Path=/; HttpOnly'));
  cookieScenario('domain', { domain: 'example.com' }, (t) => assert.match(attributes(t[0]!), /^Domain=example\.com; /));
  cookieScenario('domain with a leading dot', { domain: '.example.com' });
  cookieScenario('httpOnly false', { httpOnly: false }, (t) => assert.doesNotMatch(attributes(t[0]!), /HttpOnly/));
  cookieScenario('maxAge', { maxAge: 3_600_000 }, (t) => assert.match(attributes(t[0]!), /Expires=/));
  cookieScenario('maxAge null', { maxAge: null });
  cookieScenario('maxAge 0 (expires now)', { maxAge: 0 });
  cookieScenario('expires (absolute)', { expires: new Date(Date.UTC(2030, 5, 1)) }, (t) =>
    assert.match(attributes(t[0]!), /Expires=Sat, 01 Jun 2030/));
  cookieScenario('expires then maxAge: maxAge wins', { expires: new Date(Date.UTC(2030, 5, 1)), maxAge: 60_000 });
  cookieScenario('maxAge then expires: expires wins', { maxAge: 60_000, expires: new Date(Date.UTC(2030, 5, 1)) });
  cookieScenario('partitioned', { partitioned: true, secure: false }, (t) => assert.match(attributes(t[0]!), /Partitioned/));
  for (const priority of ['low', 'medium', 'high'] as const) {
    cookieScenario(`priority ${priority}`, { priority }, (t) => assert.match(attributes(t[0]!), /Priority=/));
  }
  for (const sameSite of ['lax', 'strict', 'none', true, false] as const) {
    cookieScenario(`sameSite ${String(sameSite)}`, { sameSite });
  }
  cookieScenario('every attribute at once (attribute order)', {
    domain: 'example.com', path: '/', maxAge: 60_000, httpOnly: true, partitioned: true, priority: 'high', sameSite: 'strict',
  }, (t) => assert.match(attributes(t[0]!), /^Domain=.*; Path=.*; Expires=.*; HttpOnly; Partitioned; Priority=High; SameSite=Strict$/));
  cookieScenario('an unknown cookie key is stored, not sent', { maxAge: 60_000, ...{ colour: 'red' } });
});

describe('differential: cookie path scoping', () => {
  scenario({
    name: 'a request outside the cookie path gets no session',
    options: { cookie: { path: '/admin' } },
    steps: [
      { path: '/public', do: setValue('a', 1) },
      { path: '/admin/page', do: setValue('a', 1) },
      { path: '/admin/page' },
      { path: '/administrator' }, // a plain string prefix: matches [quirk]
      { path: '/Admin' },
    ],
    check: ({ theirs }) => {
      assert.match(theirs[0]!.body, /^error: |Cannot set|no session/);
      assert.deepEqual(methods(theirs[0]!), []);
      assert.deepEqual(methods(theirs[1]!), ['set']);
    },
  });
  scenario({
    name: 'the path check uses originalUrl (mounted routers) and ignores the query',
    options: { cookie: { path: '/app' } },
    setup: (app) => {
      app.use('/app', (req, _res, next) => {
        req.headers['x-inner-url'] = req.url;
        next();
      });
    },
    steps: [{ path: '/app/x?q=1', do: setValue('a', 1) }, { path: '/app?x=/y' }],
  });
});

describe('differential: secure', () => {
  scenario({
    name: 'secure true over http: no cookie, but the session is still saved [quirk]',
    options: { cookie: { secure: true } },
    steps: [{ do: setValue('a', 1) }],
    check: ({ theirs }) => {
      assert.equal(theirs[0]!.setCookie, undefined);
      assert.deepEqual(methods(theirs[0]!), ['set']);
    },
  });
  scenario({
    name: 'secure true with X-Forwarded-Proto and proxy true: Secure cookie',
    options: { cookie: { secure: true }, proxy: true },
    steps: [{ headers: { 'X-Forwarded-Proto': 'https' }, do: setValue('a', 1) }],
    check: ({ theirs }) => assert.match(attributes(theirs[0]!), /Secure/),
  });

  // secure 'auto' (and sameSite 'auto') against every proxy setting, trust proxy on/off, and the header.
  for (const proxy of [true, false, undefined]) {
    for (const trustProxy of [true, false]) {
      for (const header of [undefined, 'https', 'HTTPS , http', 'http']) {
        const steps: Step[] = [{ do: setValue('a', 1), headers: header === undefined ? {} : { 'X-Forwarded-Proto': header } }];
        const label = `proxy ${String(proxy)}, trust proxy ${trustProxy}, X-Forwarded-Proto ${String(header)}`;
        scenario({
          name: `secure 'auto' + sameSite 'auto': ${label}`,
          options: { proxy, cookie: { secure: 'auto', sameSite: 'auto' } },
          setup: (app) => app.set('trust proxy', trustProxy),
          steps,
          check: ({ theirs }) => {
            const secure = storedCookie(theirs[0]!).secure === true;
            assert.equal(storedCookie(theirs[0]!).sameSite, secure ? 'none' : 'lax');
            assert.equal(theirs[0]!.setCookie?.[0]?.includes('Secure') ?? false, secure);
          },
        });
      }
    }
  }
  scenario({
    name: "secure 'auto' is resolved for new sessions only: a loaded session keeps the stored value",
    options: { proxy: true, cookie: { secure: 'auto', maxAge: 60_000 } },
    steps: [
      { do: setValue('a', 1) },
      { headers: { 'X-Forwarded-Proto': 'https' }, do: setValue('a', 2) },
    ],
  });
  scenario({
    name: "sameSite 'auto' over http is Lax",
    options: { cookie: { sameSite: 'auto' } },
    steps: createAndLoad,
    check: ({ theirs }) => assert.match(attributes(theirs[0]!), /SameSite=Lax/),
  });
});

describe('differential: cookie as a function of req', () => {
  const countBody: Step['do'] = (req, res, _next, ctx) => {
    (req.session as unknown as Record<string, unknown>).a = 1;
    res.send(`cookie() called ${ctx.cookieCalls} times`);
  };
  scenario({
    name: 'called twice for a new session, once for a loaded one, once outside its path [quirk]',
    options: { cookie: (req) => ({ path: '/', maxAge: req.headers['x-long'] ? 120_000 : 60_000 }) },
    steps: [{ do: countBody }, { do: countBody, headers: { 'x-long': '1' } }, { path: '/x', do: countBody }],
    check: ({ theirs }) => assert.equal(theirs[0]!.body, 'cookie() called 2 times'),
  });
  scenario({
    name: 'a function-valued path scopes the session per request',
    options: { cookie: (req) => ({ path: req.headers['x-scope'] === 'api' ? '/api' : '/' }) },
    steps: [
      { headers: { 'x-scope': 'api' }, path: '/web', do: (req, res) => res.send(String(Boolean(req.session))) },
      { headers: { 'x-scope': 'api' }, path: '/api/v1', do: setValue('a', 1) },
    ],
  });
  // CHANGED ON PURPOSE (HISTORY.md): 'auto' values returned by a cookie function are
  // resolved per request like the static options. express-session 1.19.0 left them as
  // 'auto' [quirk §11]: no cookie over http for secure, a late serialize error for sameSite.
  // Each side is checked against its own behaviour; ours must equal the static option's.
  const resolvedLikeStatic = (staticCookie: SessionOptions['cookie']) => async (ours: Observation): Promise<void> => {
    const reference = await runScenario({ name: 'static reference', options: { cookie: staticCookie }, steps: [{ do: setValue('a', 1) }] });
    assert.deepEqual(ours, reference.theirs[0]);
  };
  scenario({
    name: "secure 'auto' from a cookie function: resolved per request (express-session: no cookie) [changed on purpose]",
    options: { cookie: () => ({ secure: 'auto' }) },
    steps: [{ do: setValue('a', 1), compare: (ours) => void ours }],
    check: async ({ ours, theirs }) => {
      assert.equal(theirs[0]!.setCookie, undefined);
      assert.equal(storedCookie(theirs[0]!).secure, 'auto');
      await resolvedLikeStatic({ secure: 'auto' })(ours[0]!);
    },
  });
  scenario({
    name: "sameSite 'auto' from a cookie function: resolved per request (express-session: late serialize error) [changed on purpose]",
    options: { cookie: () => ({ sameSite: 'auto' }) },
    steps: [{ do: setValue('a', 1), compare: (ours) => void ours }],
    check: async ({ ours, theirs }) => {
      assert.equal(theirs[0]!.setCookie, undefined);
      assert.deepEqual(theirs[0]!.lateErrors, ['option sameSite is invalid']);
      await resolvedLikeStatic({ sameSite: 'auto' })(ours[0]!);
    },
  });
});
