import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CookieOptions } from './cookie.js';
import type { OptionRequest, OptionResponse, SessionStore as StoreOption } from './public-types.js';
import type { IdRule } from './session-id-rule.js';
import type { Secret } from './signature.js';
import type { SessionStore } from './store.js';

/** The request as the middleware and the option callbacks see it. */
export interface SessionIncomingMessage extends IncomingMessage {
  sessionID?: string;
  /** Set by cookie-parser; used as the secret when the `secret` option is missing. */
  secret?: string;
  /** Set by Express; the path check uses it so that mounted apps see the full path. */
  originalUrl?: string;
  /** Set by Express (`trust proxy`); read when `proxy` is not given. */
  secure?: boolean;
  /** Set by cookie-parser; read when the Cookie header has no session cookie. */
  signedCookies?: Record<string, unknown>;
  /** Set by cookie-parser; read when the Cookie header has no session cookie. */
  cookies?: Record<string, unknown>;
}

/** Options of `session(options)`. Every one is optional. */
export interface SessionOptions {
  /**
   * Secret(s) used to sign the session ID cookie: a string, a Buffer (or
   * another TypedArray), a `KeyObject`, or an array of them. The first signs;
   * all are tried when verifying, so a new secret can be put first while old
   * cookies stay valid. Buffers are copied by `session()`: changing their bytes
   * later changes nothing. An empty string, Buffer or KeyObject is a TypeError.
   * Without it, `req.secret` (set by cookie-parser) is used.
   * @default undefined
   */
  secret?: Secret | Secret[] | undefined;
  /**
   * Name of the session ID cookie.
   * @default 'connect.sid'
   */
  name?: string | undefined;
  /**
   * Legacy alias of `name` (from connect's session); `name` wins when both are given.
   * @deprecated use `name`
   */
  key?: string | undefined;
  /**
   * Where sessions are kept. Any object with `get`, `set` and `destroy`
   * (callback- or Promise-style) works; `touch` is used when present.
   * @default new MemoryStore()
   */
  store?: StoreOption | undefined;
  /**
   * Settings for the session ID cookie, or a function of the request returning them
   * (Express's `Request` when `@types/express` is installed, else `IncomingMessage`).
   * @default { path: '/', httpOnly: true, secure: false, maxAge: null }
   */
  cookie?: CookieOptions | ((req: OptionRequest) => CookieOptions) | undefined;
  /**
   * Makes a new session ID. Must return a unique, unguessable string.
   * @default 24 random bytes from the CSPRNG as base64url (32 characters)
   */
  genid?: ((req: OptionRequest) => string | Promise<string>) | undefined;
  /**
   * Send the cookie (and reset its expiry) on every response, not only when the
   * session is new or changed.
   * @default false
   */
  rolling?: boolean | undefined;
  /**
   * Save the session on every response, even when unchanged. Leaving it out is
   * deprecated (it then defaults to `true`); `false` is usually what you want.
   * @default true (with a deprecation warning when left out)
   */
  resave?: boolean | undefined;
  /**
   * Trust `X-Forwarded-Proto` for `secure` cookies: `true` trusts its first
   * value, `false` only trusts a TLS socket, and leaving it out follows
   * Express's `trust proxy` setting (`req.secure`).
   * @default undefined
   */
  proxy?: boolean | undefined;
  /**
   * Save (and send a cookie for) new sessions that were never modified. Leaving
   * it out is deprecated (it then defaults to `true`); `false` helps with login
   * sessions and cookie consent laws.
   * @default true (with a deprecation warning when left out)
   */
  saveUninitialized?: boolean | undefined;
  /**
   * What happens to the stored session when `req.session` is deleted or set to
   * null: `'keep'` leaves it in the store, `'destroy'` deletes it at the end of the response.
   * @default 'keep'
   */
  unset?: 'destroy' | 'keep' | undefined;
  /**
   * Accept an unsigned session ID (a value without `s:`) from the cookie, the
   * cookie-parser objects or `alternateTokenValue`. This removes the signature
   * check: keep it off unless migrating clients that hold raw IDs. A raw value
   * becomes an id only if it looks like one: see `isValidId`.
   * @default false
   */
  allowUnsigned?: boolean | undefined;
  /**
   * Which session IDs read from a request may reach the store: a RegExp the ID
   * must match (anchor it, `/^…$/`) or a function returning `true`. Give it
   * with `allowUnsigned` and a custom `genid`, to describe your IDs; it then
   * applies to signed IDs too. Whatever it says, an ID with a control
   * character, a `.` or `..` path segment, or more than 256 characters never
   * reaches the store, signed or not, and a `genid` that returns one is an error.
   * @default undefined: signed IDs pass; unsigned ones (`allowUnsigned`) must
   * look like the default genid's (32 characters of base64url)
   */
  isValidId?: RegExp | ((id: string) => boolean) | undefined;
  /**
   * Where to look for the session ID when no valid cookie carries one, e.g. an
   * `Authorization` header. It gets the same signature check as a cookie value.
   * May return a Promise.
   * @default undefined (no alternate source)
   */
  alternateTokenValue?:
    | ((req: OptionRequest) => string | null | undefined | Promise<string | null | undefined>)
    | undefined;
  /**
   * Return `true` to send no `Set-Cookie` for this response (API clients that
   * carry the ID elsewhere). The session is still saved as usual.
   * @default undefined (cookies are sent by the usual rules)
   */
  skipCookie?:
    | ((req: OptionRequest, res: OptionResponse, next: (err?: unknown) => void) => boolean)
    | undefined;
  /**
   * Give up on a store call (`get`, `set`, `touch`, `destroy`, also from
   * `req.session` methods) that has not answered after this many milliseconds:
   * the request gets a `StoreTimeoutError` (`code: 'ESTORETIMEOUT'`) instead of
   * hanging forever. Off by default, as in express-session.
   * @default undefined (wait as long as the store takes)
   */
  storeTimeout?: number | undefined;
  /**
   * Absolute lifetime in milliseconds: a session ends `maxLifetime` after it was
   * created, however active it is (OWASP's absolute timeout), while `cookie.maxAge`
   * with `rolling` is the idle timeout. The creation time is kept in the session's
   * cookie data (`cookie.createdAt`), and `cookie.expires` never passes the
   * absolute end, so stores that take their TTL from the cookie expire it on time.
   * @default undefined (no absolute limit)
   */
  maxLifetime?: number | undefined;
  /**
   * Never use a loaded session whose `cookie.expires` (or absolute end) has
   * passed, even if the store still returns it: the client gets a fresh session
   * and the stale one is destroyed. Changes nothing with stores that expire on time.
   * @default true
   */
  checkExpiry?: boolean | undefined;
  /**
   * Skip `store.touch` for a session touched less than this many milliseconds
   * ago, to cut store writes for busy read-only sessions. The store's expiry may
   * then lag the cookie's by up to this much.
   * @default undefined (touch on every response, as express-session)
   */
  touchAfter?: number | undefined;
  /**
   * When a session is destroyed (`req.session.destroy()`, or `unset: 'destroy'`),
   * send a `Set-Cookie` that expires the cookie at once.
   * @default false
   */
  clearCookieOnDestroy?: boolean | undefined;
  /**
   * Send the cookie again when the app changed `req.session.cookie.maxAge` or
   * `expires` during the request (e.g. "remember me"), even without `rolling`.
   * @default false
   */
  resendOnExpiryChange?: boolean | undefined;
  /**
   * Re-issue a cookie that was verified with an older secret (any but the first
   * in `secret`), signed with the current one, so rotation completes as users return.
   * @default false
   */
  resignOnRotation?: boolean | undefined;
  /**
   * How a save treats changes made meanwhile by other requests on the same
   * session. `'overwrite'` writes this request's whole copy (express-session:
   * the last request to finish wins, and a parallel request's change is lost).
   * `'merge'` writes only the top-level keys this request added, changed or
   * deleted onto the latest stored version, and runs the commits of one session
   * one at a time inside this process, so parallel requests lose nothing.
   * @default 'overwrite'
   */
  concurrency?: 'overwrite' | 'merge' | undefined;
}

