import depd = require('depd');
import * as cookieModule from './cookie.js';
import * as helpers from './helpers.js';
import * as memoryStoreModule from './memory-store.js';
import type * as middlewareModule from './middleware.js';
import { createMiddleware } from './middleware.js';
import type * as optionsModule from './options.js';
import { resolveOptions } from './resolve-options.js';
import type * as publicTypes from './public-types.js';
import * as sessionModule from './session.js';
import type * as sessionChangeModule from './session-change.js';
import type * as signatureModule from './signature.js';
import * as storeModule from './store.js';
import type * as storeCallModule from './store-call.js';

const PRODUCTION = process.env.NODE_ENV === 'production';

// depd reports (and warns once per) the first caller outside the file that
// created it: made here, that is the app's `session({...})` line, as in express-session.
const deprecate = depd('express-session');

/**
 * Creates the session middleware. A drop-in replacement for
 * `require('express-session')`: same options, same cookies, same store calls.
 *
 * @example
 * app.use(session({ secret: 'keyboard cat', resave: false, saveUninitialized: false }))
 */
function session(options?: session.SessionOptions): session.SessionMiddleware {
  const config = resolveOptions(options, deprecate);
  if (PRODUCTION && config.store instanceof memoryStoreModule.MemoryStore) {
    console.warn(
      'Warning: connect.session() MemoryStore keeps sessions in the memory\n'
      + 'of this one process: they are lost when it restarts and are not shared\n'
      + 'with other processes. Use a shared store (Redis, PostgreSQL, ...) in production.',
    );
  }
  return createMiddleware(config);
}

// The order of these runtime members is express-session's own key order.
// eslint-disable-next-line @typescript-eslint/no-namespace
// `Store` and `MemoryStore` are the runtime objects typed as the classes
// @types/express-session declares (see public-types.ts).
namespace session {
  export const Store = storeModule.Store as unknown as typeof publicTypes.Store & publicTypes.StoreFunction;
  export type Store = publicTypes.Store;
  export import Cookie = cookieModule.Cookie;
  export import Session = sessionModule.Session;
  export const MemoryStore = memoryStoreModule.MemoryStore as unknown as typeof publicTypes.MemoryStore & publicTypes.StoreFunction;
  export type MemoryStore = publicTypes.MemoryStore;
  export import getCookieValue = helpers.getCookieValue;
  export import unsigncookie = helpers.unsigncookie;

  /**
   * The data kept in a session. Augment it to type your own keys:
   * `declare module 'express-session-cn' { interface SessionData { views: number } }`
   * (or `declare module 'express-session'` when that name is aliased to this package).
   */
  export interface SessionData {
    cookie: Cookie;
  }

  export type SessionOptions = optionsModule.SessionOptions;
  export type CookieOptions = cookieModule.CookieOptions;
  export type CookieData = cookieModule.CookieData;
  export type SessionMiddleware = middlewareModule.SessionMiddleware;
  export type SessionStore = publicTypes.SessionStore;
  export type StoreCallback<T = void> = storeModule.StoreCallback<T>;
  /** A session as a store holds it: its data and cookie. */
  export type StoredSession = SessionData;
  export type Secret = signatureModule.Secret;
  export type MemoryStoreOptions = memoryStoreModule.MemoryStoreOptions;
  export type RegenerateOptions = sessionModule.RegenerateOptions;
  /** What one request changed in a session, for a store's atomic `merge(sid, change, callback)`. */
  export type SessionChange = sessionChangeModule.SessionChange;
  /** The error of a store call that outlived the `storeTimeout` option (`code: 'ESTORETIMEOUT'`). */
  export type StoreTimeoutError = storeCallModule.StoreTimeoutError;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // Through `extends`, so that @types/express-session, when a store's types load it
    // too, declares these properties without a conflict (see public-types.ts).
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Request extends publicTypes.SessionRequestProperties {}
  }
}

export = session;
