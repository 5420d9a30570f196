import type { KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CookieOptions } from './cookie.js';
import { checkCookieOptions, checkedCookieFunction } from './cookie-options-check.js';
import { deprecate as defaultDeprecate, warnOnce } from './logging.js';
import { MemoryStore } from './memory-store.js';
import { describeValue, numberFix, warnIfMisspelt, warnIfNotBoolean } from './option-values.js';
import type { OptionRequest, OptionResponse, SessionStore as StoreOption } from './public-types.js';
import { generateSessionId } from './session-id-generator.js';
import { resolveIdRule, type IdRule } from './session-id-rule.js';
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

// RFC 6265 cookie-name (an RFC 7230 token): what `cookie.serialize` accepts.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Validates `options` (throwing a `TypeError` that says the fix) and builds the frozen config. */
export function resolveOptions(
  options: SessionOptions | undefined,
  deprecate: (message: string) => void = defaultDeprecate,
): SessionConfig {
  const opts: SessionOptions = options || {};
  if (typeof opts !== 'object') {
    throw new TypeError(`session() options must be an object, got ${typeof opts}`);
  }
  if (isRequest(opts)) {
    throw new TypeError('session() was called as middleware: `app.use(session)` should be `app.use(session({ secret: ... }))`');
  }
  // In express-session's order: which error or deprecation comes first is observable.
  const genid = opts.genid || generateSessionId;
  if (typeof genid !== 'function') {
    throw new TypeError('genid option must be a function');
  }
  warnIfNotBooleans(opts);
  warnIfMisspelt('session() has no option', opts, OPTION_NAMES);
  // Two calls of deprecate, not one in a helper: depd tells warnings apart by where it is called.
  const resave = opts.resave ?? deprecatedTrue(deprecate('undefined resave option; provide resave option'));
  const saveUninitialized = opts.saveUninitialized
    ?? deprecatedTrue(deprecate('undefined saveUninitialized option; provide saveUninitialized option'));
  const unset = opts.unset as unknown;
  if (unset && unset !== 'destroy' && unset !== 'keep') {
    throw new TypeError('unset option must be "destroy" or "keep"');
  }
  const name = resolveName(opts);
  const cookie = resolveCookie(opts.cookie as SessionConfig['cookie'] | undefined);
  // The option types describe what the app sees (Express's `Request` when it has
  // @types/express, any store shape); the config describes what the middleware has.
  const store = resolveStore(opts.store as SessionStore | undefined);
  const storeTimeout = milliseconds(opts, 'storeTimeout', 5000, 2 ** 31 - 1);
  const maxLifetime = milliseconds(opts, 'maxLifetime', 8 * 60 * 60 * 1000);
  const touchAfter = milliseconds(opts, 'touchAfter', 60 * 1000);
  const concurrency = resolveConcurrency(opts.concurrency);
  validateCallbacks(opts);

  // The option types describe what the app sees (Express's `Request` when it has
  // @types/express, any store shape); the config describes what the middleware has.
  return Object.freeze({
    name,
    store: store as SessionStore,
    secrets: resolveSecrets(opts.secret, deprecate),
    cookie: cookie as SessionConfig['cookie'],
    genid: genid as SessionConfig['genid'],
    resave: Boolean(resave),
    rolling: Boolean(opts.rolling),
    saveUninitialized: Boolean(saveUninitialized),
    unsetDestroy: unset === 'destroy',
    proxy: opts.proxy,
    allowUnsigned: Boolean(opts.allowUnsigned),
    isValidId: resolveIdRule(opts.isValidId),
    alternateTokenValue: opts.alternateTokenValue as SessionConfig['alternateTokenValue'],
    skipCookie: opts.skipCookie as SessionConfig['skipCookie'],
    storeTimeout,
    maxLifetime,
    checkExpiry: opts.checkExpiry !== false,
    touchAfter,
    clearCookieOnDestroy: Boolean(opts.clearCookieOnDestroy),
    resendOnExpiryChange: Boolean(opts.resendOnExpiryChange),
    resignOnRotation: Boolean(opts.resignOnRotation),
    concurrency,
  });
}

