import type { Cookie, CookieData } from './cookie.js';

/** What a store hands back from `get`: plain data with a serialized cookie. */
export interface StoredSession {
  cookie: Cookie | CookieData | Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * Checks what a store handed back, and parses the cookie's `expires` when it
 * is a string (as JSON stores hand it back): the Date the cookie gets, or
 * undefined when it has none or already has a Date.
 */
export function storedExpiry(data: unknown): Date | undefined {
  assertStoredSession(data);
  const expires = (data.cookie as { expires?: unknown }).expires;
  if (expires == null) return undefined;
  if (typeof expires === 'string') {
    const date = new Date(expires);
    if (!Number.isNaN(date.valueOf())) return date;
  } else if (expires instanceof Date && !Number.isNaN(expires.valueOf())) {
    return undefined;
  }
  throw new TypeError(`session store returned a session whose cookie.expires is not a date (${describe(expires)})`);
}

/**
 * What a store hands back is outside our control: anything but a session with a
 * cookie is one clear error (never a crash later, on the way out). Session ids
 * are bearer secrets, so they are kept out of the message.
 */
function assertStoredSession(data: unknown): asserts data is StoredSession {
  if (typeof data !== 'object' || data === null) {
    throw new TypeError(`session store returned ${describe(data)} from get(), not a session object`);
  }
  const cookie = (data as { cookie?: unknown }).cookie;
  if (typeof cookie !== 'object' || cookie === null) {
    throw new TypeError(`session store returned a session without a cookie object (cookie: ${describe(cookie)})`);
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return `a string${value.length <= 40 ? ` "${value}"` : ''}`;
  return typeof value === 'object' ? (Array.isArray(value) ? 'an array' : 'an object') : `a ${typeof value}`;
}
