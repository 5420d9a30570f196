// sessionJson: the built-in store writes a session that holds only its cookie
// without a second walk of it; whatever the session holds, the result must be
// JSON.stringify's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cookie } from '../src/cookie.js';
import { sessionJson } from '../src/session-json.js';
import { Session } from '../src/session.js';

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
