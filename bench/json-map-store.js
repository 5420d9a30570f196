'use strict';
// The benchmark's async store: the same code for every implementation, built on
// that implementation's own `Store` class. It keeps each session as JSON in a Map
// and answers on a later turn of the event loop (setImmediate), as a networked
// store does; touch only moves the expiry, as connect-redis's EXPIRE does.

const classes = new WeakMap();

/** `JsonMapStore` built on `session.Store` (one class per implementation). */
function jsonMapStoreOf(session) {
  let JsonMapStore = classes.get(session);
  if (!JsonMapStore) {
    JsonMapStore = defineJsonMapStore(session.Store);
    classes.set(session, JsonMapStore);
  }
  return JsonMapStore;
}

function defineJsonMapStore(Store) {
  return class JsonMapStore extends Store {
    constructor() {
      super();
      /** sid → { json, expires (ms since epoch) } */
      this.entries = new Map();
    }

    get(sid, callback) {
      setImmediate(() => {
        const entry = this.entries.get(sid);
        if (entry && entry.expires <= Date.now()) this.entries.delete(sid);
        if (!entry || entry.expires <= Date.now()) return callback(null, null);
        callback(null, JSON.parse(entry.json));
      });
    }

    set(sid, session, callback) {
      const json = JSON.stringify(session);
      setImmediate(() => {
        this.entries.set(sid, { json, expires: expiryOf(session) });
        callback?.(null);
      });
    }

    touch(sid, session, callback) {
      setImmediate(() => {
        const entry = this.entries.get(sid);
        if (entry) entry.expires = expiryOf(session);
        callback?.(null);
      });
    }

    destroy(sid, callback) {
      setImmediate(() => {
        this.entries.delete(sid);
        callback?.(null);
      });
    }

    length(callback) {
      setImmediate(() => callback(null, this.entries.size));
    }

    clear(callback) {
      this.entries.clear();
      if (callback) setImmediate(callback, null);
    }

    /** `{ sid: json }` of what is stored now, for the benchmark's checks (synchronous). */
    snapshot() {
      return Object.fromEntries([...this.entries].map(([sid, entry]) => [sid, entry.json]));
    }
  };
}

const DAY = 24 * 60 * 60 * 1000;

function expiryOf(session) {
  const expires = session.cookie?.expires;
  return expires ? new Date(expires).getTime() : Date.now() + DAY;
}

module.exports = { jsonMapStoreOf };
