import type { SessionChange } from './session-change.js';
import { Cookie } from './cookie.js';
import { settle, type Callback } from './callback.js';
import type { Secret } from './signature.js';
import { callStore } from './store-call.js';
import { storedExpiry, type StoredSession } from './stored-session.js';

export type { StoredSession } from './stored-session.js';

/** A store callback: an error, or the result. */
export type StoreCallback<T = void> = (err?: unknown, result?: T) => void;

/**
 * What the middleware needs from a store. Stores are duck-typed: any object with
 * `get`, `set` and `destroy` will do (callback or Promise style); `touch` is optional.
 * Third-party stores built on express-session's own `Store` fit this as they are.
 * Declared here, beside the Session that is saved through it (store.ts builds on both).
 */
export interface SessionStore {
  get(sid: string, callback: StoreCallback<StoredSession | null | undefined>): unknown;
  set(sid: string, session: Session | StoredSession, callback?: StoreCallback): unknown;
  destroy(sid: string, callback?: StoreCallback): unknown;
  touch?(sid: string, session: Session | StoredSession, callback?: StoreCallback): unknown;
  /**
   * Optional: applies one request's change to the latest stored version in one
   * atomic step (`concurrency: 'merge'` uses it when present); calls back with
   * the merged session, or `null` when the session is no longer stored.
   */
  merge?(sid: string, change: SessionChange, callback: StoreCallback<StoredSession | null>): unknown;
  /** Assigned by `session()`: gives `req` a new session. */
  generate?(req: SessionHolder): void | Promise<void>;
  on?(event: string | symbol, listener: (...args: unknown[]) => void): unknown;
}

/**
 * What a session and a store's `generate`/`regenerate` need of a request: its
 * id, its store and the session slot. The middleware's request has them; so
 * has the small object `Store#load` makes.
 */
export interface SessionHolder {
  sessionID: string;
  sessionStore: SessionStore;
  session?: Session;
}

/**
 * Links a session to the middleware request it belongs to. Sessions made by
 * `Store#load` have none.
 */
export interface SessionTracker {
  /** The `storeTimeout` option of the middleware, for the store calls of the session methods. */
  readonly storeTimeout: number | undefined;
  /** The secret that signs this request's cookie (for `getCookieValue`). */
  readonly signingSecret: Secret;
  /**
   * Called when `save()` writes a wrapped session (see `trackSession`). With
   * `written` (a Promise save, whose failure the app may never see), a save
   * that fails does not count as saved.
   */
  saving(session: Session, written: Promise<void> | undefined): void;
  /** Writes the session to the store: a plain `set`, or a merge onto the latest version. */
  write(session: Session): Promise<void>;
  /** Replaces `req.session` with a new, empty session with a new id (`genid` may be async). */
  generate(): void | Promise<void>;
  /** Called when `destroy()` has removed `req.session`. */
  destroyed(session: Session): void;
  /** Deletes a session from the store, in order with its other commits (`concurrency: 'merge'`). */
  remove(sessionId: string): Promise<void>;
  /** With `maxLifetime`: keeps the session's cookie expiry within its absolute end (after a touch). */
  limitLifetime(session: Session): void;
  /** Called when `reload()` has replaced `req.session` with `fresh` (read from the store just now). */
  reloaded(previous: Session, fresh: Session, wrapped: boolean): void;
}

/** Options of `req.session.regenerate(options)`. */
export interface RegenerateOptions {
  /**
   * Carry data over to the new session: `true` for all of it, or the names of
   * the keys to keep (e.g. `['cart']`). The old id is destroyed either way.
   * Naming `id`, `req`, `cookie` or a session method is a `TypeError`, thrown
   * before the old session is touched.
   * @default false (the new session is empty)
   */
  keep?: boolean | readonly string[] | undefined;
}

/** The middleware request that tracks a session (set by `trackSession`). */
const kTracker = Symbol('express-session-cn.tracker');
/**
 * Set on a tracked session that is not wrapped: its `save()` does not update
 * the middleware's record of what was saved. As in express-session, a session
 * made by `regenerate()` is not wrapped, so the login pattern regenerate →
 * save → end of response writes it twice [quirk]. A session object is tracked
 * once, when it is made (`reload()` makes a new one), so the flag never changes.
 */
