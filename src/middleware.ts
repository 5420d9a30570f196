import type { ServerResponse } from 'node:http';
import { CommitQueue } from './commit-queue.js';
import { debug } from './logging.js';
import { generateSession } from './new-session.js';
import type { SessionConfig, SessionIncomingMessage } from './options.js';
import { requestPathname } from './request.js';
import { RequestState, type NextFunction, type SessionedRequest, type Shared } from './request-state.js';
import type { Session, SessionRequest } from './session.js';
import { readSessionId } from './session-id.js';
import { SetCookieSerializer } from './set-cookie.js';
import { hmacKey, VerifiedValues, type Secret } from './signature.js';

export type { NextFunction } from './request-state.js';

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
 * Builds the middleware for one resolved config. Each request runs four
 * steps: read the id, load (or create) the session, attach it to `req`, and
 * commit it when the response ends.
 */
export function createMiddleware(config: SessionConfig): SessionMiddleware {
  const { store } = config;
  const keys = config.secrets && Object.freeze(config.secrets.map(hmacKey));
  const shared: Shared = {
    config,
    storeImplementsTouch: typeof store.touch === 'function',
    commits: new CommitQueue(),
    storeReady: true,
    setCookie: new SetCookieSerializer(config.name),
    verified: config.secrets ? new VerifiedValues() : undefined,
  };

  // express-session's Store#regenerate (which stores built on it inherit)
  // calls this.generate(req), so every store needs one on the instance.
  store.generate = (req: SessionRequest) => generateSession(req as SessionedRequest, config);

  if (typeof store.on === 'function') {
    store.on('disconnect', () => {
      shared.storeReady = false;
    });
    store.on('connect', () => {
      shared.storeReady = true;
    });
  }

  const middleware = function session(req: SessionedRequest, res: ServerResponse, next: NextFunction): void {
    if (req.session) {
      next();
      return;
    }
    if (!shared.storeReady) {
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

    const secrets = keys ?? secretsFor(req);
    if (!secrets) {
      next(new Error('secret option required for sessions'));
      return;
    }

    const state = new RequestState(shared, req, res, next, secrets);
    const id = readSessionId(req, config, secrets, state);
    if (id instanceof Promise) {
      id.then((value) => state.start(value), next);
    } else {
      state.start(id);
    }
  } as SessionMiddleware;

  middleware.load = async (req: SessionedRequest): Promise<Session | null> => {
    if (req.session) return req.session;
    if (!shared.storeReady) return null;
    const secrets = keys ?? secretsFor(req);
    if (!secrets) throw new Error('secret option required for sessions');
    const state = new RequestState(shared, req, undefined, noop, secrets);
    return state.loadOnly(await readSessionId(req, config, secrets, state));
  };

  return middleware;
}

/** Without a `secret` option: cookie-parser's `req.secret`, as express-session falls back to. */
function secretsFor(req: SessionedRequest): readonly Secret[] | undefined {
  return req.secret ? [req.secret] : undefined;
}
