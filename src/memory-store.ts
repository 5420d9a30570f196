import { inherits } from 'node:util';
import { sessionJson } from './session-json.js';
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
 * One stored session: the JSON `set` wrote, and a newer cookie's JSON when
 * `touch` has replaced it since (a touch rewrites only that small part), plus
 * the expiry as a number.
 */
interface Entry {
  json: string;
  touchedCookie: string | undefined;
  expires: number;
  /** Nothing but the cookie (only worked out with `max`): the first to go past it. */
  bare: boolean;
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

/**
 * How many entries a write looks at for expired ones. The timer does most of
 * the sweeping; this bounds what piles up between its ticks: a write adds at
 * most one entry and looks at two, so the cursor laps the store faster than
 * writes grow it.
 */
const SWEEP_PER_WRITE = 2;
/** How many entries one timer tick looks at, so a tick stays short. */
const SWEEP_PER_TICK = 50_000;

const kState = Symbol('express-session-cn.memoryStore');

interface State {
  entries: Map<string, Entry>;
  /** With `max`: the ids of the bare entries, least recently used first (a Set keeps insertion order). */
  bare: Set<string>;
  max: number;
  sweepInterval: number;
  cursor: Iterator<string> | undefined;
  timer: NodeJS.Timeout | undefined;
}

type Internal = MemoryStore & { [kState]: State };

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
  const state: State = { entries: new Map(), bare: new Set(), max, sweepInterval, cursor: undefined, timer: undefined };
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

/** A fresh copy of a live session, now the most recently used one (for `max`). */
function readEntry(state: State, sid: string): StoredSession | undefined {
  const entry = liveEntry(state, sid);
  if (entry === undefined) return undefined;
  if (state.max !== Infinity) {
    state.entries.delete(sid);
    state.entries.set(sid, entry);
    if (entry.bare) {
      state.bare.delete(sid);
      state.bare.add(sid);
    }
  }
  return parseEntry(entry);
}

function writeEntry(state: State, sid: string, session: Session | StoredSession): void {
  const bare = state.max !== Infinity && holdsOnlyCookie(session);
  store(state, sid, { json: sessionJson(session), touchedCookie: undefined, expires: expiryOf(session.cookie), bare });
  sweep(state, SWEEP_PER_WRITE);
}

function touchEntry(state: State, sid: string, session: Session | StoredSession): void {
  const entry = liveEntry(state, sid);
  if (entry === undefined) return;
  // Only the cookie: the stored data may be newer than this request's copy.
  const cookie = session.cookie;
  entry.touchedCookie = JSON.stringify(cookie);
  entry.expires = expiryOf(cookie);
  store(state, sid, entry);
}

/**
 * Writes an entry. With `max`, it becomes the most recently used one, and past
 * `max` one goes (see `evictionCandidate`). Without, the order is left alone: a
 * rewrite keeps its place, as a key of express-session's `sessions` object
 * does, and a Map that never deletes never rehashes.
 */
function store(state: State, sid: string, entry: Entry): void {
  const { entries } = state;
  if (state.max !== Infinity) {
    entries.delete(sid);
    state.bare.delete(sid);
    if (entry.bare) state.bare.add(sid);
  }
  entries.set(sid, entry);
  if (entries.size > state.max) removeEntry(state, evictionCandidate(state));
  if (state.timer === undefined) startTimer(state);
}

/**
 * The entry `max` drops: the least recently used one that holds nothing but
 * its cookie, or, when every entry holds data, the least recently used of all.
 * Anonymous visitors then never push out users with data, and a new visitor
 * arriving when every entry holds data is the one dropped (its next request
 * gets a new session, as it would after an eviction). Both are O(1).
 */
function evictionCandidate(state: State): string {
  const bare = state.bare.values().next();
  return bare.done ? state.entries.keys().next().value as string : bare.value;
}

function removeEntry(state: State, sid: string): void {
  state.entries.delete(sid);
  state.bare.delete(sid);
}

/** Whether JSON.stringify would write nothing of the session but its `cookie`. */
function holdsOnlyCookie(session: object): boolean {
  if ((session as { toJSON?: unknown }).toJSON !== undefined) return false;
  let cookie = false;
  for (const key in session) {
    if (key !== 'cookie') return false;
    cookie = true;
  }
  return cookie;
}

/** The entry if it exists and has not expired; an expired one is deleted. */
function liveEntry(state: State, sid: string): Entry | undefined {
  const entry = state.entries.get(sid);
  if (entry === undefined) return undefined;
  if (entry.expires <= Date.now()) {
    removeEntry(state, sid);
    return undefined;
  }
  return entry;
}

/**
 * Looks at the next `budget` entries (a cursor that goes round the whole map)
 * and deletes the expired ones.
 */
function sweep(state: State, budget: number): void {
  const { entries } = state;
  if (entries.size === 0) return;
  const now = Date.now();
  // The size before deleting: bounding by the shrinking size would stop halfway when most entries have expired.
  const count = Math.min(budget, entries.size);
  for (let i = 0; i < count; i++) {
    let next = state.cursor?.next();
    if (!next || next.done) {
      state.cursor = entries.keys();
      next = state.cursor.next();
      if (next.done) return;
    }
    const sid = next.value;
    if (entries.get(sid)!.expires <= now) removeEntry(state, sid);
  }
}

function startTimer(state: State): void {
  const timer = setInterval(() => {
    sweep(state, SWEEP_PER_TICK);
    if (state.entries.size === 0) {
      clearInterval(timer);
      state.timer = undefined;
      state.cursor = undefined;
    }
  }, state.sweepInterval);
  timer.unref();
  state.timer = timer;
}

/** When a session expires, in ms since the epoch: never without a cookie expiry. */
function expiryOf(cookie: unknown): number {
  const expires = (cookie as { expires?: unknown } | null | undefined)?.expires;
  if (!expires) return Infinity;
  const time = expires instanceof Date ? expires.valueOf() : new Date(expires as string).valueOf();
  return Number.isNaN(time) ? Infinity : time;
}

/** A fresh copy of the stored session, with the touched cookie in the cookie's place. */
function parseEntry(entry: Entry): StoredSession {
  const session = JSON.parse(entry.json) as StoredSession;
  const touched = entry.touchedCookie;
  if (touched !== undefined) session.cookie = JSON.parse(touched) as StoredSession['cookie'];
  return session;
}

/** The session as express-session would hold it: one JSON string. */
function entryJson(entry: Entry): string {
  return entry.touchedCookie === undefined ? entry.json : JSON.stringify(parseEntry(entry));
}

function parseJsonEntry(state: State, json: string): Entry {
  const session = JSON.parse(json) as StoredSession | null;
  const bare = state.max !== Infinity && typeof session === 'object' && session !== null && holdsOnlyCookie(session);
  return { json, touchedCookie: undefined, expires: expiryOf(session?.cookie), bare };
}

/** `store.sessions`: a live `{ [sid]: JSON }` view over the entries, for code written against express-session. */
function sessionsView(state: State): Record<string, string> {
  const { entries } = state;
  return new Proxy(Object.create(null) as Record<string, string>, {
    get: (_target, key) => {
      const entry = typeof key === 'string' ? entries.get(key) : undefined;
      return entry && entryJson(entry);
    },
    set: (_target, key, value) => {
      if (typeof key !== 'string') return false;
      store(state, key, parseJsonEntry(state, String(value)));
      return true;
    },
    deleteProperty: (_target, key) => (typeof key === 'string' ? (removeEntry(state, key), true) : true),
    has: (_target, key) => typeof key === 'string' && entries.has(key),
    ownKeys: () => [...entries.keys()],
    getOwnPropertyDescriptor: (_target, key) => {
      const entry = typeof key === 'string' ? entries.get(key) : undefined;
      return entry && { value: entryJson(entry), writable: true, enumerable: true, configurable: true };
    },
  });
}

function replaceAll(state: State, sessions: Record<string, string> | null | undefined): void {
  // Read first: `sessions` may be this very store's view (`store.sessions = store.sessions`).
  const replacement = Object.entries(sessions ?? {}).map(([sid, json]) => [sid, parseJsonEntry(state, json)] as const);
  state.entries.clear();
  state.bare.clear();
  state.cursor = undefined;
  for (const [sid, entry] of replacement) store(state, sid, entry);
}
