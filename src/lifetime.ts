import type { Cookie } from './cookie.js';

/**
 * The absolute lifetime (`maxLifetime`): made once per middleware, only when
 * the option is set. The creation time is kept in the cookie (`createdAt`).
 */
export class Lifetime {
  constructor(readonly maxLifetime: number) {}

  /** A new session's cookie: its lifetime starts now. */
  start(cookie: Cookie): void {
    cookie.createdAt = Date.now();
    this.limit(cookie);
  }

  /**
   * Keeps `cookie.expires` within the absolute lifetime, so that stores which
   * derive their TTL from it expire the session on time. `_expires` is set
   * directly: the `expires` setter would also shrink `originalMaxAge`, the idle
   * timeout that later touches reset to. True when the cookie had no usable
   * creation time and its lifetime starts now (the caller must store that).
   */
  limit(cookie: Cookie): boolean {
    const now = Date.now();
    const started = !hasCreationTime(cookie, now);
    if (started) cookie.createdAt = now;
    const end = cookie.createdAt! + this.maxLifetime;
    const expires = cookie.expires;
    if (!(expires instanceof Date) || expires.valueOf() > end) cookie._expires = new Date(end);
    return started;
  }

  /**
   * Whether the session has reached its absolute end, or claims a creation
   * time in the future (no session of ours does: such a cookie would never
   * reach its end).
   */
  hasEnded(cookie: Cookie, now: number): boolean {
    const createdAt = cookie.createdAt;
    if (typeof createdAt === 'number' && createdAt > now) return true;
    return hasCreationTime(cookie, now) && createdAt! + this.maxLifetime <= now;
  }
}

/** Whether a loaded session is past its `cookie.expires` or its absolute end (`checkExpiry`). */
export function hasExpired(cookie: Cookie, lifetime: Lifetime | undefined, now: number): boolean {
  const expires = cookie.expires;
  if (expires instanceof Date && expires.valueOf() <= now) return true;
  return lifetime !== undefined && lifetime.hasEnded(cookie, now);
}

/**
 * Whether `cookie.createdAt` is a usable creation time: a finite number, not
 * in the future. Anything else (from an older version, or a store's garbage)
 * counts as missing, and the lifetime starts now; a future one makes the
 * session invalid (`hasEnded`): nothing may switch the absolute timeout off.
 */
function hasCreationTime(cookie: Cookie, now: number): boolean {
  const createdAt = cookie.createdAt;
  return typeof createdAt === 'number' && Number.isFinite(createdAt) && createdAt <= now;
}

/** Whether the cookie was last touched (expires − originalMaxAge) less than `window` ms ago (`touchAfter`). */
export function wasTouchedWithin(cookie: Cookie, window: number): boolean {
  const expires = cookie.expires;
  const maxAge = cookie.originalMaxAge;
  if (!(expires instanceof Date) || typeof maxAge !== 'number') return false;
  return Date.now() - (expires.valueOf() - maxAge) < window;
}
