/**
 * docs/compatibility.md §5 and §6: how the Set-Cookie header is written (appended to
 * the app's own cookies, however they were set), serialize errors, and how
 * the response ends (redirects, empty bodies, Content-Length, HEAD, streaming).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import ours = require('../../src/index.js');
import type { CookieOptions, SessionOptions } from '../../src/index.js';
import { scenario, sess, setValue, type Observation, type Step } from './harness.js';

const methods = (o: Observation): string[] => o.storeCalls.map((call) => call[0]);

describe('differential: an existing Set-Cookie header is kept', () => {
  const cases: Record<string, NonNullable<Step['do']>> = {
    'a string via setHeader': (req, res) => {
      sess(req).a = 1;
      res.setHeader('Set-Cookie', 'theme=dark; Path=/');
      res.send('ok');
    },
    'an array via setHeader': (req, res) => {
      sess(req).a = 1;
      res.setHeader('Set-Cookie', ['theme=dark', 'lang=en']);
      res.send('ok');
    },
    'res.cookie() (Express)': (req, res) => {
      sess(req).a = 1;
      res.cookie('theme', 'dark', { httpOnly: true });
      res.send('ok');
    },
    'a string passed to writeHead': (req, res) => {
      sess(req).a = 1;
      res.writeHead(201, { 'Set-Cookie': 'theme=dark', 'Content-Type': 'text/plain' });
      res.end('created');
    },
    'an array passed to writeHead': (req, res) => {
      sess(req).a = 1;
      res.writeHead(200, { 'Set-Cookie': ['a=1', 'b=2'] });
      res.end();
    },
  };
  for (const [label, handler] of Object.entries(cases)) {
    scenario({
      name: label,
      steps: [{ do: handler }],
      check: ({ theirs }) => {
        assert.ok(theirs[0]!.setCookie!.length >= 2);
        assert.match(theirs[0]!.setCookie!.at(-1)!, /^connect\.sid=/);
      },
    });
  }
});

describe('differential: a cookie option that fails at serialize time', () => {
  /**
   * express-session: the response goes out without the session cookie and the
   * error reaches the error handler after it (a late next(err)), on every request.
   * CHANGED ON PURPOSE (HISTORY.md): ours throws a TypeError from session(); the
   * same value returned by a `cookie` function fails that request before its
   * response, with the option's name in the message (intended difference 2:
   * cookie@1's own message would append the bad value).
   */
  function badOption(label: string, cookie: SessionOptions['cookie'], theirMessage: string, ourMessage: string): void {
    test(`${label}: a TypeError from session()`, () => {
      assert.throws(() => ours({ secret: 's', resave: false, saveUninitialized: false, cookie }), { name: 'TypeError', message: ourMessage });
    });
    scenario({
      name: `${label}, returned by a cookie function`,
      options: { cookie: () => cookie as CookieOptions },
      steps: [{
        do: setValue('a', 1),
        compare: (mine, theirs) => {
          assert.equal(theirs.status, 200);
          assert.equal(theirs.setCookie, undefined);
          assert.deepEqual(theirs.lateErrors, [theirMessage]);
          assert.deepEqual(methods(theirs), ['set']);
          // Ours: the request fails before the app runs; nothing half-done, nothing stored.
          assert.equal(mine.status, 500);
          assert.equal(mine.body, `error: ${ourMessage.replace(' option is invalid', ' returned by the cookie option function is invalid')}`);
          assert.equal(mine.setCookie, undefined);
          assert.deepEqual(mine.lateErrors, []);
          assert.deepEqual(methods(mine), []);
        },
      }],
    });
  }
  badOption("sameSite 'bogus'", { sameSite: 'bogus' as 'lax' }, 'option sameSite is invalid',
    "cookie.sameSite option is invalid: 'bogus' (a string); use 'lax', 'strict', 'none', 'auto', true or false");
  badOption("priority 'bogus'", { priority: 'bogus' as 'low' }, 'option priority is invalid',
    "cookie.priority option is invalid: 'bogus' (a string); use 'low', 'medium' or 'high'");
  badOption('an invalid domain', { domain: 'exa mple.com' }, 'option domain is invalid',
    "cookie.domain option is invalid: 'exa mple.com' (a string); use a host name, e.g. domain: 'example.com', or leave it out for a host-only cookie");
  badOption('an invalid expires', { expires: new Date(NaN) }, 'option expires is invalid',
    'cookie.expires option is invalid: Invalid Date (a Date); use a valid Date, or maxAge (milliseconds) instead');
});

describe('differential: how the response ends', () => {
  scenario({
    name: 'a redirect after modifying the session',
    steps: [{ method: 'post', do: (req, res) => { sess(req).a = 1; res.redirect('/done'); } }],
    check: ({ theirs }) => assert.equal(theirs[0]!.status, 302),
  });
  scenario({
    name: 'res.end() with no body',
    steps: [{ do: (req, res) => { sess(req).a = 1; res.end(); } }, { do: (_req, res) => { res.statusCode = 204; res.end(); } }],
  });
  scenario({
    name: 'a body with Content-Length (express-session holds back the last byte)',
    steps: [{ do: (req, res) => { sess(req).a = 1; res.setHeader('Content-Length', '5'); res.end('hello'); } }],
    check: ({ theirs }) => assert.equal(theirs[0]!.body, 'hello'),
  });
  scenario({
    name: 'a Buffer body and an encoding argument',
    steps: [
      { do: (req, res) => { sess(req).a = 1; res.end(Buffer.from('bytes')); } },
      { do: (req, res) => { sess(req).a = 2; res.end('68656c6c6f', 'hex'); } },
    ],
  });
  scenario({
    name: 'a HEAD request',
    options: { saveUninitialized: true },
    steps: [{ method: 'head', do: (req, res) => res.send(describe_(req)) }, { method: 'head' }],
  });
  scenario({
    name: 'res.write() only, then res.end() with no chunk',
    steps: [{ do: (req, res) => { sess(req).a = 1; res.write('streamed'); res.end(); } }],
  });
  // Intended difference: express-session's second end() returns false and does
  // nothing; ours is Node's ended response's, which emits 'error'
  // (ERR_STREAM_WRITE_AFTER_END; here passed on to next). The rest is the same.
  scenario({
    name: 'res.end() called twice [intended difference: as Node\'s ended response]',
    steps: [{
      do: (req, res, next) => {
        sess(req).a = 1;
        res.on('error', next);
        res.end('once');
        res.end('twice');
      },
      compare: (ours, theirs) => {
        assert.deepEqual(theirs.lateErrors, []);
        assert.deepEqual(ours.lateErrors, ['write after end']);
        assert.deepEqual({ ...ours, lateErrors: [] }, theirs);
      },
    }, {}],
  });
  scenario({
    name: 'a 404 from Express (no route answered) still commits the session',
    options: { saveUninitialized: true },
    steps: [{ do: (_req, _res, next) => next() }],
    check: ({ theirs }) => {
      assert.equal(theirs[0]!.status, 404);
      assert.deepEqual(methods(theirs[0]!), ['set']);
    },
  });
});

function describe_(req: import('express').Request): string {
  return String(Boolean(req.session));
}
