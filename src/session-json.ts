import { Cookie } from './cookie.js';
import type { Session, StoredSession } from './session.js';

/**
 * `JSON.stringify(session)`. A session with nothing but its cookie (a new
 * visitor's, saved by `saveUninitialized`) is the cookie's JSON in the frame
 * JSON.stringify would put it in, without a second walk of the session.
 */
export function sessionJson(session: Session | StoredSession): string {
  const cookie = onlyCookieOf(session);
  return cookie !== undefined ? `{"cookie":${JSON.stringify(cookie)}}` : JSON.stringify(session);
}

const cookieToJSON = Cookie.prototype.toJSON;
const { propertyIsEnumerable } = Object.prototype;

/** The session's cookie if that is all JSON.stringify would write of it (an own enumerable `Cookie`, nothing else). */
function onlyCookieOf(session: Session | StoredSession): Cookie | undefined {
  if (!holdsOnlyCookie(session) || !propertyIsEnumerable.call(session, 'cookie')) return undefined;
  const { cookie } = session;
  return cookie instanceof Cookie && cookie.toJSON === cookieToJSON ? cookie : undefined;
}

/**
 * Whether the session's only enumerable key is `cookie` and it has no `toJSON`
 * (for-in also lists inherited keys, which JSON leaves out: such a session is
 * just not taken for a cookie-only one).
 */
export function holdsOnlyCookie(session: object): boolean {
  if ((session as { toJSON?: unknown }).toJSON !== undefined) return false;
  let cookie = false;
  for (const key in session) {
    if (key !== 'cookie') return false;
    cookie = true;
  }
  return cookie;
}
