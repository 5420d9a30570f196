// cookieRecordOf: the built-in store keeps a touched cookie as the record
// JSON.parse(JSON.stringify(cookie)) would give, built field by field (with
// a valid expiry kept as a Date until it is read).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Cookie, cookieRecordOf, copyCookieRecord } from '../src/cookie.js';
import { sessionJson } from '../src/memory-store.js';
import { Session } from '../src/session.js';

const anyValue = fc.oneof(
  fc.constant(undefined), fc.constant(null), fc.boolean(), fc.string(),
  fc.double(), fc.constantFrom(-0, NaN, Infinity, -Infinity, 0, 86_400_000),
  fc.date({ noInvalidDate: false }),
  fc.constantFrom({ nested: 1 }, [1, 2], () => 1),
);

const fields = ['originalMaxAge', 'partitioned', 'priority', 'expires', 'secure', 'httpOnly', 'domain', 'path', 'sameSite', 'createdAt'] as const;

test('property: equal to the JSON round trip, key order included, or undefined (never wrong)', () => {
  let told = 0;
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...fields), anyValue), (values) => {
      const cookie = new Cookie();
      const target = cookie as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(values)) {
        if (key === 'expires') target._expires = value;
        else target[key] = value;
      }
      const record = cookieRecordOf(cookie);
      if (record === undefined) return;
      told++;
      const roundTrip = JSON.parse(JSON.stringify(cookie)) as Record<string, unknown>;
      const asJson = copyCookieRecord(record, false);
      assert.deepEqual(asJson, roundTrip);
      assert.deepEqual(Object.keys(asJson), Object.keys(roundTrip));
      // With dates kept: the same, but a valid expiry is a Date of that time.
      const withDates = copyCookieRecord(record, true);
      assert.deepEqual(Object.keys(withDates), Object.keys(roundTrip));
      for (const key of Object.keys(roundTrip)) {
        const value = withDates[key];
        if (value instanceof Date) assert.equal(value.toJSON(), roundTrip[key]);
        else assert.deepEqual(value, roundTrip[key]);
      }
    }),
    { numRuns: 1000 },
  );
  assert.ok(told > 500, `most cookies are told field by field (${told} of 1000)`);
});

test('a cookie whose toJSON is not Cookie\'s, or that is not a Cookie, takes the JSON road', () => {
  const cookie = new Cookie({ maxAge: 1000 });
  assert.ok(cookieRecordOf(cookie));
  (cookie as unknown as { toJSON: () => unknown }).toJSON = () => ({ custom: true });
  assert.equal(cookieRecordOf(cookie), undefined);
  assert.equal(cookieRecordOf({ ...new Cookie().data }), undefined);
  assert.equal(cookieRecordOf(null), undefined);
});

test('the record and its copies share nothing with the cookie or each other', () => {
  const cookie = new Cookie({ maxAge: 1000, path: '/a' });
  const expires = (cookie.expires as Date).toJSON();
  const record = cookieRecordOf(cookie)!;
  cookie.path = '/b';
  cookie.maxAge = 5000;
  (cookie.expires as Date).setTime(0);
  assert.equal(record.path, '/a');
  assert.equal(record.originalMaxAge, 1000);
  assert.equal((record.expires as Date).toJSON(), expires);

  const first = copyCookieRecord(record, true);
  (first.expires as Date).setTime(0);
  first.path = '/c';
  assert.equal(copyCookieRecord(record, false).expires, expires);
  assert.equal(copyCookieRecord(record, true).path, '/a');
});

test('sessionJson is JSON.stringify, whatever the session holds (the cookie-only shortcut included)', () => {
  const req = { sessionID: 'sid', sessionStore: {} } as unknown as ConstructorParameters<typeof Session>[0];
  const cases: Array<Record<string, unknown>> = [];
  const plain = new Session(req);
  plain.cookie = new Cookie({ maxAge: 60_000, sameSite: 'lax' });
  cases.push(plain as unknown as Record<string, unknown>);
  const withData = new Session(req);
  withData.cookie = new Cookie();
  (withData as unknown as Record<string, unknown>).views = 3;
  cases.push(withData as unknown as Record<string, unknown>);
  const undefinedValue = new Session(req);
  undefinedValue.cookie = new Cookie();
  (undefinedValue as unknown as Record<string, unknown>).gone = undefined;
  cases.push(undefinedValue as unknown as Record<string, unknown>);
  const ownToJSON = new Session(req);
  ownToJSON.cookie = new Cookie();
  Object.defineProperty(ownToJSON, 'toJSON', { value: () => ({ replaced: true }) });
  cases.push(ownToJSON as unknown as Record<string, unknown>);
  const customCookie = new Session(req);
  customCookie.cookie = new Cookie();
  (customCookie.cookie as unknown as { toJSON: () => unknown }).toJSON = () => 'custom';
  cases.push(customCookie as unknown as Record<string, unknown>);
  cases.push({ cookie: { expires: null, path: '/' } }, { cookie: new Cookie({ maxAge: 1 }) }, Object.create({ inherited: 1 }, { cookie: { value: new Cookie(), enumerable: true } }) as Record<string, unknown>);
  // A cookie JSON.stringify does not write: inherited, or not enumerable.
  cases.push(Object.create({ cookie: new Cookie() }) as Record<string, unknown>);
  cases.push(Object.defineProperty({}, 'cookie', { value: new Cookie(), enumerable: false }) as Record<string, unknown>);

  for (const session of cases) {
    assert.equal(sessionJson(session as never), JSON.stringify(session));
  }
  // A cookie getter is read once, as JSON.stringify reads it once: what it gave is what is written.
  const first = new Cookie({ path: '/first' });
  let reads = 0;
  const getter = Object.defineProperty({}, 'cookie', { get: () => (reads++ === 0 ? first : { other: 1 }), enumerable: true });
  assert.equal(sessionJson(getter as never), JSON.stringify({ cookie: first }));
  assert.equal(reads, 1);
});
