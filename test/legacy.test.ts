// Differential tests against express-session for the legacy paths (docs/compatibility.md §2, §4):
// the `key` option, cookie-parser's req.signedCookies / req.cookies fallbacks with their
// deprecation messages, and req.secret when no secret option is given. Each scenario runs
// the same requests through both middlewares and compares status, body, Set-Cookie (ids
// normalised: both use random ids) and which requests resume the same session.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import cookieParser from 'cookie-parser';
import signature = require('cookie-signature');
import session = require('../src/index.js');

type Factory = (options: Record<string, unknown>) => express.RequestHandler;

const ours = session as unknown as Factory;
const oracle = require('express-session') as Factory;

const SECRET = 'keyboard cat';

// depd emits 'deprecation' events instead of writing to stderr when there is a listener.
// It warns once per call site and process, so each deprecation is checked by the first
// test that reaches it.
const deprecations: string[] = [];
process.on('deprecation', (err: Error & { namespace?: string }) => {
  deprecations.push(`${err.namespace}: ${err.message}`);
});

/** How a step sends the session cookie, built from the last cookie the app set. */
type Send =
  | 'none'
  | 'last' // as the browser would
  | 'unsigned' // the raw id
  | { resignedWith: string } // the same id signed with another secret
  | { as: string }; // the last value under another cookie name

interface Step {
  send: Send;
  path?: string;
}

interface Observation {
  status: number;
  body: unknown;
  setCookie: string[];
  resumed: boolean;
}

interface Scenario {
  /** Builds the app around the given session middleware factory. */
  app(create: Factory): express.Express;
  /** Cookie name the app uses. */
  name: string;
  /** Secrets that verify the cookies it sets (to normalise them). */
  secrets: string[];
  steps: Step[];
}

interface Run {
  observations: Observation[];
  deprecations: string[];
}

function setCookieLines(res: request.Response): string[] {
  const header = res.headers['set-cookie'] as unknown;
  if (header == null) return [];
  return Array.isArray(header) ? header.map(String) : [String(header)];
}

async function run(scenario: Scenario, create: Factory): Promise<Run> {
  const before = deprecations.length;
  const app = scenario.app(create);
  const ids = new Map<string, string>();
  const label = (id: string) => {
    if (!ids.has(id)) ids.set(id, `<sid#${ids.size + 1}>`);
    return ids.get(id)!;
  };
  let lastId: string | undefined;
  let lastValue: string | undefined;
  const observations: Observation[] = [];

  for (const step of scenario.steps) {
    let req = request(app).get(step.path ?? '/');
    const { send } = step;
    if (send !== 'none') {
      assert.ok(lastId !== undefined && lastValue !== undefined, 'a step sends a cookie before any was set');
      if (send === 'last') req = req.set('Cookie', `${scenario.name}=${lastValue}`);
      else if (send === 'unsigned') req = req.set('Cookie', `${scenario.name}=${lastId}`);
      else if ('resignedWith' in send) {
        req = req.set('Cookie', `${scenario.name}=${encodeURIComponent('s:' + signature.sign(lastId, send.resignedWith))}`);
      } else req = req.set('Cookie', `${send.as}=${lastValue}`);
    }
    const res = await req;

    const setCookie = setCookieLines(res).map((line) => {
      const [pair, ...attributes] = line.split('; ');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const decoded = decodeURIComponent(value);
      let id: string | false = false;
      if (decoded.startsWith('s:')) {
        for (const secret of scenario.secrets) {
          id = id || signature.unsign(decoded.slice(2), secret);
        }
      }
      if (name === scenario.name && id !== false) {
        lastId = id;
        lastValue = value;
      }
      return [`${name}=${id === false ? '<unverified:' + value + '>' : 's:' + label(id) + '.<signature ok>'}`, ...attributes].join('; ');
    });

    let body: unknown = res.text;
    let resumed = false;
    if (res.type === 'application/json') {
      const json = res.body as { id: string; views: number };
      body = { id: label(json.id), views: json.views };
      resumed = json.views > 1;
    }
    observations.push({ status: res.status, body, setCookie, resumed });
  }
  return { observations, deprecations: deprecations.slice(before) };
}

