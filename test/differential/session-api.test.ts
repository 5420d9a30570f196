/**
 * docs/compatibility.md §3 and §7: the session methods as routes use them (regenerate,
 * reload, destroy, save), change detection, and the store's connect/disconnect events.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { describeSession, scenario, sess, setValue, thenSend, type Observation, type Step } from './harness.js';

const methods = (o: Observation): string[] => o.storeCalls.map((call) => call[0]);

/** The README login pattern: regenerate, set the user, save, redirect. */
const login: Step['do'] = (req, res, next) => {
  sess(req).regenerate((err) => {
    if (err) return next(err);
    sess(req).user = 'ann';
    sess(req).save((saveErr) => (saveErr ? next(saveErr) : res.redirect('/home')));
  });
};

describe('differential: regenerate', () => {
  scenario({
    name: 'login pattern regenerate → save: two store.set calls [quirk]',
    steps: [{ do: setValue('visits', 1) }, { method: 'post', path: '/login', do: login }, {}],
    check: ({ theirs }) => {
      assert.deepEqual(methods(theirs[1]!), ['get', 'destroy', 'set', 'set']);
      assert.equal(theirs[1]!.status, 302);
    },
  });
  scenario({
    name: 'regenerate of an unmodified session: the new id gets a cookie even with saveUninitialized false',
    steps: [{ do: setValue('a', 1) }, { do: thenSend((req, cb) => sess(req).regenerate(cb)) }, {}],
  });
  scenario({
    name: 'regenerate of a brand-new session',
    options: { saveUninitialized: true },
    steps: [{ do: thenSend((req, cb) => sess(req).regenerate(cb)) }, {}],
  });
  scenario({
    name: 'regenerate of a new, untouched session with saveUninitialized false',
    steps: [{ do: thenSend((req, cb) => sess(req).regenerate(cb)) }, {}],
  });
  scenario({
    name: "regenerate with unset 'destroy'",
    options: { unset: 'destroy' },
    steps: [{ do: setValue('a', 1) }, { do: thenSend((req, cb) => sess(req).regenerate(cb)) }, {}],
  });
  scenario({
    name: 'regenerate, then reload the new (unsaved) session: failed to load session',
    steps: [{ do: setValue('a', 1) }, { do: thenSend((req, cb) => sess(req).regenerate(() => sess(req).reload(cb))) }],
  });
  scenario({
    name: 'regenerate then modify (no explicit save)',
    options: { cookie: { maxAge: 60_000 } },
    steps: [{ do: setValue('a', 1) }, { do: thenSend((req, cb) => sess(req).regenerate((err) => { sess(req).b = 2; cb(err); })) }, {}],
  });
});

describe('differential: reload', () => {
  scenario({
    name: 'reload picks up what another request stored',
    steps: [
      { do: setValue('a', 1) },
      {
        do: (req, res, next, ctx) => {
          // Someone else changes the stored copy; reload must see it.
          const json = ctx.store.data.get(req.sessionID)!;
          ctx.store.data.set(req.sessionID, json.replace('"a":1', '"a":99'));
          sess(req).a = 5;
          sess(req).reload((err) => (err ? next(err) : res.send(describeSession(req))));
        },
      },
    ],
    check: ({ theirs }) => assert.match(theirs[1]!.body, /"a":99/),
  });
  scenario({
    name: '20 nested reloads: no stack overflow, 20 gets',
    steps: [
      { do: setValue('a', 1) },
      {
        do: (req, res, next) => {
          let left = 20;
          const again = (err?: unknown): void => {
            if (err) return next(err);
            if (left-- === 0) return void res.send(describeSession(req));
            sess(req).reload(again);
          };
          again();
        },
      },
    ],
    check: ({ theirs }) => assert.equal(methods(theirs[1]!).filter((m) => m === 'get').length, 21),
  });
  scenario({
    name: "reload of a session missing from the store: 'failed to load session'",
    steps: [
      { do: setValue('a', 1) },
      {
        do: (req, res, next, ctx) => {
          ctx.store.data.delete(req.sessionID);
          sess(req).reload((err) => (err ? next(err) : res.send('reloaded')));
        },
      },
    ],
    check: ({ theirs }) => assert.equal(theirs[1]!.body, 'error: failed to load session'),
  });
  scenario({
    name: 'modify, reload, modify again: saved once with the new value',
    steps: [{ do: setValue('a', 1) }, { do: thenSend((req, cb) => { sess(req).a = 2; sess(req).reload((err) => { sess(req).b = 3; cb(err); }); }) }, {}],
  });
});

describe('differential: destroy and save', () => {
  scenario({
    name: 'destroy: one destroy, no save, and the next request has a new session',
    steps: [{ do: setValue('a', 1) }, { do: thenSend((req, cb) => sess(req).destroy(cb)) }, { do: setValue('b', 2) }],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[1]!), ['get', 'destroy']),
  });
  scenario({
    name: 'save() before a redirect: the store has it when the redirect is followed',
    steps: [
      { method: 'post', do: (req, res, next) => { sess(req).flash = 'hi'; sess(req).save((err) => (err ? next(err) : res.redirect('/next'))); } },
      { path: '/next' },
    ],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[0]!), ['set']),
  });
  scenario({
    name: 'save() then modify: saved again at the end',
    steps: [{ do: setValue('a', 1) }, { do: thenSend((req, cb) => sess(req).save((err) => { sess(req).a = 2; cb(err); })) }],
    check: ({ theirs }) => assert.deepEqual(methods(theirs[1]!), ['get', 'set', 'set']),
  });
  scenario({
    name: 'save() with resave true: not saved twice',
    options: { resave: true },
    steps: [{ do: setValue('a', 1) }, { do: thenSend((req, cb) => sess(req).save(cb)) }],
  });
  scenario({
    name: 'modifying then reverting a value is not a modification',
    options: { cookie: { maxAge: 60_000 } },
    steps: [{ do: setValue('a', 1) }, { do: (req, res) => { sess(req).a = 2; sess(req).a = 1; res.send('same'); } }],
    check: ({ theirs }) => {
      assert.deepEqual(methods(theirs[1]!), ['get', 'touch']);
      assert.equal(theirs[1]!.setCookie, undefined);
    },
  });
  scenario({
    name: 'a nested cookie key counts as data; the top-level cookie does not',
    options: { cookie: { maxAge: 60_000 } },
    steps: [
      { do: setValue('prefs', { cookie: 1 }) },
      { do: (req, res) => { (sess(req).prefs as Record<string, unknown>).cookie = 2; res.send('nested'); } },
      { do: (req, res) => { sess(req).cookie.maxAge = 5; res.send('top'); } },
    ],
  });
  scenario({
    name: 'touch() / resetMaxAge() in a route',
    options: { cookie: { maxAge: 60_000 } },
    steps: [{ do: setValue('a', 1) }, { tick: 5000, do: (req, res) => { sess(req).cookie.maxAge = 10; (req.session as unknown as { touch(): void }).touch(); res.send('touched'); } }],
  });
});

describe('differential: store connect / disconnect events', () => {
  scenario({
    name: "after 'disconnect' requests get no session; after 'connect' they do again",
    steps: [
      { do: setValue('a', 1) },
      { before: (ctx) => ctx.store.emit('disconnect'), do: (req, res) => res.send(describeSession(req)) },
      { before: (ctx) => ctx.store.emit('connect') },
    ],
    check: ({ theirs }) => {
      assert.match(theirs[1]!.body, /^no session/);
      assert.deepEqual(methods(theirs[1]!), []);
      assert.match(theirs[2]!.body, /"a":1/);
    },
  });
});