/** The options after validation and defaulting: read once per middleware, frozen. */
export interface SessionConfig {
  readonly name: string;
  readonly store: SessionStore;
  /** Undefined when `req.secret` is to be used. */
  readonly secrets: readonly Secret[] | undefined;
  readonly cookie: CookieOptions | ((req: SessionIncomingMessage) => CookieOptions);
  readonly genid: (req: SessionIncomingMessage) => string | Promise<string>;
  readonly resave: boolean;
  readonly rolling: boolean;
  readonly saveUninitialized: boolean;
  readonly unsetDestroy: boolean;
  readonly proxy: boolean | undefined;
  readonly allowUnsigned: boolean;
  /** The `isValidId` option as a function; undefined for the default rule. */
  readonly isValidId: IdRule | undefined;
  readonly alternateTokenValue:
    | ((req: SessionIncomingMessage) => string | null | undefined | Promise<string | null | undefined>)
    | undefined;
  readonly skipCookie:
    | ((req: SessionIncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => boolean)
    | undefined;
  readonly storeTimeout: number | undefined;
  readonly maxLifetime: number | undefined;
  readonly checkExpiry: boolean;
  readonly touchAfter: number | undefined;
  readonly clearCookieOnDestroy: boolean;
  readonly resendOnExpiryChange: boolean;
  readonly resignOnRotation: boolean;
  readonly concurrency: 'overwrite' | 'merge';
}
