/**
 * The entries of a MemoryStore and their bookkeeping: expiry, the sweep that
 * deletes expired entries, and the least-recently-used order that `max` needs.
 */
import { holdsOnlyCookie, sessionJson } from './session-json.js';
import type { Session, StoredSession } from './session.js';

/**
 * One stored session: the JSON `set` wrote, and a newer cookie's JSON when
 * `touch` has replaced it since (a touch rewrites only that small part), plus
 * the expiry as a number.
 */
export interface Entry {
  json: string;
  touchedCookie: string | undefined;
  expires: number;
  /** Nothing but the cookie (only worked out with `max`): the first to go past it. */
  bare: boolean;
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

/** What one MemoryStore holds. */
export interface MemoryStoreState {
  entries: Map<string, Entry>;
  /** With `max`: the ids of the bare entries, least recently used first (a Set keeps insertion order). */
  bare: Set<string>;
  max: number;
  sweepInterval: number;
  cursor: Iterator<string> | undefined;
  timer: NodeJS.Timeout | undefined;
}

export function createMemoryStoreState(max: number, sweepInterval: number): MemoryStoreState {
  return { entries: new Map(), bare: new Set(), max, sweepInterval, cursor: undefined, timer: undefined };
}

/** A fresh copy of a live session, now the most recently used one (for `max`). */
export function readEntry(state: MemoryStoreState, sid: string): StoredSession | undefined {
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

export function writeEntry(state: MemoryStoreState, sid: string, session: Session | StoredSession): void {
  const bare = state.max !== Infinity && holdsOnlyCookie(session);
  putEntry(state, sid, { json: sessionJson(session), touchedCookie: undefined, expires: expiryOf(session.cookie), bare });
  sweep(state, SWEEP_PER_WRITE);
}

export function touchEntry(state: MemoryStoreState, sid: string, session: Session | StoredSession): void {
  const entry = liveEntry(state, sid);
  if (entry === undefined) return;
  // Only the cookie: the stored data may be newer than this request's copy.
  const cookie = session.cookie;
  entry.touchedCookie = JSON.stringify(cookie);
  entry.expires = expiryOf(cookie);
  putEntry(state, sid, entry);
}

/**
 * Writes an entry. With `max`, it becomes the most recently used one, and past
 * `max` one goes (see `evictionCandidate`). Without, the order is left alone: a
 * rewrite keeps its place, as a key of express-session's `sessions` object
 * does, and a Map that never deletes never rehashes.
 */
export function putEntry(state: MemoryStoreState, sid: string, entry: Entry): void {
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
function evictionCandidate(state: MemoryStoreState): string {
  const bare = state.bare.values().next();
  return bare.done ? state.entries.keys().next().value as string : bare.value;
}

export function removeEntry(state: MemoryStoreState, sid: string): void {
  state.entries.delete(sid);
  state.bare.delete(sid);
}

/** The entry if it exists and has not expired; an expired one is deleted. */
export function liveEntry(state: MemoryStoreState, sid: string): Entry | undefined {
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
function sweep(state: MemoryStoreState, budget: number): void {
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

function startTimer(state: MemoryStoreState): void {
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
export function parseEntry(entry: Entry): StoredSession {
  const session = JSON.parse(entry.json) as StoredSession;
  const touched = entry.touchedCookie;
  if (touched !== undefined) session.cookie = JSON.parse(touched) as StoredSession['cookie'];
  return session;
}

/** The session as express-session would hold it: one JSON string. */
export function entryJson(entry: Entry): string {
  return entry.touchedCookie === undefined ? entry.json : JSON.stringify(parseEntry(entry));
}

/** An entry for a session given as JSON (through `store.sessions`). */
export function parseJsonEntry(state: MemoryStoreState, json: string): Entry {
  const session = JSON.parse(json) as StoredSession | null;
  const bare = state.max !== Infinity && typeof session === 'object' && session !== null && holdsOnlyCookie(session);
  return { json, touchedCookie: undefined, expires: expiryOf(session?.cookie), bare };
}
