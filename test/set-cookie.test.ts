import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { serialize } from 'cookie';
import { SetCookieSerializer } from '../src/set-cookie.js';
import { Cookie, type CookieData } from '../src/cookie.js';

type Options = Parameters<typeof serialize>[2];

const attributes = fc.record({
  originalMaxAge: fc.oneof(fc.constant(null), fc.nat()),
  partitioned: fc.option(fc.boolean(), { nil: undefined }),
  priority: fc.option(fc.constantFrom('low', 'medium', 'high', 'High', 'bogus'), { nil: undefined }),
  expires: fc.option(fc.oneof(fc.date({ min: new Date(0), max: new Date(8.64e15) }), fc.constant(new Date(NaN))), { nil: undefined }),
  secure: fc.option(fc.boolean(), { nil: undefined }),
  httpOnly: fc.boolean(),
  domain: fc.option(fc.constantFrom('example.com', '.example.com', 'a.b.example.org', 'bad domain'), { nil: undefined }),
  path: fc.constantFrom('/', '/admin', '/a b', '/x;y', ''),
  sameSite: fc.option(fc.constantFrom('lax', 'strict', 'none', 'Lax', true, false, 'bogus'), { nil: undefined }),
}) as fc.Arbitrary<CookieData>;

/** What each produced: the header, or the error it threw. */
function outcome(fn: () => string): { value: string } | { error: string } {
  try {
    return { value: fn() };
  } catch (err) {
    return { error: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
}

test('byte for byte what cookie.serialize gives, errors included', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('connect.sid', 'sid', '__Host-s'),
      fc.oneof(fc.string(), fc.constant('s:abc.DEF+/=')),
      fc.array(attributes, { minLength: 1, maxLength: 4 }),
      (name, value, sets) => {
        const serializer = new SetCookieSerializer(name);
        // Several attribute sets through one serializer: the cached shapes must not leak into each other.
        for (const data of [...sets, ...sets]) {
          assert.deepEqual(
            outcome(() => serializer.serialize(value, data)),
            outcome(() => serialize(name, value, data as Options)),
          );
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('a session cookie with and without an expiry', () => {
  const serializer = new SetCookieSerializer('connect.sid');
  const data: CookieData = {
    originalMaxAge: 1000, partitioned: undefined, priority: 'high', expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)),
    secure: true, httpOnly: true, domain: 'example.com', path: '/', sameSite: 'lax',
  };
  assert.equal(
    serializer.serialize('s:id.sig', data),
    'connect.sid=s%3Aid.sig; Domain=example.com; Path=/; Expires=Wed, 02 Jan 2030 03:04:05 GMT; HttpOnly; Secure; Priority=High; SameSite=Lax',
  );
  assert.equal(
    serializer.serialize('s:id.sig', { ...data, expires: null }),
    'connect.sid=s%3Aid.sig; Domain=example.com; Path=/; HttpOnly; Secure; Priority=High; SameSite=Lax',
  );
});

test('Expires is formatted once per second: dates a millisecond apart, either side of a second, and back', () => {
  const serializer = new SetCookieSerializer('sid');
  const base = Date.UTC(2030, 0, 2, 3, 4, 5);
  for (const offset of [0, 1, 999, 1000, 1001, -1, 0, 86_400_000]) {
    const data: CookieData = {
      originalMaxAge: null, partitioned: undefined, priority: undefined, expires: new Date(base + offset),
      secure: undefined, httpOnly: true, domain: undefined, path: '/', sameSite: undefined,
    };
    assert.equal(serializer.serialize('v', data), serialize('sid', 'v', data as Options), `offset ${offset} ms`);
  }
});

test('a Cookie itself can be serialized: only its attributes are read (not its maxAge getter or an encode option)', () => {
  const serializer = new SetCookieSerializer('sid');
  const cookie = new Cookie({ maxAge: 60_000, path: '/app', sameSite: 'strict', encode: () => 'ENCODED' });
  assert.equal(serializer.serialize('a b', cookie), serialize('sid', 'a b', cookie.data as Options));
  // The library's own error for an invalid expiry, as with the cookie's data.
  cookie.expires = new Date(NaN);
  assert.deepEqual(outcome(() => serializer.serialize('v', cookie)), outcome(() => serialize('sid', 'v', cookie.data as Options)));
});

test('a Cookie changed after it was serialized does not lend its old attributes to the next one', () => {
  const serializer = new SetCookieSerializer('sid');
  const first = new Cookie({ path: '/', maxAge: 60_000 });
  assert.equal(serializer.serialize('v', first), serialize('sid', 'v', first.data as Options));
  // The app keeps the first cookie and changes it; the next response has the new attributes.
  first.path = '/admin';
  first.sameSite = 'strict';
  const second = new Cookie({ path: '/admin', sameSite: 'strict', maxAge: 60_000 });
  assert.equal(serializer.serialize('v', second), serialize('sid', 'v', second.data as Options));
  assert.equal(serializer.serialize('v', first), serialize('sid', 'v', first.data as Options));
});
