// applyChange: what a store's atomic merge writes (see README, "Writing a store with an atomic merge").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyChange, type SessionChange } from '../src/session-change.js';

function change(set: Record<string, unknown>, deleted: string[], cookie: unknown = { path: '/' }): SessionChange {
  return { set: Object.assign(Object.create(null) as Record<string, unknown>, set), deleted, cookie };
}

const cases: { name: string; stored: Record<string, unknown>; change: SessionChange; merged: string }[] = [
  { name: 'a changed key keeps its place', stored: { cookie: {}, a: 1, b: 2 }, change: change({ a: 3 }, []), merged: '{"cookie":{"path":"/"},"a":3,"b":2}' },
  { name: 'an added key goes last', stored: { cookie: {}, a: 1 }, change: change({ z: [] }, []), merged: '{"cookie":{"path":"/"},"a":1,"z":[]}' },
  { name: 'a deleted key is gone', stored: { cookie: {}, a: 1, b: 2 }, change: change({}, ['a']), merged: '{"cookie":{"path":"/"},"b":2}' },
  { name: 'a key deleted and absent is no error', stored: { cookie: {} }, change: change({}, ['x']), merged: '{"cookie":{"path":"/"}}' },
  { name: 'keys another writer added stay', stored: { cookie: {}, theirs: 1 }, change: change({ mine: 2 }, []), merged: '{"cookie":{"path":"/"},"theirs":1,"mine":2}' },
  { name: 'a stored session without a cookie gets this one', stored: { a: 1 }, change: change({}, [], { maxAge: 5 }), merged: '{"a":1,"cookie":{"maxAge":5}}' },
];

for (const c of cases) {
  test(`applyChange: ${c.name}`, () => {
    const before = JSON.stringify(c.stored);
    assert.equal(JSON.stringify(applyChange(c.stored, c.change)), c.merged);
    assert.equal(JSON.stringify(c.stored), before, 'the stored object is not modified');
  });
}

test('applyChange: a key named __proto__ is data, never the prototype', () => {
  const stored = JSON.parse('{"cookie":{},"__proto__":{"polluted":true}}') as Record<string, unknown>;
  const merged = applyChange(stored, change(JSON.parse('{"__proto__":{"admin":true}}') as Record<string, unknown>, []));
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  assert.equal(({} as Record<string, unknown>).admin, undefined);
  assert.deepEqual(JSON.parse(JSON.stringify(merged)), JSON.parse('{"cookie":{"path":"/"},"__proto__":{"admin":true}}'));
});

test('applyChange: the result is the stored keys minus deleted, plus set, with the new cookie', () => {
  const json = fc.jsonValue();
  const key = fc.constantFrom('a', 'b', 'c', 'd', 'e');
  fc.assert(fc.property(fc.dictionary(key, json), fc.dictionary(key, json), fc.array(key), (stored, set, deleted) => {
    const deletedOnly: string[] = deleted.filter((k) => !(k in set));
    const merged = applyChange({ cookie: 1, ...stored }, change(set, deletedOnly, 2));
    for (const k of ['a', 'b', 'c', 'd', 'e']) {
      if (k in set) assert.deepEqual(merged[k], (set as Record<string, unknown>)[k]);
      else if (deletedOnly.includes(k)) assert.equal(k in merged, false);
      else assert.deepEqual(merged[k], (stored as Record<string, unknown>)[k]);
    }
    assert.equal(merged.cookie, 2);
  }));
});
