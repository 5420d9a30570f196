import {
  entryJson, parseJsonEntry, putEntry, removeEntry, type MemoryStoreState,
} from './memory-store-entries.js';

/** `store.sessions`: a live `{ [sid]: JSON }` view over the entries, for code written against express-session. */
export function sessionsView(state: MemoryStoreState): Record<string, string> {
  const { entries } = state;
  return new Proxy(Object.create(null) as Record<string, string>, {
    get: (_target, key) => {
      const entry = typeof key === 'string' ? entries.get(key) : undefined;
      return entry && entryJson(entry);
    },
    set: (_target, key, value) => {
      if (typeof key !== 'string') return false;
      putEntry(state, key, parseJsonEntry(state, String(value)));
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

/** `store.sessions = value`: the entries become those of `value`. */
export function replaceAll(state: MemoryStoreState, sessions: Record<string, string> | null | undefined): void {
  // Read first: `sessions` may be this very store's view (`store.sessions = store.sessions`).
  const replacement = Object.entries(sessions ?? {}).map(([sid, json]) => [sid, parseJsonEntry(state, json)] as const);
  state.entries.clear();
  state.bare.clear();
  state.cursor = undefined;
  for (const [sid, entry] of replacement) putEntry(state, sid, entry);
}