/** The counter app: `views` counts the requests of one session; errors answer 500 with their message. */
function counterApp(create: Factory, options: Record<string, unknown>, ...before: express.RequestHandler[]) {
  const app = express();
  for (const handler of before) app.use(handler);
  app.use(create({ resave: false, saveUninitialized: false, ...options }));
  app.get('/', (req, res) => {
    const data = req.session as unknown as { views?: number };
    data.views = (data.views ?? 0) + 1;
    res.json({ id: req.sessionID, views: data.views });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).type('text').send('error: ' + (err instanceof Error ? err.message : String(err)));
  });
  return app;
}

/** Old apps that read cookies only through cookie-parser: the session must use its objects. */
function dropCookieHeader(req: Request, _res: Response, next: NextFunction): void {
  delete req.headers.cookie;
  next();
}

/** Runs `scenario` on both, asserts they agree, and returns our run. */
async function compare(scenario: Scenario): Promise<Run> {
  const mine = await run(scenario, ours);
  const theirs = await run(scenario, oracle);
  assert.deepEqual(mine.observations, theirs.observations);
  assert.deepEqual(mine.deprecations, theirs.deprecations);
  return mine;
}

const resumedFlags = (r: Run) => r.observations.map((o) => o.resumed);

describe('the key option (legacy alias of name)', () => {
  test('names the cookie, and only that cookie resumes the session', async () => {
    const result = await compare({
      app: (create) => counterApp(create, { key: 'legacy.sid', secret: SECRET }),
      name: 'legacy.sid',
      secrets: [SECRET],
      steps: [
        { send: 'none' },
        { send: 'last' },
        { send: 'last' },
        { send: { as: 'connect.sid' } },
        { send: { resignedWith: 'not the secret' } },
        { send: 'unsigned' },
      ],
    });
    assert.deepEqual(resumedFlags(result), [false, true, true, false, false, false]);
    assert.match(result.observations[0].setCookie[0], /^legacy\.sid=s:<sid#1>\.<signature ok>; Path=\/; HttpOnly$/);
  });

  test('name wins over key', async () => {
    const result = await compare({
      app: (create) => counterApp(create, { name: 'modern.sid', key: 'legacy.sid', secret: SECRET }),
      name: 'modern.sid',
      secrets: [SECRET],
      steps: [{ send: 'none' }, { send: 'last' }, { send: { as: 'legacy.sid' } }],
    });
    assert.deepEqual(resumedFlags(result), [false, true, false]);
    assert.match(result.observations[0].setCookie[0], /^modern\.sid=/);
  });
});

describe('cookie-parser before the middleware', () => {
  const message = 'express-session: cookie should be available in req.headers.cookie';

  // First test to reach the req.signedCookies fallback: its deprecation is checked here.
  test('req.signedCookies (cookie-parser with the same secret): resumes, with the deprecation', async () => {
    const result = await compare({
      app: (create) => counterApp(create, { secret: SECRET }, cookieParser(SECRET), dropCookieHeader),
      name: 'connect.sid',
      secrets: [SECRET],
      steps: [
        { send: 'none' },
        { send: 'last' },
        { send: 'last' },
        { send: { resignedWith: 'not the secret' } },
        { send: 'unsigned' },
      ],
    });
    assert.deepEqual(resumedFlags(result), [false, true, true, false, false]);
    assert.deepEqual(result.deprecations, [message]);
  });

  // First test to reach the req.cookies fallback (a different call site: its own warning).
  test('req.cookies (cookie-parser without a secret): the s: value is verified, with the deprecation', async () => {
    const result = await compare({
      app: (create) => counterApp(create, { secret: SECRET }, cookieParser(), dropCookieHeader),
      name: 'connect.sid',
      secrets: [SECRET],
      steps: [
        { send: 'none' },
        { send: 'last' },
        { send: { resignedWith: 'not the secret' } },
        { send: 'unsigned' },
        { send: 'last' },
      ],
    });
    assert.deepEqual(resumedFlags(result), [false, true, false, false, true]);
    assert.deepEqual(result.deprecations, [message]);
  });

  test('req.cookies with secret rotation: every secret of the option is tried', async () => {
    const result = await compare({
      app: (create) => counterApp(create, { secret: ['new', SECRET] }, cookieParser(), dropCookieHeader),
      name: 'connect.sid',
      secrets: ['new', SECRET],
      steps: [{ send: 'none' }, { send: { resignedWith: SECRET } }, { send: { resignedWith: 'new' } }, { send: { resignedWith: 'gone' } }],
    });
    assert.deepEqual(resumedFlags(result), [false, true, true, false]);
  });

  test('cookie-parser with another secret: its false in req.signedCookies means no session', async () => {
    const result = await compare({
      app: (create) => counterApp(create, { secret: SECRET }, cookieParser('other secret'), dropCookieHeader),
      name: 'connect.sid',
      secrets: [SECRET],
      steps: [{ send: 'none' }, { send: 'last' }, { send: 'last' }],
    });
    assert.deepEqual(resumedFlags(result), [false, false, false]);
  });

  test('with the Cookie header still there, it is read first (cookie-parser changes nothing)', async () => {
    for (const parser of [cookieParser(SECRET), cookieParser(), cookieParser('other secret')]) {
      const result = await compare({
        app: (create) => counterApp(create, { secret: SECRET }, parser),
        name: 'connect.sid',
        secrets: [SECRET],
        steps: [{ send: 'none' }, { send: 'last' }, { send: { resignedWith: 'not the secret' } }, { send: 'last' }],
      });
      assert.deepEqual(resumedFlags(result), [false, true, false, true]);
    }
  });
});

describe('req.secret when no secret option is given', () => {
  // First session() without a secret in this file: the construction deprecation is checked here.
  test('cookie-parser(secret) supplies the secret; construction warns', async () => {
    const result = await compare({
      app: (create) => counterApp(create, {}, cookieParser(SECRET)),
      name: 'connect.sid',
      secrets: [SECRET],
      steps: [
        { send: 'none' },
        { send: 'last' },
        { send: 'last' },
        { send: { resignedWith: 'not the secret' } },
        { send: 'unsigned' },
      ],
    });
    assert.deepEqual(resumedFlags(result), [false, true, true, false, false]);
    assert.deepEqual(result.deprecations, ['express-session: req.secret; provide secret option']);
  });

  // req.secret is cookie-parser's first secret only, so the header check fails for a cookie
  // signed with its second; cookie-parser itself tries both, so the signedCookies fallback resumes it.
  test('cookie-parser with two secrets: the second one resumes only through req.signedCookies', async () => {
    const result = await compare({
      app: (create) => counterApp(create, {}, cookieParser(['first', 'second'])),
      name: 'connect.sid',
      secrets: ['first'],
      steps: [
        { send: 'none' },
        { send: { resignedWith: 'first' } },
        { send: { resignedWith: 'second' } },
        { send: { resignedWith: 'third' } },
      ],
    });
    assert.deepEqual(resumedFlags(result), [false, true, true, false]);
  });

  test('req.secret with the req.signedCookies fallback', async () => {
    const result = await compare({
      app: (create) => counterApp(create, {}, cookieParser(SECRET), dropCookieHeader),
      name: 'connect.sid',
      secrets: [SECRET],
      steps: [{ send: 'none' }, { send: 'last' }, { send: { resignedWith: 'not the secret' } }],
    });
    assert.deepEqual(resumedFlags(result), [false, true, false]);
  });

  test('neither a secret option nor req.secret: next(err) with the same message', async () => {
    const result = await compare({
      app: (create) => counterApp(create, {}),
      name: 'connect.sid',
      secrets: [SECRET],
      steps: [{ send: 'none' }],
    });
    assert.deepEqual(result.observations, [
      { status: 500, body: 'error: secret option required for sessions', setCookie: [], resumed: false },
    ]);
  });
});
