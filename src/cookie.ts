import { serialize } from 'cookie';
import depd = require('depd');

// Created here, depd reports the first caller outside this file (the app's
// `new Cookie(...)` or `cookie.maxAge = ...` line), as express-session's cookie.js does.
const deprecate = depd('express-session');

/** The `SameSite` attribute as the `cookie` package accepts it; `true` means `Strict`. */
export type CookieSameSite = boolean | 'lax' | 'strict' | 'none';

/** The `Priority` attribute (a Chrome extension to RFC 6265). */
export type CookiePriority = 'low' | 'medium' | 'high';

/**
 * Settings of the session ID cookie. Only used when a session is created: a
 * session loaded from the store keeps the cookie settings it was saved with.
 */
export interface CookieOptions {
  /**
   * Lifetime in milliseconds from the last time the cookie was touched.
   * `null` makes a browser-session cookie (no `Expires`).
   * @default null
   */
  maxAge?: number | null | undefined;
  /**
   * Absolute expiry. Setting `maxAge` is usually what you want: the last of
   * `expires` and `maxAge` in key order wins.
   * @default null
   */
  expires?: Date | null | undefined;
  /**
   * `Path` attribute; the session middleware also skips requests whose path
   * does not start with it.
   * @default '/'
   */
  path?: string | undefined;
  /** `Domain` attribute. @default undefined (host-only cookie) */
  domain?: string | undefined;
  /** `HttpOnly` attribute: hides the cookie from `document.cookie`. @default true */
  httpOnly?: boolean | undefined;
  /**
   * `Secure` attribute. `'auto'` sets it when the request is secure (HTTPS, or
   * `X-Forwarded-Proto: https` with `proxy`/`trust proxy`). When it is set and
   * the request is not secure, no cookie is sent.
   * @default undefined (not set)
   */
  secure?: boolean | 'auto' | undefined;
  /**
   * `SameSite` attribute. `'auto'` means `'none'` over a secure request and
   * `'lax'` otherwise.
   * @default undefined (not set)
   */
  sameSite?: CookieSameSite | 'auto' | undefined;
  /** `Partitioned` attribute (CHIPS). @default undefined */
  partitioned?: boolean | undefined;
  /** `Priority` attribute. @default undefined */
  priority?: CookiePriority | undefined;
  /** Accepted for compatibility with express-session's types; the session cookie is always signed. */
  signed?: boolean | undefined;
  /** Accepted for compatibility with express-session's types; not used when serializing. */
  encode?: ((value: string) => string) | undefined;
}

/** The attributes a cookie is stored and serialized with (`Cookie#data`). */
export interface CookieData {
  originalMaxAge: number | null;
  partitioned: boolean | undefined;
  priority: CookiePriority | undefined;
  expires: Date | null | undefined;
  secure: boolean | 'auto' | undefined;
  httpOnly: boolean;
  domain: string | undefined;
  path: string;
  sameSite: CookieSameSite | 'auto' | undefined;
  /** When the session was created (ms since the epoch); only with the `maxLifetime` option. */
  createdAt?: number;
}

/**
 * The session cookie, as express-session models it. Its own enumerable state is
 * what stores persist (through `toJSON`), so the fields below are declared, not
 * initialised: class fields would become own properties in the wrong order.
 */
export class Cookie {
  declare path: string;
  declare _expires: Date | null | undefined;
  declare originalMaxAge: number | null;
  declare httpOnly: boolean;
  declare domain?: string;
  declare secure?: boolean | 'auto';
  declare sameSite?: CookieSameSite | 'auto';
  declare partitioned?: boolean;
  declare priority?: CookiePriority;
  /** When the session was created (ms since the epoch); kept only with the `maxLifetime` option. */
  declare createdAt?: number;

  constructor(options?: CookieOptions) {
    this.path = '/';
    this.maxAge = null;
    this.httpOnly = true;

    if (options) {
      if (typeof options !== 'object') {
        throw new TypeError('argument options must be a object');
      }
      const target = this as unknown as Record<string, unknown>;
      for (const key in options) {
        // `__proto__` from a parsed store record would swap this object's prototype.
        if (key !== 'data' && key !== '__proto__') {
          target[key] = (options as Record<string, unknown>)[key];
        }
      }
    }

    // Undefined when the options had none (a stored cookie may lack it).
    if ((this.originalMaxAge as number | null | undefined) == null) {
      this.originalMaxAge = this.maxAge;
    }
  }

  /** Absolute expiry; setting it also recomputes `originalMaxAge`. */
  set expires(date: Date | null | undefined) {
    this._expires = date;
    this.originalMaxAge = this.maxAge;
  }

  get expires(): Date | null | undefined {
    return this._expires;
  }

  /** Milliseconds until expiry (setting it moves `expires` to now + ms). */
  set maxAge(ms: number | Date | null | undefined) {
    if (ms && typeof ms !== 'number' && !(ms instanceof Date)) {
      throw new TypeError('maxAge must be a number or Date');
    }
    if (ms instanceof Date) {
      deprecate('maxAge as Date; pass number of milliseconds instead');
    }
    this.expires = typeof ms === 'number' ? new Date(Date.now() + ms) : ms;
  }

  get maxAge(): number | null {
    const expires = this._expires;
    // A stored ISO string is passed through as-is until createSession turns it into a Date.
    return expires instanceof Date ? expires.valueOf() - Date.now() : (expires as null);
  }

  /** The attributes in express-session's order, as stores persist them. */
  get data(): CookieData {
    const data: CookieData = {
      originalMaxAge: this.originalMaxAge,
      partitioned: this.partitioned,
      priority: this.priority,
      expires: this._expires,
      secure: this.secure,
      httpOnly: this.httpOnly,
      domain: this.domain,
      path: this.path,
      sameSite: this.sameSite,
    };
    if (this.createdAt !== undefined) data.createdAt = this.createdAt;
    return data;
  }

  /** `name=value; attributes`, as sent in `Set-Cookie`. */
  serialize(name: string, value: string): string {
    return serialize(name, value, this.data as Parameters<typeof serialize>[2]);
  }

  toJSON(): CookieData {
    return this.data;
  }
}
