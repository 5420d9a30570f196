import { EventEmitter } from 'node:events';
import { inherits } from 'node:util';
import type { SessionChange } from './session-change.js';
import { createSession, type Session, type SessionRequest, type StoredSession } from './session.js';

/** A store callback: an error, or the result. */
export type StoreCallback<T = void> = (err?: unknown, result?: T) => void;

/**
 * What the middleware needs from a store. Stores are duck-typed: any object with
 * `get`, `set` and `destroy` will do (callback or Promise style); `touch` is optional.
 * Third-party stores built on express-session's own `Store` fit this as they are.
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
  generate?(req: SessionRequest): void | Promise<void>;
  on?(event: string | symbol, listener: (...args: unknown[]) => void): unknown;
}

/**
 * Base class for session stores. An ES5 constructor on purpose: many stores do
 * `Store.call(this, options)` with `util.inherits`, which an ES class forbids.
 * Subclasses implement `get`, `set` and `destroy`, and optionally `touch`, `all`,
 * `length` and `clear`.
 */
export interface Store extends EventEmitter {
  get?(sid: string, callback: StoreCallback<StoredSession | null | undefined>): unknown;
  set?(sid: string, session: Session | StoredSession, callback?: StoreCallback): unknown;
  destroy?(sid: string, callback?: StoreCallback): unknown;
  touch?(sid: string, session: Session | StoredSession, callback?: StoreCallback): unknown;
  all?(callback: StoreCallback<Record<string, StoredSession>>): unknown;
  length?(callback: StoreCallback<number>): unknown;
  clear?(callback?: StoreCallback): unknown;
  /** Assigned by `session()`: gives `req` a new session. */
  generate?(req: SessionRequest): void | Promise<void>;
  /** Destroys `req.sessionID` and gives `req` a new session; `fn` gets the destroy error, if any. */
  regenerate(req: SessionRequest, fn: (err?: unknown) => void): void;
  /** Loads a session by id without a request; `fn(null, undefined)` when there is none. */
  load(sid: string, fn: (err?: unknown, session?: Session) => void): void;
  /** Turns stored data into a live `Session` on `req.session`. */
  createSession(req: SessionRequest, session: StoredSession): Session;
}

export interface StoreConstructor {
  new (): Store;
  /** For ES5-style subclasses: `Store.call(this)`. */
  (this: Store): void;
  readonly prototype: Store;
}

export const Store = function Store(this: Store) {
  EventEmitter.call(this);
} as unknown as StoreConstructor;

inherits(Store, EventEmitter);

Store.prototype.regenerate = function regenerate(this: Store, req, fn) {
  this.destroy!(req.sessionID, (err?: unknown) => {
    const pending = this.generate!(req);
    if (pending) pending.then(() => fn(err), fn);
    else fn(err);
  });
};

Store.prototype.load = function load(this: Store, sid, fn) {
  this.get!(sid, (err, sess) => {
    if (err) return fn(err);
    if (!sess) return fn();
    const req = { sessionID: sid, sessionStore: this as SessionStore };
    fn(null, this.createSession(req, sess));
  });
};

Store.prototype.createSession = function (this: Store, req, sess) {
  return createSession(req, sess);
};
