import { inherits } from 'node:util';
import { Store, type StoreCallback } from './store.js';
import type { Session, StoredSession } from './session.js';

/**
 * An in-process store for development and tests: sessions live in this
 * process's memory as JSON strings, and are lost on restart.
 */
export interface MemoryStore extends Store {
  sessions: Record<string, string>;
  get(sid: string, callback: StoreCallback<StoredSession | undefined>): void;
  set(sid: string, session: Session | StoredSession, callback?: StoreCallback): void;
  destroy(sid: string, callback?: StoreCallback): void;
  touch(sid: string, session: Session | StoredSession, callback?: StoreCallback): void;
  all(callback: StoreCallback<Record<string, StoredSession>>): void;
  length(callback: StoreCallback<number>): void;
  clear(callback?: StoreCallback): void;
}

export interface MemoryStoreConstructor {
  new (): MemoryStore;
  (this: MemoryStore): void;
  readonly prototype: MemoryStore;
}

export const MemoryStore = function MemoryStore(this: MemoryStore) {
  Store.call(this);
  this.sessions = Object.create(null);
} as unknown as MemoryStoreConstructor;

inherits(MemoryStore, Store);

const defer = setImmediate;

MemoryStore.prototype.all = function all(this: MemoryStore, callback) {
  const sessions: Record<string, StoredSession> = Object.create(null);
  for (const sid of Object.keys(this.sessions)) {
    const session = readSession(this, sid);
    if (session) sessions[sid] = session;
  }
  if (callback) defer(callback, null, sessions);
};

MemoryStore.prototype.clear = function clear(this: MemoryStore, callback) {
  this.sessions = Object.create(null);
  if (callback) defer(callback);
};

MemoryStore.prototype.destroy = function destroy(this: MemoryStore, sid, callback) {
  delete this.sessions[sid];
  if (callback) defer(callback);
};

MemoryStore.prototype.get = function get(this: MemoryStore, sid, callback) {
  defer(callback, null, readSession(this, sid));
};

MemoryStore.prototype.set = function set(this: MemoryStore, sid, session, callback) {
  this.sessions[sid] = JSON.stringify(session);
  if (callback) defer(callback);
};

MemoryStore.prototype.length = function length(this: MemoryStore, callback) {
  this.all((err, sessions) => {
    if (err) return callback(err);
    callback(null, Object.keys(sessions!).length);
  });
};

MemoryStore.prototype.touch = function touch(this: MemoryStore, sid, session, callback) {
  const current = readSession(this, sid);
  if (current) {
    current.cookie = session.cookie;
    this.sessions[sid] = JSON.stringify(current);
  }
  if (callback) defer(callback);
};

/** A parsed copy of a live session, or undefined; expired ones are deleted on read. */
function readSession(store: MemoryStore, sid: string): StoredSession | undefined {
  const json = store.sessions[sid];
  if (!json) return undefined;
  const session = JSON.parse(json) as StoredSession;
  const cookie = session.cookie as { expires?: string | Date | null } | undefined;
  if (cookie) {
    const expires = typeof cookie.expires === 'string' ? new Date(cookie.expires) : cookie.expires;
    if (expires && expires.valueOf() <= Date.now()) {
      delete store.sessions[sid];
      return undefined;
    }
  }
  return session;
}
