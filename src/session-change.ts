/**
 * What one request changed in a session, as `concurrency: 'merge'` hands it
 * to a store's optional `merge(sid, change, callback)`: the store applies it
 * to the latest stored version in one atomic step (see README, "Writing a
 * store with an atomic merge").
 */
export interface SessionChange {
  /**
   * The top-level keys the request added or changed, with their new values
   * (JSON-serializable, as the session holds them). A null-prototype object:
   * iterate it with `Object.keys`.
   */
  readonly set: Readonly<Record<string, unknown>>;
  /** The top-level keys the request deleted. */
  readonly deleted: readonly string[];
  /** The session's cookie: it replaces the stored one. */
  readonly cookie: unknown;
}

/**
 * The latest stored version of a session with `change` applied, as a new
 * object: the stored keys in their order, each changed key in its place,
 * added keys after them, deleted keys gone, and the cookie replaced. The
 * stored object is not modified. Stores that merge in their own process
 * (rather than on the server) can use it as it is.
 */
export function applyChange(stored: Readonly<Record<string, unknown>>, change: SessionChange): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  const deleted = new Set(change.deleted);
  for (const key of Object.keys(stored)) {
    if (!deleted.has(key)) define(merged, key, Object.prototype.hasOwnProperty.call(change.set, key) ? change.set[key] : stored[key]);
  }
  for (const key of Object.keys(change.set)) {
    if (!Object.prototype.hasOwnProperty.call(merged, key)) define(merged, key, change.set[key]);
  }
  define(merged, 'cookie', change.cookie);
  return merged;
}

/** An own enumerable data property, even for a key such as `__proto__`. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
