import type { RequestContext } from './context.js';
import { EMPTY_DATA } from './decisions.js';
import { hasExpired } from './lifetime.js';
import { debug } from './logging.js';
import { generateSession } from './new-session.js';
import { createSession, type Session, type SessionHolder, type StoredSession } from './session.js';
import { callStore } from './store-call.js';

/** Step 2 of a request: the session its id names on `req.session`, or a new one. */
export async function loadSession(ctx: RequestContext): Promise<void> {
  if ((await findSession(ctx)) === null) await attachNewSession(ctx);
}

/**
 * The session the request's id names, from the store, on `req.session`; null
 * when there is none (no id, not found, or expired). `mw.load(req)` stops here.
 */
export async function findSession(ctx: RequestContext): Promise<Session | null> {
  const { cookieId: id, config } = ctx;
  if (!id) return null;
  debug('fetching %s', id);
  let stored: StoredSession | null | undefined;
  try {
    stored = await callStore<StoredSession | null | undefined>(config.store, 'get', [id], config.storeTimeout);
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code !== 'ENOENT') {
      debug('error %j', err);
      throw err;
    }
  }
  if (!stored) {
    debug('no session found');
    return null;
  }
  debug('session found');
  const session = createSession(ctx.req as SessionHolder, stored);
  if (config.checkExpiry && hasExpired(session.cookie, ctx.shared.lifetime, Date.now())) {
    debug('session expired');
    delete ctx.req.session;
    await destroyExpired(ctx, id);
    return null;
  }
  ctx.loaded(session);
  return session;
}

/** A new session on `req.session` (at once, unless `genid` answers with a Promise). */
export function attachNewSession(ctx: RequestContext): void | Promise<void> {
  const { req, shared } = ctx;
  const pending = generateSession(req, shared.config, shared.lifetime);
  if (pending) return pending.then(() => ctx.track(req.session!));
  // Just made, nothing but its cookie: no data to serialize.
  ctx.track(req.session!, EMPTY_DATA);
}

/** A stale session the store still had: it is never used, and deleted. */
async function destroyExpired(ctx: RequestContext, id: string): Promise<void> {
  try {
    await callStore(ctx.config.store, 'destroy', [id], ctx.config.storeTimeout);
  } catch (err) {
    // It is never used again either way: the check runs on every load.
    debug('could not destroy an expired session: %s', err);
  }
}
