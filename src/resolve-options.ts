import type { IncomingMessage } from 'node:http';
import { checkCookieOptions, checkedCookieFunction } from './cookie-options-check.js';
import { deprecate as defaultDeprecate, warnOnce } from './logging.js';
import { MemoryStore } from './memory-store.js';
import { describeValue, numberFix, warnIfMisspelt, warnIfNotBoolean } from './option-values.js';
import type { SessionConfig, SessionOptions } from './options.js';
import { resolveSecrets } from './secret-option.js';
import { generateSessionId } from './session-id-generator.js';
import { resolveIdRule } from './session-id-rule.js';
import type { SessionStore } from './store.js';

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

function isRequest(value: object): boolean {
  const candidate = value as Partial<IncomingMessage>;
  return typeof candidate.method === 'string' && typeof candidate.headers === 'object' && 'socket' in candidate;
}
