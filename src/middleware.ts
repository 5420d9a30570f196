import type { ServerResponse } from 'node:http';
import { Commit } from './commit.js';
import { CommitQueue } from './commit-queue.js';
import { RequestContext, type Shared } from './context.js';
import { Lifetime } from './lifetime.js';
import { attachNewSession, findSession, loadSession } from './load.js';
import { debug } from './logging.js';
import { generateSession } from './new-session.js';
import type { SessionConfig, SessionIncomingMessage } from './options.js';
import { requestPathname, type NextFunction, type SessionRequest } from './request.js';
import { interceptResponse } from './response-hooks.js';
import type { Session, SessionHolder } from './session.js';
import { readSessionId, type IdReading } from './session-id.js';
import { SetCookieSerializer } from './set-cookie.js';
import { isAcceptableId } from './session-id-rule.js';
import { Signer } from './signature.js';

export type { NextFunction } from './request.js';

/** What `session(options)` returns: a Connect/Express middleware. */
export interface SessionMiddleware {
  (req: SessionIncomingMessage, res: ServerResponse, next: NextFunction): void;
  /**
   * Loads the session of any request without a response, e.g. a WebSocket
   * upgrade: `req.session` (with its Promise API) is set and returned, or
   * `null` when the request carries no valid session. Nothing is committed
   * automatically: call `req.session.save()` after changing it.
   */
  load(req: SessionIncomingMessage): Promise<Session | null>;
}

const noop = (): void => {};

/**
 * With `concurrency: 'merge'` and no `storeTimeout`: how long a commit waits
 * for the commit before it on the same session (a store that lost a callback
 * must not block the session's later requests for ever).
 */
export const MERGE_QUEUE_WAIT = 10_000;

/**
 * Builds the middleware for one resolved config. A request runs three steps:
 * read the id (session-id.ts), load or create the session and attach it
 * (load.ts), and commit it when the response ends (commit.ts), over one
 * `RequestContext` (context.ts).
 */
export function createMiddleware(config: SessionConfig): SessionMiddleware {
  const { store } = config;
  const shared: Shared = {
    config,
    storeHasTouch: typeof store.touch === 'function',
    setCookie: new SetCookieSerializer(config.name),
    lifetime: config.maxLifetime === undefined ? undefined : new Lifetime(config.maxLifetime),
    commits: config.concurrency === 'merge' ? new CommitQueue(config.storeTimeout ?? MERGE_QUEUE_WAIT) : undefined,
  };
  const acceptsSignedId = (id: string): boolean => isAcceptableId(id, true, config.isValidId);
  const signer = config.secrets && new Signer(config.secrets, true, acceptsSignedId);
  let storeReady = true;

  // express-session's Store#regenerate (which stores built on it inherit)
  // calls this.generate(req), so every store needs one on the instance.
  store.generate = (req: SessionHolder) => generateSession(req as unknown as SessionRequest, config, shared.lifetime);

  if (typeof store.on === 'function') {
    store.on('disconnect', () => {
      storeReady = false;
    });
    store.on('connect', () => {
      storeReady = true;
    });
  }

  /** The signer for this request: the `secret` option's, or one for cookie-parser's `req.secret`. */
  const signerFor = (req: SessionRequest): Signer | undefined => signer ?? (req.secret ? new Signer([req.secret], false, acceptsSignedId) : undefined);

  const middleware = function session(req: SessionRequest, res: ServerResponse, next: NextFunction): void {
    if (req.session) {
      next();
      return;
    }
    if (!storeReady) {
      debug('store is disconnected');
      next();
      return;
    }
    const cookieOptions = typeof config.cookie === 'function' ? config.cookie(req) : config.cookie;
    if (requestPathname(req).indexOf(cookieOptions.path || '/') !== 0) {
      debug('pathname mismatch');
      next();
      return;
    }
    const requestSigner = signerFor(req);
    if (!requestSigner) {
      next(new Error('secret option required for sessions'));
      return;
    }
    req.sessionStore = store;

    // 1. Read the id.
    const reading = readSessionId(req, config, requestSigner);
    if (reading instanceof Promise) {
      reading.then((value) => start(new RequestContext(shared, req, next, requestSigner, value), res), next);
    } else {
      start(new RequestContext(shared, req, next, requestSigner, reading), res);
    }
  } as SessionMiddleware;

  middleware.load = async (req: SessionRequest): Promise<Session | null> => {
    if (req.session) return req.session;
    if (!storeReady) return null;
    const requestSigner = signerFor(req);
    if (!requestSigner) throw new Error('secret option required for sessions');
    req.sessionStore = store;
    const reading: IdReading = await readSessionId(req, config, requestSigner);
    return findSession(new RequestContext(shared, req, noop, requestSigner, reading));
  };

  return middleware;
}

/**
 * 2. Load (or create) the session and hand over to the app; 3. commit it when
 * the response ends (`Commit`, hooked into the response first). A request
 * without an id gets its new session, and the app, at once.
 */
function start(ctx: RequestContext, res: ServerResponse): void {
  interceptResponse(res, new Commit(ctx, res));
  const { next } = ctx;
  if (ctx.cookieId) {
    loadSession(ctx).then(() => next(), next);
    return;
  }
  debug('no SID sent, generating session');
  let pending: void | Promise<void>;
  try {
    pending = attachNewSession(ctx);
  } catch (err) {
    next(err);
    return;
  }
  if (pending) pending.then(() => next(), next);
  else next();
}