/** The hook options `alternateTokenValue` and `skipCookie`. */
function validateCallbacks(opts: SessionOptions): void {
  for (const hook of ['alternateTokenValue', 'skipCookie'] as const) {
    if (opts[hook] !== undefined && typeof opts[hook] !== 'function') {
      throw new TypeError(`${hook} option must be a function`);
    }
  }
}

/** `resave` and `saveUninitialized` left out (deprecated, just warned about) mean true. */
function deprecatedTrue(_warned: void): true {
  return true;
}

function resolveName(opts: SessionOptions): string {
  const name = opts.name || opts.key || 'connect.sid';
  if (typeof name !== 'string' || !COOKIE_NAME.test(name)) {
    throw new TypeError(`name option is invalid: ${String(name)} (a cookie name is letters, digits and !#$%&'*+-.^_\`|~ only)`);
  }
  return name;
}

function resolveCookie(option: SessionConfig['cookie'] | undefined): SessionConfig['cookie'] {
  const cookie = option || {};
  if (typeof cookie === 'function') return checkedCookieFunction(cookie);
  if (typeof cookie !== 'object') {
    throw new TypeError(`cookie option must be an object or a function of req, got ${describeValue(cookie)}`);
  }
  checkCookieOptions(cookie);
  return cookie;
}

function resolveStore(option: SessionStore | undefined): SessionStore {
  const store = option || new MemoryStore();
  checkStore(store);
  return store;
}

function resolveConcurrency(option: SessionOptions['concurrency']): SessionConfig['concurrency'] {
  const concurrency = (option ?? 'overwrite') as unknown;
  if (concurrency !== 'overwrite' && concurrency !== 'merge') {
    throw new TypeError(`concurrency option must be "overwrite" or "merge", got ${String(concurrency)}`);
  }
  return concurrency;
}

/** A duration option: undefined, or a positive number of milliseconds (up to `max`). */
function milliseconds(opts: SessionOptions, key: 'storeTimeout' | 'maxLifetime' | 'touchAfter', example: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const value = opts[key] as unknown;
  if (value === undefined) return undefined;
  if (typeof value !== 'number') {
    throw new TypeError(`${key} option is invalid: ${describeValue(value)}; ${numberFix(key, value, String(example))}`);
  }
  if (!(value > 0) || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? 'a positive number' : `a positive number up to ${max}`;
    throw new TypeError(`${key} option is invalid: ${describeValue(value)}; use ${range} of milliseconds, e.g. ${key}: ${example}`);
  }
  return value;
}

/** Every option of `SessionOptions`, to tell a misspelt one (ignored, as in express-session) by a warning. */
const OPTION_NAMES = [
  'secret', 'name', 'key', 'store', 'cookie', 'genid', 'rolling', 'resave', 'proxy', 'saveUninitialized', 'unset',
  'allowUnsigned', 'alternateTokenValue', 'skipCookie', 'storeTimeout', 'maxLifetime', 'checkExpiry', 'touchAfter',
  'clearCookieOnDestroy', 'resendOnExpiryChange', 'resignOnRotation', 'concurrency', 'isValidId',
] as const satisfies readonly (keyof SessionOptions)[];

/** The options express-session (or this package) takes by truthiness: a string there is a warning. */
const BOOLEAN_OPTIONS = ['resave', 'saveUninitialized', 'rolling', 'allowUnsigned', 'clearCookieOnDestroy', 'resendOnExpiryChange', 'resignOnRotation'] as const;

function warnIfNotBooleans(opts: SessionOptions): void {
  for (const key of BOOLEAN_OPTIONS) warnIfNotBoolean(key, opts[key]);
  // Only `false` turns it off.
  warnIfNotBoolean('checkExpiry', opts.checkExpiry, opts.checkExpiry !== false);
  const proxy = opts.proxy as unknown;
  if (proxy != null && typeof proxy !== 'boolean') {
    // As in express-session, only `true` and `false` mean anything; anything else is "not set".
    warnOnce(`proxy option is ${describeValue(proxy)}, which counts as not set (Express's \`trust proxy\` decides); `
      + 'write proxy: true or proxy: false (a boolean), or leave it out');
  }
}

