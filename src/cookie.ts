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

    if (this.originalMaxAge === undefined || this.originalMaxAge === null) {
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

/**
 * A cookie as a store holds it: `JSON.parse(JSON.stringify(cookie))`, except
 * that a valid `expires` is kept as a Date, to be turned into its JSON (an ISO
 * string) only when read: formatting it is most of the cost of a touch.
 */
export type CookieRecord = Record<string, string | number | boolean | null | Date>;

const cookieToJSON = Cookie.prototype.toJSON;
const dateToJSON = Date.prototype.toJSON;

/**
 * The `CookieRecord` of a `Cookie`, without the round trip through a string:
 * the keys of its JSON in the same order, non-finite numbers as null,
 * undefined attributes left out, and a valid `expires` as a Date of its own.
 * Undefined when that cannot be told field by field (not a plain `Cookie`, or
 * an attribute holding an object): the caller then takes the JSON road.
 */
export function cookieRecordOf(cookie: unknown): CookieRecord | undefined {
  if (!(cookie instanceof Cookie) || cookie.toJSON !== cookieToJSON) return undefined;
  const record: CookieRecord = {};
  const data = cookie.data as unknown as Record<string, unknown>;
  for (const key in data) {
    const value = data[key];
    if (value === undefined) continue;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') {
      record[key] = value;
    } else if (typeof value === 'number') {
      record[key] = Number.isFinite(value) ? value + 0 : null; // + 0: -0 is written as 0
    } else if (value instanceof Date && value.toJSON === dateToJSON) {
      const time = value.valueOf();
      record[key] = Number.isNaN(time) ? null : new Date(time);
    } else {
      return undefined;
    }
  }
  return record;
}

/**
 * A fresh copy of a `CookieRecord`, as JSON would have it (`expires` as its
 * ISO string), or, with `keepDates`, with a fresh Date in its place.
 */
export function copyCookieRecord(record: CookieRecord, keepDates: boolean): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...record };
  for (const key in copy) {
    const value = copy[key];
    if (value instanceof Date) copy[key] = keepDates ? new Date(value.valueOf()) : value.toJSON();
  }
  return copy;
}
