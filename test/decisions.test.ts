// The end-of-response decisions (src/decisions.ts), case by case from a table:
// no HTTP, only the plain facts the request context gathers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_DATA, isModified, isSaved, sessionData, shouldSave, shouldSetCookie, shouldTouch, type CookieFacts, type SaveFacts, type TouchFacts } from '../src/decisions.js';

test('sessionData: the JSON of everything but the cookie, which stays in place', () => {
  const session = { cookie: { path: '/' }, views: 2, gone: undefined };
  assert.equal(sessionData(session), '{"views":2}');
  assert.deepEqual(session.cookie, { path: '/' });
  assert.equal(sessionData({ cookie: {} }), EMPTY_DATA);
  const circular: Record<string, unknown> = { cookie: { path: '/' } };
  circular.self = circular;
  assert.throws(() => sessionData(circular), TypeError);
  assert.deepEqual(circular.cookie, { path: '/' }, 'the cookie is put back when serialization throws');
});

test('isModified and isSaved: by id and data', () => {
  const record = { originalId: 'a', originalData: '{"x":1}', savedData: '{"x":2}' };
  const cases: Array<[id: string, data: string, modified: boolean, saved: boolean]> = [
    ['a', '{"x":1}', false, false],
    ['a', '{"x":2}', true, true],
    ['a', '{"x":3}', true, false],
    ['b', '{"x":1}', true, false],
    ['b', '{"x":2}', true, false],
  ];
  for (const [id, data, modified, saved] of cases) {
    assert.equal(isModified(record, id, data), modified, `isModified ${id} ${data}`);
    assert.equal(isSaved(record, id, data), saved, `isSaved ${id} ${data}`);
  }
  assert.equal(isSaved({ originalId: 'a', originalData: '{}', savedData: undefined }, 'a', '{}'), false);
});

const save: SaveFacts = { validId: true, saveUninitialized: false, idFromCookie: true, everSaved: true, modified: false, saved: true };

test('shouldSave', () => {
  const cases: Array<[name: string, facts: Partial<SaveFacts>, expected: boolean]> = [
    ['loaded and unchanged (resave false)', {}, false],
    ['loaded and changed', { modified: true, saved: false }, true],
    ['loaded, resave true (never marked saved)', { everSaved: false, saved: false }, true],
    ['a bogus req.sessionID is never saved', { validId: false, saved: false, modified: true }, false],
    ['new and untouched, saveUninitialized false', { idFromCookie: false, everSaved: false, saved: false }, false],
    ['new and modified, saveUninitialized false', { idFromCookie: false, everSaved: false, saved: false, modified: true }, true],
    ['new and untouched, saveUninitialized true', { idFromCookie: false, everSaved: false, saved: false, saveUninitialized: true }, true],
    ['new, saved by the app as it is', { idFromCookie: false, everSaved: true, saved: true, modified: true }, false],
    ['new, saved by the app, changed after', { idFromCookie: false, everSaved: true, saved: false, modified: true }, true],
    ['regenerated (new id), saveUninitialized false', { idFromCookie: false, everSaved: true, saved: false, modified: true }, true],
  ];
  for (const [name, facts, expected] of cases) {
    assert.equal(shouldSave({ ...save, ...facts }), expected, name);
  }
});

const cookie: CookieFacts = { idFromCookie: true, saveUninitialized: false, rolling: false, hasExpires: false, signedWithOldSecret: false, expiryChanged: false };

test('shouldSetCookie', () => {
  const cases: Array<[name: string, facts: Partial<CookieFacts>, expected: boolean | 'if-modified']> = [
    ['returning, browser-session cookie', {}, false],
    ['returning, with an expiry: only if modified', { hasExpires: true }, 'if-modified'],
    ['returning, rolling', { rolling: true }, true],
    ['returning, verified by an old secret (resignOnRotation)', { signedWithOldSecret: true }, true],
    ['returning, the app changed the expiry (resendOnExpiryChange)', { expiryChanged: true, hasExpires: true }, true],
    ['new, saveUninitialized false: only if modified', { idFromCookie: false }, 'if-modified'],
    ['new, saveUninitialized true', { idFromCookie: false, saveUninitialized: true }, true],
    ['new, rolling does not matter', { idFromCookie: false, rolling: true }, 'if-modified'],
  ];
  for (const [name, facts, expected] of cases) {
    assert.equal(shouldSetCookie({ ...cookie, ...facts }), expected, name);
  }
});

const touch: TouchFacts = { storeHasTouch: true, idFromCookie: true, validId: true, touchedRecently: false };

test('shouldTouch', () => {
  const cases: Array<[name: string, facts: Partial<TouchFacts>, expected: boolean]> = [
    ['returning, store has touch', {}, true],
    ['store without touch', { storeHasTouch: false }, false],
    ['new or regenerated session', { idFromCookie: false }, false],
    ['bogus req.sessionID', { validId: false }, false],
    ['touched within touchAfter', { touchedRecently: true }, false],
  ];
  for (const [name, facts, expected] of cases) {
    assert.equal(shouldTouch({ ...touch, ...facts }), expected, name);
  }
});
