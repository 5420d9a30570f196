import type { SessionChange } from '../session-change.js';

/**
 * `express-session-cn/pg`: gives connect-pg-simple (unmodified) an atomic
 * `merge`, so that `concurrency: 'merge'` loses no update even when several
 * processes write one session at once.
 *
 * The merge is one `UPDATE` on the store's own table: PostgreSQL applies the
 * change to the row as it is at that moment (row-locked), so two merges never
 * interleave. It runs through the store's own query method (its pool or
 * pg-promise, its table and schema), and sets `expire` by the store's rule:
 * the cookie's expiry, else now plus the store's `ttl` (one day by default).
 * A session that is gone or expired is not written.
 */

/** The connect-pg-simple store methods the merge uses (connect-pg-simple 7 and later). */
export interface PgStoreLike {
  ttl?: number;
  quotedTable(): string;
  query(sql: string, params: unknown[], callback: (err: unknown, row?: Record<string, unknown>) => void): void;
}

/** The store, with `merge(sid, change, callback)` added. */
export type WithMerge<S> = S & {
  merge(sid: string, change: SessionChange, callback: (err: unknown, merged?: Record<string, unknown> | null) => void): void;
};

const ONE_DAY = 86400;

/** Adds an atomic `merge` to a connect-pg-simple store (in place) and returns it. */
export function withAtomicMerge<S extends PgStoreLike>(store: S): WithMerge<S> {
  // Checked at run time too: JavaScript callers pass anything.
  const candidate = store as unknown as Partial<PgStoreLike> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.query !== 'function' || typeof candidate.quotedTable !== 'function') {
    throw new TypeError('withAtomicMerge(store) expects a connect-pg-simple store, e.g. withAtomicMerge(new (connectPgSimple(session))({ pool }))');
  }
  // `sess` may be json or jsonb: the change is applied as jsonb and assigned back through text.
  const sql = `UPDATE ${store.quotedTable()}
    SET sess = (((sess::jsonb - $2::text[]) || $3::jsonb)::text)::json, expire = to_timestamp($4)
    WHERE sid = $1 AND expire >= to_timestamp($5)
    RETURNING sess`;

  Object.defineProperty(store, 'merge', {
    value(sid: string, change: SessionChange, callback: (err: unknown, merged?: Record<string, unknown> | null) => void) {
      const set = { ...change.set, cookie: change.cookie };
      const params = [sid, change.deleted, JSON.stringify(set), expireTime(store, change.cookie), Date.now() / 1000];
      store.query(sql, params, (err, row) => {
        if (err) callback(err);
        else callback(null, row ? parsed(row.sess) : null);
      });
    },
    configurable: true,
    writable: true,
  });
  return store as WithMerge<S>;
}

/** connect-pg-simple's expiry rule, in seconds since the epoch. */
function expireTime(store: PgStoreLike, cookie: unknown): number {
  const expires = (cookie as { expires?: unknown } | null | undefined)?.expires;
  if (expires) return Math.ceil(new Date(expires as string | Date).valueOf() / 1000);
  return Math.ceil(Date.now() / 1000 + (store.ttl || ONE_DAY));
}

function parsed(sess: unknown): Record<string, unknown> {
  return (typeof sess === 'string' ? JSON.parse(sess) : sess) as Record<string, unknown>;
}
