import type { Cookie } from './cookie.js';

// The lifetime rules: the absolute end (`maxLifetime`), expiry on load
// (`checkExpiry`) and the recent-touch window (`touchAfter`).

/**
 * Keeps `cookie.expires` within the absolute lifetime, so that stores which
 * derive their TTL from it expire the session on time. `_expires` is set
 * directly: the `expires` setter would also shrink `originalMaxAge`, the idle
 * timeout that later touches reset to.
 */
export function limitToLifetime(cookie: Cookie, maxLifetime: number): void {
  const now = Date.now();
  if (!hasCreationTime(cookie, now)) cookie.createdAt = now;
  const end = cookie.createdAt! + maxLifetime;
  const expires = cookie.expires;
  if (!(expires instanceof Date) || expires.valueOf() > end) cookie._expires = new Date(end);
}

/** Whether a loaded session is past its `cookie.expires` or its absolute end. */
export function hasExpired(cookie: Cookie, maxLifetime: number | undefined, now: number): boolean {
  const expires = cookie.expires;
  if (expires instanceof Date && expires.valueOf() <= now) return true;
  return maxLifetime !== undefined && hasCreationTime(cookie, now) && cookie.createdAt! + maxLifetime <= now;
}

/**
 * Whether `cookie.createdAt` is a usable creation time: a number, not in the
 * future. Anything else (from an older version, or a store's garbage) counts
 * as missing, and the lifetime starts now: a string or a far-future number
 * must never switch the absolute timeout off.
 */
function hasCreationTime(cookie: Cookie, now: number): boolean {
  const createdAt = cookie.createdAt;
  return typeof createdAt === 'number' && Number.isFinite(createdAt) && createdAt <= now;
}

/** Whether the cookie was last touched (expires − originalMaxAge) less than `window` ms ago. */
export function wasTouchedWithin(cookie: Cookie, window: number): boolean {
  const expires = cookie.expires;
  const maxAge = cookie.originalMaxAge;
  if (!(expires instanceof Date) || typeof maxAge !== 'number') return false;
  return Date.now() - (expires.valueOf() - maxAge) < window;
}
