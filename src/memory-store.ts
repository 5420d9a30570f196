import { inherits } from 'node:util';
import {
  createMemoryStoreState, liveEntry, parseEntry, readEntry, removeEntry, touchEntry, writeEntry, type MemoryStoreState,
} from './memory-store-entries.js';
import { replaceAll, sessionsView } from './memory-store-sessions.js';
import { Store, type StoreCallback } from './store.js';
import type { Session, StoredSession } from './session.js';

/** Options of `new MemoryStore(options)`. */
export interface MemoryStoreOptions {
  /**
   * The most sessions to keep. Past it, the least recently used session that
   * holds nothing but its cookie is dropped (a visitor who stored no data), or,
   * when every session holds data, the least recently used one. A flood of
   * requests without a cookie (with `saveUninitialized: true`) then pushes out
   * only other sessions without data; a flood that stores data in new sessions
   * still pushes out the least recently used users.
   * @default Infinity
   */
  max?: number | undefined;
  /**
   * How often (ms) a background sweep deletes expired sessions. The timer runs
   * only while the store holds sessions and never keeps the process alive.
   * @default 1000
   */
  sweepInterval?: number | undefined;
}

/**
 * An in-process store for development, tests and single-process apps. Sessions
 * are kept as JSON (every `get` returns a fresh copy), expire on time, are swept
 * as new sessions are written and on an unref'd timer, and can be capped by
 * `max` (least recently used first out, sessions without data before those
 * with). They are lost on restart and not shared between processes.
 */
export interface MemoryStore extends Store {
  /**
   * express-session's view of the contents, `{ [sid]: JSON }`. Reading,
   * writing and deleting keys work as they did there.
   */
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
  new (options?: MemoryStoreOptions): MemoryStore;
  (this: MemoryStore, options?: MemoryStoreOptions): void;
  readonly prototype: MemoryStore;
}

const kState = Symbol('express-session-cn.memoryStore');

type Internal = MemoryStore & { [kState]: MemoryStoreState };

// `length` 0, as express-session's: options are read from `arguments`.
export const MemoryStore = function MemoryStore(this: MemoryStore) {
  Store.call(this);
  // eslint-disable-next-line prefer-rest-params
  const options = (arguments[0] ?? {}) as MemoryStoreOptions;
  const max = options.max ?? Infinity;
  if (typeof max !== 'number' || !(max >= 1)) {
    throw new TypeError(`max option is invalid: ${String(max)} (use a whole number of sessions, 1 or more)`);
  }
  const sweepInterval = options.sweepInterval ?? 1000;
  if (typeof sweepInterval !== 'number' || !(sweepInterval > 0) || !Number.isFinite(sweepInterval)) {
    throw new TypeError(`sweepInterval option is invalid: ${String(sweepInterval)} (use milliseconds, e.g. 1000)`);
  }
  const state = createMemoryStoreState(max, sweepInterval);
  Object.defineProperty(this, kState, { value: state });
  Object.defineProperty(this, 'sessions', {
    configurable: true,
    enumerable: true,
    get: () => sessionsView(state),
    set: (value: Record<string, string>) => replaceAll(state, value),
  });
} as unknown as MemoryStoreConstructor;

inherits(MemoryStore, Store);

const defer = setImmediate;

MemoryStore.prototype.all = function all(this: Internal, callback?: StoreCallback<Record<string, StoredSession>>) {
  const state = this[kState];
  const sessions: Record<string, StoredSession> = Object.create(null);
  for (const sid of [...state.entries.keys()]) {
    const entry = liveEntry(state, sid);
    if (entry) sessions[sid] = parseEntry(entry);
  }
  if (callback) defer(callback, null, sessions);
};

MemoryStore.prototype.clear = function clear(this: Internal, callback) {
  this[kState].entries.clear();
  this[kState].bare.clear();
  if (callback) defer(callback);
};

MemoryStore.prototype.destroy = function destroy(this: Internal, sid, callback) {
  removeEntry(this[kState], sid);
  if (callback) defer(callback);
};

MemoryStore.prototype.get = function get(this: Internal, sid, callback) {
  defer(callback, null, readEntry(this[kState], sid));
};

MemoryStore.prototype.set = function set(this: Internal, sid, session, callback) {
  writeEntry(this[kState], sid, session);
  if (callback) defer(callback);
};

MemoryStore.prototype.length = function length(this: Internal, callback) {
  this.all((err, sessions) => {
    if (err) return callback(err);
    callback(null, Object.keys(sessions!).length);
  });
};

MemoryStore.prototype.touch = function touch(this: Internal, sid, session, callback) {
  touchEntry(this[kState], sid, session);
  if (callback) defer(callback);
};
