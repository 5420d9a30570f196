/**
 * docs/compatibility.md §5 and §6: how the Set-Cookie header is written (appended to
 * the app's own cookies, however they were set), serialize errors, and how
 * the response ends (redirects, empty bodies, Content-Length, HEAD, streaming).
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { SessionOptions } from '../../src/index.js';
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
   * Both: the response goes out without the session cookie and the error reaches
   * the error handler after it (a late next(err)). INTENDED DIFFERENCE 2: cookie@1
   * appends the bad value to the message.
   */
  function badOption(label: string, cookie: SessionOptions['cookie'], theirMessage: string): void {
    scenario({
      name: label,
      options: { cookie },
      steps: [{
        do: setValue('a', 1),
        compare: (ours, theirs) => {
          assert.deepEqual({ ...ours, lateErrors: [] }, { ...theirs, lateErrors: [] });
          assert.deepEqual(theirs.lateErrors, [theirMessage]);
          assert.equal(ours.lateErrors.length, 1);
          assert.ok(ours.lateErrors[0]!.startsWith(theirMessage), ours.lateErrors[0]);
        },
      }],
      check: ({ theirs }) => {
        assert.equal(theirs[0]!.status, 200);
        assert.equal(theirs[0]!.setCookie, undefined);
        assert.deepEqual(methods(theirs[0]!), ['set']);
      },
    });
  }
  badOption("sameSite 'bogus'", { sameSite: 'bogus' as 'lax' }, 'option sameSite is invalid');
  badOption("priority 'bogus'", { priority: 'bogus' as 'low' }, 'option priority is invalid');
  badOption('an invalid domain', { domain: 'exa mple.com' }, 'option domain is invalid');
  badOption('an invalid expires', { expires: new Date(NaN) }, 'option expires is invalid');
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
