/**
 * docs/compatibility.md §14 (store styles) and §6 / §10 (store errors): the same flows
 * through a callback store, a Promise store, a store that calls back twice, an
 * ENOENT store, a store that loses the cookie, and a store built on the real
 * express-session Store class; then failures of get / set / touch / destroy.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { describeSession, scenario, sess, setValue, signedCookie, thenSend, type Observation, type Step, type StoreStyle } from './harness.js';

const methods = (o: Observation): string[] => o.storeCalls.map((call) => call[0]);

/** Every kind of store call: set, get, touch, destroy, an unknown id, regenerate, reload. */
const lifecycle: Step[] = [
  { do: setValue('a', 1) },
  {},
  { do: setValue('a', 2) },
  { do: thenSend((req, cb) => sess(req).reload(cb)) },
  { do: thenSend((req, cb) => sess(req).regenerate(cb)) },
  { do: thenSend((req, cb) => sess(req).destroy(cb)) },
  { cookie: signedCookie('connect.sid', 'ghost', 'keyboard cat'), do: setValue('b', 1) },
];

describe('differential: store styles', () => {
  const styles: StoreStyle[] = [
    'callback', 'promise', 'callback+promise', 'double', 'enoent', 'date-expires', 'oracle-class',
  ];
  for (const storeStyle of styles) {
    scenario({
      name: `${storeStyle} store: the whole lifecycle`,
      storeStyle,
      options: { cookie: { maxAge: 60_000 } },
      steps: lifecycle,
      check: ({ theirs }) => {
        assert.deepEqual(methods(theirs[1]!), ['get', 'touch']);
        assert.deepEqual(methods(theirs[6]!), ['get', 'set']);
        assert.match(theirs[6]!.body, /"b":1/);
      },
    });
    scenario({
      name: `${storeStyle} store: resave and rolling`,
      storeStyle,
      options: { resave: true, rolling: true, saveUninitialized: true },
      steps: [{}, {}, { do: setValue('a', 1) }],
    });
  }
  scenario({
    name: 'no-cookie store: a stored session without cookie is an error on both sides',
    storeStyle: 'no-cookie',
    steps: [{ do: setValue('a', 1) }, {
      // Both pass an error to the error handler before the route; the message may
      // differ (express-session's is an accidental TypeError on `cookie.expires`).
      compare: (ours, theirs) => {
        assert.deepEqual({ ...ours, body: '' }, { ...theirs, body: '' });
        assert.match(ours.body, /^error: /);
      },
    }],
    check: ({ theirs }) => {
      assert.equal(theirs[1]!.status, 500);
      assert.match(theirs[1]!.body, /^error: Cannot read properties of undefined/);
    },
  });
});

describe('differential: store errors', () => {
  scenario({
    name: 'get fails (not ENOENT): the error handler answers, nothing is saved',
    fail: (method, _sid, nth) => (method === 'get' && nth === 1 ? 'get exploded' : undefined),
    steps: [{ do: setValue('a', 1) }, {}, {}],
    check: ({ theirs }) => {
      assert.equal(theirs[1]!.body, 'error: get exploded');
      assert.deepEqual(methods(theirs[1]!), ['get']);
    },
  });
  // INTENDED DIFFERENCE 1: when the response was not yet sent, ours holds it
  // until the store answers, so a failed set/destroy becomes the error
  // response; express-session sends the 200 and calls next(err) afterwards.
  const heldResponseFails = (message: string) => (ours: Observation, theirs: Observation): void => {
    assert.equal(theirs.status, 200);
    assert.deepEqual(theirs.lateErrors, [message]);
    assert.equal(ours.status, 500);
    assert.equal(ours.body, `error: ${message}`);
    assert.deepEqual(ours.lateErrors, []);
    // The error response hands out no cookie for what was not saved.
    assert.equal(ours.setCookie, undefined);
    assert.deepEqual(ours.storeCalls, theirs.storeCalls);
  };
  scenario({
    name: 'set fails at the end [intended difference 1]',
    fail: (method) => (method === 'set' ? 'set exploded' : undefined),
    steps: [{ do: setValue('a', 1), compare: heldResponseFails('set exploded') }],
  });
  // A touch never holds the response: a 200, then the error, as express-session.
  scenario({
    name: 'touch fails at the end: the response, then the error',
    fail: (method) => (method === 'touch' ? 'touch exploded' : undefined),
    steps: [{ do: setValue('a', 1) }, {}],
    check: ({ ours }) => {
      assert.equal(ours[1]!.status, 200);
      assert.deepEqual(ours[1]!.lateErrors, ['touch exploded']);
    },
  });
  scenario({
    name: "destroy fails at the end (unset 'destroy') [intended difference 1]",
    options: { unset: 'destroy' },
    fail: (method) => (method === 'destroy' ? 'destroy exploded' : undefined),
    steps: [
      { do: setValue('a', 1) },
      { do: (req, res) => { delete (req as { session?: unknown }).session; res.send('bye'); }, compare: heldResponseFails('destroy exploded') },
    ],
  });
  scenario({
    name: 'a streamed response (res.write then res.end) with a failing set: 200, then a late error on both sides',
    fail: (method) => (method === 'set' ? 'set exploded' : undefined),
    steps: [{
      do: (req, res) => {
        sess(req).a = 1;
        res.write('part 1, ');
        res.end('part 2');
      },
    }],
    check: ({ ours, theirs }) => {
      assert.equal(theirs[0]!.body, 'part 1, part 2');
      assert.deepEqual(ours[0]!.lateErrors, ['set exploded']);
    },
  });
  scenario({
    name: 'a failing save() in a route: the callback gets the error',
    fail: (method) => (method === 'set' ? 'set exploded' : undefined),
    steps: [{ do: thenSend((req, cb) => { sess(req).a = 1; sess(req).save(cb); }), compare: (ours, theirs) => {
      // The route's error response is the same; the end-of-response save that follows
      // fails again: intended difference 1 does not apply, headers are already out.
      assert.deepEqual(ours, theirs);
    } }],
    check: ({ theirs }) => assert.equal(theirs[0]!.body, 'error: set exploded'),
  });
  scenario({
    name: 'a failing destroy in regenerate: the callback gets the error, the session is new anyway',
    fail: (method) => (method === 'destroy' ? 'destroy exploded' : undefined),
    steps: [
      { do: setValue('a', 1) },
      { do: (req, res) => sess(req).regenerate((err) => res.send(`${String(err)} ${describeSession(req)}`)) },
    ],
    check: ({ theirs }) => assert.match(theirs[1]!.body, /^Error: destroy exploded sid=id2/),
  });
  scenario({
    name: 'a failing destroy in session.destroy(): the callback gets the error',
    fail: (method) => (method === 'destroy' ? 'destroy exploded' : undefined),
    steps: [{ do: setValue('a', 1) }, { do: thenSend((req, cb) => sess(req).destroy(cb)) }],
  });
  scenario({
    name: 'a failing get in reload(): the callback gets the error',
    fail: (method, _sid, nth) => (method === 'get' && nth === 2 ? 'get exploded' : undefined),
    steps: [{ do: setValue('a', 1) }, { do: thenSend((req, cb) => sess(req).reload(cb)) }],
    check: ({ theirs }) => assert.equal(theirs[1]!.body, 'error: get exploded'),
  });
});
