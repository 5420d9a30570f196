import { serialize } from 'cookie';
import type { CookieOptions } from './cookie.js';
import { describeValue, numberFix, warnIfMisspelt, warnIfNotBoolean } from './option-values.js';

/** The keys of `CookieOptions` (and `originalMaxAge`, which a stored cookie brings back). */
const COOKIE_OPTION_NAMES = [
  'maxAge', 'expires', 'path', 'domain', 'httpOnly', 'secure', 'sameSite', 'partitioned', 'priority', 'signed', 'encode',
  'originalMaxAge',
] as const;

/**
 * Checks the session cookie's options, throwing a `TypeError` that names the
 * fix for a value that would fail every request or silently never set the
 * cookie (express-session accepted these and failed later: a 500, or a
 * response without `Set-Cookie` and an error after it). A value that works
 * but is probably not meant (`httpOnly: 'false'`) gets a one-time warning.
 * `returned` is for the options a `cookie` function returned at request time.
 */
export function checkCookieOptions(cookie: CookieOptions, returned = false): void {
  const options = cookie as Record<string, unknown>;
  for (const [key, fixFor] of ATTRIBUTE_CHECKS) {
    const fix = fixFor(options[key]);
    if (fix === undefined) continue;
    const where = returned ? `cookie.${key} returned by the cookie option function` : `cookie.${key} option`;
    throw new TypeError(`${where} is invalid: ${describeValue(options[key])}; ${fix}`);
  }
  warnIfNotBoolean('cookie.httpOnly', options.httpOnly);
  warnIfNotBoolean('cookie.partitioned', options.partitioned);
  warnIfMisspelt('cookie options have no', options, COOKIE_OPTION_NAMES);
}

/** Each checked attribute, and the fix for a value that fails it (undefined: the value is fine). */
const ATTRIBUTE_CHECKS: readonly (readonly [string, (value: unknown) => string | undefined])[] = [
  ['maxAge', maxAgeFix],
  ['expires', (value) => (value && !accepted('expires', value) ? 'use a valid Date, or maxAge (milliseconds) instead' : undefined)],
  ['path', pathFix],
  ['domain', (value) => (value != null && value !== '' && (typeof value !== 'string' || !accepted('domain', value))
    ? "use a host name, e.g. domain: 'example.com', or leave it out for a host-only cookie"
    : undefined)],
  ['secure', secureFix],
  ['sameSite', (value) => (value && value !== 'auto' && !accepted('sameSite', value) ? "use 'lax', 'strict', 'none', 'auto', true or false" : undefined)],
  ['priority', (value) => (value && !accepted('priority', value) ? "use 'low', 'medium' or 'high'" : undefined)],
];

function maxAgeFix(maxAge: unknown): string | undefined {
  if (maxAge == null || maxAge === false || maxAge instanceof Date) return undefined;
  if (typeof maxAge !== 'number') return numberFix('maxAge', maxAge, '60 * 60 * 1000');
  return Number.isFinite(maxAge) ? undefined : 'use a finite number of milliseconds';
}

/** A path not starting with '/' matches no request: the middleware would skip them all. */
function pathFix(path: unknown): string | undefined {
  if (path === undefined || path === '' || (typeof path === 'string' && path.startsWith('/') && accepted('path', path))) return undefined;
  return "use a URL path that starts with '/' and has no ';' or control characters, e.g. path: '/'";
}

function secureFix(secure: unknown): string | undefined {
  if (secure == null || typeof secure === 'boolean' || secure === 'auto') return undefined;
  // A truthy string is ambiguous ('false' would mean Secure) and, over HTTP, sends no cookie at all.
  const truthy = Boolean(secure);
  if (truthy) return "use secure: true, secure: false or secure: 'auto' (not a string)";
  warnIfNotBoolean('cookie.secure', secure);
  return undefined;
}

/**
 * The `cookie` option as a function, checking what it returns each time: its
 * values exist only at request time, so a bad one is a `TypeError` for that
 * request (to `next(err)`, before the response) instead of a missing cookie.
 */
export function checkedCookieFunction<Request>(cookie: (req: Request) => CookieOptions): (req: Request) => CookieOptions {
  // Most functions return one of a few objects: each is checked once, the last one remembered.
  let lastChecked: unknown;
  return function checkedCookie(req) {
    const options = cookie(req) as CookieOptions | null | undefined;
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`cookie option function returned ${describeValue(options)}; it must return an object of cookie options, e.g. { maxAge: 60 * 60 * 1000 }`);
    }
    if (options === lastChecked) return options;
    checkCookieOptions(options, true);
    lastChecked = options;
    return options;
  };
}

/** Whether the `cookie` library serializes this attribute value (what it throws on, at every request). */
function accepted(attribute: string, value: unknown): boolean {
  try {
    serialize('a', 'b', { [attribute]: value });
    return true;
  } catch {
    return false;
  }
}