/** A store is an object with get, set and destroy; a class or factory passed instead is named as such. */
function checkStore(store: unknown): void {
  const methods = ['get', 'set', 'destroy'] as const;
  if (store != null && methods.every((method) => typeof (store as Record<string, unknown>)[method] === 'function')) return;
  if (typeof store === 'function') {
    const prototype = (store as { prototype?: Record<string, unknown> }).prototype;
    const name = store.name || 'Store';
    if (prototype && typeof prototype.get === 'function' && typeof prototype.set === 'function') {
      throw new TypeError(`store option is the class ${name}, not a store: did you mean \`new ${name}()\`?`);
    }
    throw new TypeError(`store option is ${describeValue(store)}, not a session store: `
      + 'pass the store object, e.g. store: new MemoryStore() (a store factory such as connect-pg-simple\'s is called with session first)');
  }
  if (store === null || typeof store !== 'object') {
    throw new TypeError(`store option is invalid: ${describeValue(store)}; use a session store object, e.g. store: new MemoryStore()`);
  }
  for (const method of methods) {
    if (typeof (store as Record<string, unknown>)[method] !== 'function') {
      throw new TypeError(`store option must be a session store: it has no ${method}() method`);
    }
  }
}

function resolveSecrets(secret: SessionOptions['secret'], deprecate: (message: string) => void): readonly Secret[] | undefined {
  if (Array.isArray(secret) && secret.length === 0) {
    throw new TypeError('secret option array must contain one or more strings');
  }
  if (secret === '') {
    // express-session took it as "no secret": every request then failed with "secret option required".
    throw new TypeError('secret option is an empty string (is the environment variable it is read from unset?); '
      + 'use a long random string, e.g. secret: process.env.SESSION_SECRET with SESSION_SECRET set');
  }
  if (!secret) {
    deprecate('req.secret; provide secret option');
    return undefined;
  }
  if (!Array.isArray(secret)) return Object.freeze([copySecret(secret, '')]);
  return Object.freeze(secret.map((item, index) => copySecret(item, ` at index ${index}`)));
}

const SECRET_FIX = 'use a non-empty string, a Buffer or a KeyObject, or an array of them';

/**
 * A secret as the middleware keeps it, checked (`where` says which one, for an
 * array). Buffer and TypedArray secrets are copied: bytes the app changes later
 * must not leave old and new keys mixed. An empty key is refused: anyone can
 * compute an HMAC with it. The secret itself never appears in a message.
 */
export function copySecret(value: unknown, where = ''): Secret {
  if (typeof value === 'string' && value.length > 0) return value;
  if (ArrayBuffer.isView(value)) {
    if (value.byteLength === 0) throw emptySecret(`an empty ${value.constructor.name}`, where);
    // Buffer.from of a view copies its bytes (Buffer.from of its ArrayBuffer would share them).
    return Buffer.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'secret') {
    if ((value as KeyObject).symmetricKeySize === 0) throw emptySecret('a KeyObject of 0 bytes', where);
    // A KeyObject cannot be changed: kept as it is.
    return value as KeyObject;
  }
  throw new TypeError(`secret option is invalid${where}: ${secretType(value)}; ${SECRET_FIX}`);
}

function emptySecret(what: string, where: string): TypeError {
  return new TypeError(`secret option is invalid${where}: ${what} (an empty key lets anyone sign cookies: use a long random secret, e.g. crypto.randomBytes(32))`);
}

/** What a bad secret is, without showing it: secrets stay out of error messages and logs. */
function secretType(value: unknown): string {
  if (value === '') return 'an empty string';
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function isRequest(value: object): boolean {
  const candidate = value as Partial<IncomingMessage>;
  return typeof candidate.method === 'string' && typeof candidate.headers === 'object' && 'socket' in candidate;
}

