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
  const invalid = (key: string, fix: string): TypeError => new TypeError(returned
    ? `cookie.${key} returned by the cookie option function is invalid: ${describeValue(options[key])}; ${fix}`
    : `cookie.${key} option is invalid: ${describeValue(options[key])}; ${fix}`);

  const { maxAge, expires, path, domain, secure, sameSite, priority } = options;
  if (maxAge != null && maxAge !== false && !(maxAge instanceof Date)) {
    if (typeof maxAge !== 'number') throw invalid('maxAge', numberFix('maxAge', maxAge, '60 * 60 * 1000'));
    if (!Number.isFinite(maxAge)) throw invalid('maxAge', 'use a finite number of milliseconds');
  }
  if (expires && !accepted('expires', expires)) {
    throw invalid('expires', 'use a valid Date, or maxAge (milliseconds) instead');
  }
  if (path !== undefined && (typeof path !== 'string' || (path !== '' && (path[0] !== '/' || !accepted('path', path))))) {
    // A path not starting with '/' matches no request: the middleware would skip them all.
    throw invalid('path', "use a URL path that starts with '/' and has no ';' or control characters, e.g. path: '/'");
  }
  if (domain != null && domain !== '' && (typeof domain !== 'string' || !accepted('domain', domain))) {
    throw invalid('domain', "use a host name, e.g. domain: 'example.com', or leave it out for a host-only cookie");
  }
  if (secure != null && typeof secure !== 'boolean' && secure !== 'auto') {
    // A truthy string is ambiguous ('false' would mean Secure) and, over HTTP, sends no cookie at all.
    if (secure) throw invalid('secure', "use secure: true, secure: false or secure: 'auto' (not a string)");
    warnIfNotBoolean('cookie.secure', secure);
  }
  if (sameSite && sameSite !== 'auto' && !accepted('sameSite', sameSite)) {
    throw invalid('sameSite', "use 'lax', 'strict', 'none', 'auto', true or false");
  }
  if (priority && !accepted('priority', priority)) {
    throw invalid('priority', "use 'low', 'medium' or 'high'");
  }
  warnIfNotBoolean('cookie.httpOnly', options.httpOnly);
  warnIfNotBoolean('cookie.partitioned', options.partitioned);
  warnIfMisspelt('cookie options have no', options, COOKIE_OPTION_NAMES);
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
    const options = cookie(req);
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
