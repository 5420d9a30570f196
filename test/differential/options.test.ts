/**
 * docs/compatibility.md §2, §5 and §6: resave, saveUninitialized, rolling, unset, name/key,
 * genid, and the save / touch / Set-Cookie rules they drive.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { counterGenid, scenario, sess, setValue, signedCookie, type Observation } from './harness.js';

const methods = (o: Observation): string[] => o.storeCalls.map((call) => call[0]);

describe('differential: resave', () => {
  scenario({
    name: 'resave true: an unmodified loaded session is saved again',
    options: { resave: true },
    steps: [{ do: setValue('a', 1) }, {}],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[1]!), ['get', 'set']),
  });
  scenario({
    name: 'resave false: an unmodified loaded session is touched',
    options: { resave: false },
    steps: [{ do: setValue('a', 1) }, {}, { do: setValue('a', 2) }],
    check: ({ theirs }) => {
      assert.deepEqual(methods(theirs[1]!), ['get', 'touch']);
      assert.deepEqual(methods(theirs[2]!), ['get', 'set']);
    },
  });
  scenario({
    name: 'resave undefined (deprecated) means true',
    options: { resave: undefined },
    steps: [{ do: setValue('a', 1) }, {}],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[1]!), ['get', 'set']),
  });
});

describe('differential: saveUninitialized', () => {
  scenario({
    name: 'saveUninitialized true: a new untouched session is saved and gets a cookie',
    options: { saveUninitialized: true },
    steps: [{}, {}],
    check: ({ theirs }) => {
      assert.deepEqual(methods(theirs[0]!), ['set']);
      assert.equal(theirs[0]!.setCookie?.length, 1);
    },
  });
  scenario({
    name: 'saveUninitialized false: a new untouched session is neither saved nor sent',
    options: { saveUninitialized: false },
    steps: [{}, {}],
    check: ({ theirs }) => {
      assert.deepEqual(methods(theirs[0]!), []);
      assert.equal(theirs[0]!.setCookie, undefined);
    },
  });
  scenario({
    name: 'saveUninitialized false: a modified new session is saved and sent',
    options: { saveUninitialized: false },
    steps: [{ do: setValue('user', 'ann') }, {}],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[0]!), ['set']),
  });
  scenario({
    name: 'saveUninitialized undefined (deprecated) means true',
    options: { saveUninitialized: undefined },
    steps: [{}],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[0]!), ['set']),
  });
  scenario({
    name: 'saveUninitialized false + explicit save() of an untouched new session',
    options: { saveUninitialized: false },
    steps: [{ do: (req, res, next) => sess(req).save((err) => (err ? next(err) : res.send('saved'))) }, {}],
  });
});

describe('differential: rolling', () => {
  scenario({
    name: 'rolling true without maxAge: the cookie is re-sent on every response',
    options: { rolling: true },
    steps: [{ do: setValue('a', 1) }, {}, {}],
    check: ({ theirs }) => assert.equal(theirs[2]!.setCookie?.length, 1),
  });
  scenario({
    name: 'rolling true with maxAge: Expires moves with the clock',
    options: { rolling: true, cookie: { maxAge: 60_000 } },
    steps: [{ do: setValue('a', 1) }, { tick: 10_000 }, { tick: 20_000 }],
    check: ({ theirs }) => assert.notEqual(theirs[1]!.setCookie?.[0], theirs[2]!.setCookie?.[0]),
  });
  scenario({
    name: 'rolling false with maxAge: only a modified session re-sends the cookie',
    options: { rolling: false, cookie: { maxAge: 60_000 } },
    steps: [{ do: setValue('a', 1) }, { tick: 1000 }, { tick: 1000, do: setValue('a', 2) }],
    check: ({ theirs }) => {
      assert.equal(theirs[1]!.setCookie, undefined);
      assert.equal(theirs[2]!.setCookie?.length, 1);
    },
  });
  scenario({
    name: 'rolling false without maxAge: a browser-session cookie is never re-sent',
    options: { rolling: false },
    steps: [{ do: setValue('a', 1) }, { do: setValue('a', 2) }],
    check: ({ theirs }) => {
      assert.equal(theirs[1]!.setCookie, undefined);
      assert.deepEqual(methods(theirs[1]!), ['get', 'set']);
    },
  });
  scenario({
    name: 'a session expired in the store gives a new one',
    options: { cookie: { maxAge: 1000 } },
    // The jar would drop the expired cookie, so send it explicitly.
    steps: [{ do: setValue('a', 1) }, { tick: 2000, cookie: (ctx) => signedCookie('connect.sid', ctx.lastId!, 'keyboard cat') }],
    check: ({ theirs }) => {
      assert.deepEqual(methods(theirs[1]!), ['get']);
      assert.match(theirs[1]!.body, /data=\{\}/);
    },
  });
});

describe('differential: unset', () => {
  const deleteSession = setValueThen((req) => {
    delete (req as { session?: unknown }).session;
  });
  scenario({
    name: "unset 'keep': deleting req.session leaves the store alone",
    options: { unset: 'keep' },
    steps: [{ do: setValue('a', 1) }, { do: deleteSession }, {}],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[1]!), ['get']),
  });
  scenario({
    name: "unset 'destroy': deleting req.session destroys it at the end",
    options: { unset: 'destroy' },
    steps: [{ do: setValue('a', 1) }, { do: deleteSession }, {}],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[1]!), ['get', 'destroy']),
  });
  scenario({
    name: "unset 'destroy': setting req.session = null destroys it",
    options: { unset: 'destroy' },
    steps: [{ do: setValue('a', 1) }, { do: setValueThen((req) => { (req as { session?: unknown }).session = null; }) }],
  });
  scenario({
    name: "unset 'destroy' on a brand-new session destroys its fresh id",
    options: { unset: 'destroy' },
    steps: [{ do: deleteSession }],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[0]!), ['destroy']),
  });
  scenario({
    name: "unset 'destroy' + session.destroy(): two destroys [quirk]",
    options: { unset: 'destroy' },
    steps: [{ do: setValue('a', 1) }, { do: (req, res, next) => sess(req).destroy((err) => (err ? next(err) : res.send('gone'))) }, {}],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[1]!), ['get', 'destroy', 'destroy']),
  });
  scenario({
    name: "unset 'keep' + session.destroy(): one destroy",
    options: { unset: 'keep' },
    steps: [{ do: setValue('a', 1) }, { do: (req, res, next) => sess(req).destroy((err) => (err ? next(err) : res.send('gone'))) }, {}],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[1]!), ['get', 'destroy']),
  });
});

describe('differential: name and key', () => {
  scenario({
    name: 'name sets the cookie name',
    options: { name: 'my.sid' },
    steps: [{ do: setValue('a', 1) }, {}],
    check: ({ theirs }) => assert.match(theirs[0]!.setCookie![0]!, /^my\.sid=/),
  });
  scenario({
    name: 'key is the legacy alias of name',
    options: { key: 'legacy.sid' },
    steps: [{ do: setValue('a', 1) }, {}],
    check: ({ theirs }) => assert.match(theirs[0]!.setCookie![0]!, /^legacy\.sid=/),
  });
  scenario({
    name: 'name wins over key',
    options: { name: 'winner', key: 'loser' },
    steps: [{ do: setValue('a', 1) }, {}],
    check: ({ theirs }) => assert.match(theirs[0]!.setCookie![0]!, /^winner=/),
  });
  scenario({
    name: 'a cookie under another name is not read',
    options: { name: 'app.sid' },
    steps: [{ do: setValue('a', 1) }, { cookie: 'connect.sid=s%3Ax.y' }],
  });
});

describe('differential: genid', () => {
  scenario({
    name: 'a custom genid (deterministic) is used for new ids',
    options: () => ({ genid: counterGenid() }),
    steps: [{ do: setValue('a', 1) }, {}, { do: (req, res, next) => sess(req).regenerate((err) => (err ? next(err) : res.send(req.sessionID))) }],
    check: ({ theirs }) => assert.equal(theirs[2]!.body, 'id2'),
  });
  scenario({
    name: 'genid gets the request',
    options: { genid: (req) => `user-${String(req.headers['x-user'])}` },
    // Upper-cased so that the id normalisation does not hide the raw value.
    steps: [{ headers: { 'x-user': 'ann' }, do: (req, res) => res.send(req.sessionID.toUpperCase()) }],
    check: ({ theirs }) => assert.equal(theirs[0]!.body, 'USER-ANN'),
  });
  scenario({
    name: 'genid returning a non-string: no save and no cookie',
    options: { genid: () => 42 as unknown as string, saveUninitialized: true },
    steps: [{ do: (req, res) => res.send(`${typeof req.sessionID}:${String(req.sessionID)}`) }],
    check: ({ theirs }) => {
      assert.equal(theirs[0]!.body, 'number:42');
      assert.deepEqual(theirs[0]!.storeCalls, []);
      assert.equal(theirs[0]!.setCookie, undefined);
    },
  });
});

function setValueThen(action: (req: import('express').Request) => void) {
  return (req: import('express').Request, res: import('express').Response) => {
    action(req);
    res.send('done');
  };
}
