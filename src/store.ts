import { EventEmitter } from 'node:events';
import { inherits } from 'node:util';
import { createSession, type Session, type SessionHolder, type SessionStore, type StoreCallback, type StoredSession } from './session.js';

// The store contract is declared beside Session (session.ts), which is saved through it.
export type { SessionStore, StoreCallback } from './session.js';

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
  generate?(req: SessionHolder): void | Promise<void>;
  /** Destroys `req.sessionID` and gives `req` a new session; `fn` gets the destroy error, if any. */
  regenerate(req: SessionHolder, fn: (err?: unknown) => void): void;
  /** Loads a session by id without a request; `fn(null, undefined)` when there is none. */
  load(sid: string, fn: (err?: unknown, session?: Session) => void): void;
  /** Turns stored data into a live `Session` on `req.session`. */
  createSession(req: SessionHolder, session: StoredSession): Session;
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
