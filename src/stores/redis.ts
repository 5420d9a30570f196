import { applyChange, type SessionChange } from '../session-change.js';

/**
 * `express-session-cn/redis`: gives connect-redis (unmodified) an atomic
 * `merge`, so that `concurrency: 'merge'` loses no update even when several
 * processes write one session at once.
 *
 * The merge reads the stored value, applies the change in this process with
 * the store's own serializer, and writes it back with a compare-and-set
 * script: the write happens only if the value is still the one that was read,
 * else it starts again from the newer value. Nothing is parsed on the Redis
 * server, so data round-trips exactly as the store's own `set` writes it (no
 * Lua cjson, which would turn `[]` into `{}`), and the key, serializer and TTL
 * rules are the store's own.
 */

/** The connect-redis store fields the merge follows (connect-redis 7 and later). */
export interface RedisStoreLike {
  prefix: string;
  serializer: { parse(text: string): unknown; stringify(value: unknown): string };
  disableTTL?: boolean;
  client?: unknown;
  /** connect-redis 9 and later. */
  getTTL?(session: unknown): number;
  /** connect-redis 7 and 8. */
  _getTTL?(session: unknown): number;
}

/** Options of `withAtomicMerge`. */
export interface RedisMergeOptions {
  /**
   * The `redis` (node-redis 4 or later) or `ioredis` client to run the merge
   * on. connect-redis 9+ keeps the app's client as `store.client`; 7 and 8
   * wrap it, so pass it here.
   * @default store.client
   */
  client?: unknown;
  /**
   * How many times a merge starts again when another process wrote the
   * session between its read and its write, before it fails.
   * @default 100
   */
  maxAttempts?: number;
}

/** The store, with `merge(sid, change, callback)` added. */
export type WithMerge<S> = S & {
  merge(sid: string, change: SessionChange, callback: (err: unknown, merged?: Record<string, unknown> | null) => void): void;
};

/**
 * Compare-and-set: writes ARGV[2] only if the key still holds ARGV[1].
 * Replies {1} written, {0} gone, {2, current} changed meanwhile. A TTL of
 * 0 or less deletes the session, as the store's `set` does; an empty TTL
 * (`disableTTL`) writes without one.
 */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if not current then return {0} end
if current ~= ARGV[1] then return {2, current} end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[2])
elseif tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
else
  redis.call('DEL', KEYS[1])
end
return {1}
`;

type Reply = [0] | [1] | [2, string];

interface Eval {
  get(key: string): Promise<string | null>;
  compareAndSet(key: string, expected: string, value: string, ttl: string): Promise<Reply>;
}

/** Adds an atomic `merge` to a connect-redis store (in place) and returns it. */
export function withAtomicMerge<S extends RedisStoreLike>(store: S, options: RedisMergeOptions = {}): WithMerge<S> {
  // Checked at run time too: JavaScript callers pass anything.
  const candidate = store as unknown as Partial<RedisStoreLike> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.prefix !== 'string' || typeof candidate.serializer?.stringify !== 'function') {
    throw new TypeError('withAtomicMerge(store) expects a connect-redis store, e.g. withAtomicMerge(new RedisStore({ client }))');
  }
  const redis = clientOf(options.client ?? store.client);
  const maxAttempts = options.maxAttempts ?? 100;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new TypeError(`withAtomicMerge option maxAttempts must be a whole number of at least 1, got ${String(maxAttempts)}`);
  }
  const ttlOf = (session: unknown): number => (store.getTTL ?? store._getTTL)!.call(store, session);

  const merge = async (sid: string, change: SessionChange): Promise<Record<string, unknown> | null> => {
    const key = store.prefix + sid;
    let current = await redis.get(key);
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (current === null) return null;
      const merged = applyChange((await store.serializer.parse(current)) as Record<string, unknown>, change);
      const ttl = ttlOf(merged);
      // As the store's set: a TTL of 0 or less deletes, disableTTL writes without one.
      const reply = await redis.compareAndSet(key, current, store.serializer.stringify(merged), store.disableTTL && ttl > 0 ? '' : String(ttl));
      if (reply[0] === 1) return merged;
      current = reply[0] === 0 ? null : reply[1];
    }
    throw new Error(`session merge gave up after ${maxAttempts} attempts: other writers kept changing the session between its read and its write`);
  };

  Object.defineProperty(store, 'merge', {
    value(sid: string, change: SessionChange, callback: (err: unknown, merged?: Record<string, unknown> | null) => void) {
      merge(sid, change).then((merged) => callback(null, merged), callback);
    },
    configurable: true,
    writable: true,
  });
  return store as WithMerge<S>;
}

/** Runs the script on either client library. */
function clientOf(client: unknown): Eval {
  const c = client as Record<string, unknown> | null | undefined;
  if (typeof c?.get !== 'function' || typeof c.eval !== 'function') {
    throw new TypeError(
      'withAtomicMerge needs the redis or ioredis client itself: connect-redis 7 and 8 wrap it, so pass it as withAtomicMerge(store, { client })',
    );
  }
  const get = (key: string) => (c.get as (key: string) => Promise<string | null>).call(c, key);
  if (typeof c.call === 'function') {
    // ioredis: eval(script, numberOfKeys, ...keys, ...args)
    const evaluate = c.eval as (script: string, keys: number, ...args: string[]) => Promise<Reply>;
    return { get, compareAndSet: (key, expected, value, ttl) => evaluate.call(c, COMPARE_AND_SET, 1, key, expected, value, ttl) };
  }
  // node-redis 4 and later: eval(script, { keys, arguments })
  const evaluate = c.eval as (script: string, options: { keys: string[]; arguments: string[] }) => Promise<Reply>;
  return {
    get,
    compareAndSet: (key, expected, value, ttl) => evaluate.call(c, COMPARE_AND_SET, { keys: [key], arguments: [expected, value, ttl] }),
  };
}