const kUnwrapped = Symbol('express-session-cn.unwrapped');

/**
 * One user's session: its data are this object's own enumerable properties,
 * next to the `cookie`. `id` and `req` are non-enumerable, so stores that
 * `JSON.stringify` it persist only the data and the cookie.
 */
export class Session {
  declare readonly id: string;
  declare readonly req: SessionHolder;
  declare cookie: Cookie;

  constructor(req: SessionHolder, data?: object | null) {
    Object.defineProperty(this, 'req', { value: req });
    Object.defineProperty(this, 'id', { value: req.sessionID });

    if (typeof data === 'object' && data !== null) {
      const target = this as unknown as Record<string, unknown>;
      const source = data as Record<string, unknown>;
      // Stored keys that collide with anything on the object (methods, `id`,
      // `__proto__`, `constructor`) are dropped, as express-session does.
      for (const prop in source) {
        if (!(prop in this)) {
          target[prop] = source[prop];
        }
      }
    }
  }

  /** Resets `cookie.maxAge` to its original value (an idle-timeout refresh). */
  touch(): this {
    return this.resetMaxAge();
  }

  /** Resets `cookie.maxAge` to `cookie.originalMaxAge` (never past `maxLifetime`'s absolute end). */
  resetMaxAge(): this {
    this.cookie.maxAge = this.cookie.originalMaxAge;
    trackerOf(this)?.limitLifetime(this);
    return this;
  }

  /**
   * Writes the session to the store now. The middleware already does this at the
   * end of the response when needed; call it before a redirect or from a socket.
   * Returns a Promise without a callback.
   */
  save(callback: Callback): this;
  save(): Promise<void>;
  save(callback?: Callback): this | Promise<void> {
    return settle(this, saveSession(this, callback !== undefined), callback);
  }

  /** Re-reads the session from the store into `req.session`. */
  reload(callback: Callback): this;
  reload(): Promise<void>;
  reload(callback?: Callback): this | Promise<void> {
    return settle(this, reloadSession(this), callback);
  }

  /** Removes `req.session` and deletes the session from the store. */
  destroy(callback: Callback): this;
  destroy(): Promise<void>;
  destroy(callback?: Callback): this | Promise<void> {
    return settle(this, destroySession(this), callback);
  }

  /**
   * Deletes this session from the store and gives the request a new one with a
   * new id: empty, or with the data named by `options.keep`. Call it at login.
   */
  regenerate(callback: Callback): this;
  regenerate(options: RegenerateOptions, callback: Callback): this;
  regenerate(options?: RegenerateOptions): Promise<void>;
  regenerate(options?: RegenerateOptions | Callback, callback?: Callback): this | Promise<void> {
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    const kept = keptData(this, options);
    return settle(this, regenerateSession(this, kept), callback);
  }
}

/** Links a session to its middleware request (non-enumerable: stores never see it). */
export function trackSession(session: Session, tracker: SessionTracker, wrapped: boolean): void {
  Object.defineProperty(session, kTracker, { value: tracker, configurable: true });
  if (!wrapped) Object.defineProperty(session, kUnwrapped, { value: true, configurable: true });
}

function trackerOf(session: Session): SessionTracker | undefined {
  return (session as unknown as { [kTracker]?: SessionTracker })[kTracker];
}

function isWrapped(session: Session): boolean {
  return (session as unknown as { [kUnwrapped]?: true })[kUnwrapped] !== true;
}

function isKeyList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((key) => typeof key === 'string');
}

/** The data `regenerate({ keep })` carries over, read before the old session goes. */
function keptData(session: Session, options: RegenerateOptions | null | undefined): Record<string, unknown> | undefined {
  const keep = validateKeep(options);
  if (keep === undefined) return undefined;
  const source = session as unknown as Record<string, unknown>;
  const names = keep === true ? Object.keys(source) : keep;
  const kept: Record<string, unknown> = {};
  for (const name of names) {
    if (name !== 'cookie' && Object.prototype.hasOwnProperty.call(source, name)) kept[name] = source[name];
  }
  return kept;
}

/**
 * `regenerate()`'s options checked before anything happens (a TypeError, the old
 * session untouched): `true`, or the names of data keys. `id`, `req`, `cookie`
 * and the names of Session's methods and built-ins are never data: the new
 * session has its own, and a store's copy of such a key is dropped on load.
 */
export function validateKeep(options: unknown): true | readonly string[] | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== 'object') {
    throw new TypeError(`regenerate() options must be an object, e.g. { keep: ['cart'] }, got ${typeof options}`);
  }
  const { keep } = options as RegenerateOptions;
  if (keep === undefined || keep === false) return undefined;
  if (keep === true) return true;
  if (!isKeyList(keep)) {
    throw new TypeError('regenerate() option keep must be true or an array of key names, e.g. { keep: [\'cart\'] }');
  }
  for (const name of keep) {
    if (isReservedName(name)) {
      throw new TypeError(`regenerate() option keep names "${name}", which is not session data (the new session has its own id, req, cookie and methods): keep only your own keys, e.g. { keep: ['cart'] }`);
    }
  }
  return keep;
}

/** `id`, `req`, `cookie`, and what a session inherits (methods, `constructor`, `__proto__`, `toString`...). */
function isReservedName(name: string): boolean {
  return name === 'id' || name === 'req' || name === 'cookie' || name in Session.prototype;
}

/**
 * Turns what a store returned into a live `Session` on `req.session`. The
 * stored object itself becomes the session data (express-session mutates it too).
 */
export function createSession(req: SessionHolder, data: StoredSession): Session {
  const expiresDate = storedExpiry(data);
  const stored = data.cookie as Record<string, unknown>;
  const originalMaxAge = stored.originalMaxAge;

  const cookie = new Cookie(stored);
  if (expiresDate !== undefined) {
    cookie.expires = expiresDate;
  }
  cookie.originalMaxAge = originalMaxAge as number | null;
  data.cookie = cookie;

  const session = new Session(req, data);
  req.session = session;
  return session;
}

function storeTimeout(session: Session): number | undefined {
  return trackerOf(session)?.storeTimeout;
}

/** The secret the middleware that served `session`'s request signs with, if a middleware did. */
export function signingSecretOf(session: Session | undefined): Secret | undefined {
  return session ? trackerOf(session)?.signingSecret : undefined;
}

/** `reported`: a callback gets the outcome, so a failure is the app's to handle (as in express-session). */
function saveSession(session: Session, reported: boolean): Promise<void> {
  const tracker = trackerOf(session);
  if (!tracker) return callStore(session.req.sessionStore, 'set', [session.id, session], storeTimeout(session));
  const written = tracker.write(session);
  if (isWrapped(session)) tracker.saving(session, reported ? undefined : written);
  return written;
}

async function reloadSession(session: Session): Promise<void> {
  const req = session.req;
  const data = await callStore<StoredSession | null | undefined>(req.sessionStore, 'get', [session.id], storeTimeout(session));
  if (!data) {
    throw new Error('failed to load session');
  }
  const fresh = createSession(req, data);
  trackerOf(session)?.reloaded(session, fresh, isWrapped(session));
}

function destroySession(session: Session): Promise<void> {
  delete session.req.session;
  const tracker = trackerOf(session);
  if (!tracker) return callStore(session.req.sessionStore, 'destroy', [session.id], storeTimeout(session));
  tracker.destroyed(session);
  return tracker.remove(session.id);
}

async function regenerateSession(session: Session, kept: Record<string, unknown> | undefined): Promise<void> {
  const req = session.req;
  const store = req.sessionStore;
  const tracker = trackerOf(session);
  let failure: unknown;
  try {
    await (tracker ? tracker.remove(req.sessionID) : callStore(store, 'destroy', [req.sessionID], storeTimeout(session)));
  } catch (err) {
    failure = err;
  }
  // A new session even when the old one could not be deleted, as express-session does.
  if (tracker) await tracker.generate();
  else if (typeof store.generate === 'function') await store.generate(req);
  else throw new Error('session store has no generate(); attach it to a session() middleware first');
  if (kept !== undefined && req.session) Object.assign(req.session, kept);
  if (failure !== undefined) throw failure;
}
