import type { ServerResponse } from 'node:http';
import { Cookie, type CookieOptions } from './cookie.js';
import { debug } from './logging.js';
import type { SessionConfig, SessionIncomingMessage } from './options.js';
import { isSecureRequest, requestPathname } from './request.js';
import { setRequestContext, type RequestContext } from './request-context.js';
import { interceptResponse } from './response-hooks.js';
import { createSession, Session, trackSession, type SessionRequest, type SessionTracker, type StoredSession } from './session.js';
import { readSessionId, type MissingId } from './session-id.js';
import { signSessionId, type Secret } from './signature.js';
import { callStore } from './store-call.js';

/** The request once the middleware has run: `session`, `sessionID` and `sessionStore` are set. */
interface SessionedRequest extends SessionIncomingMessage {
  session?: Session;
  sessionStore?: SessionConfig['store'];
}

export type NextFunction = (err?: unknown) => void;

/** What `session(options)` returns: a Connect/Express middleware. */
export type SessionMiddleware = (req: SessionIncomingMessage, res: ServerResponse, next: NextFunction) => void;

/**
 * Builds the middleware for one resolved config. Each request runs four
 * steps: read the id, load (or create) the session, attach it to `req`, and
 * commit it when the response ends.
 */
export function createMiddleware(config: SessionConfig): SessionMiddleware {
  const { store } = config;
  const storeImplementsTouch = typeof store.touch === 'function';
  let storeReady = true;
  const context: RequestContext | undefined = config.secrets
    ? Object.freeze({ signingSecret: config.secrets[0], storeTimeout: config.storeTimeout })
    : undefined;

  // express-session's Store#regenerate (which stores built on it inherit)
  // calls this.generate(req), so every store needs one on the instance.
  store.generate = (req: SessionRequest) => generateSession(req as SessionedRequest, config);

  if (typeof store.on === 'function') {
    store.on('disconnect', () => {
      storeReady = false;
    });
    store.on('connect', () => {
      storeReady = true;
    });
  }

  return function session(req: SessionedRequest, res: ServerResponse, next: NextFunction): void {
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

    const secrets = config.secrets ?? (req.secret ? [req.secret] : undefined);
    if (!secrets) {
      next(new Error('secret option required for sessions'));
      return;
    }

    req.sessionStore = store;
    setRequestContext(req, context ?? { signingSecret: secrets[0], storeTimeout: config.storeTimeout });
    const id = readSessionId(req, config, secrets);
    if (id instanceof Promise) {
      id.then(
        (value) => start(new RequestState(config, storeImplementsTouch, req, res, next, secrets, value)),
        next,
      );
    } else {
      start(new RequestState(config, storeImplementsTouch, req, res, next, secrets, id));
    }
  };
}

/** Attaches the hooks, then loads the session (or makes one) and hands over to the app. */
function start(state: RequestState): void {
  const { req, next } = state;
  req.sessionID = state.cookieId as string;
  interceptResponse(state.res, state);

  if (!state.cookieId) {
    debug('no SID sent, generating session');
    state.generateTracked();
    next();
    return;
  }

  debug('fetching %s', state.cookieId);
  callStore<StoredSession | null | undefined>(state.config.store, 'get', [state.cookieId], state.config.storeTimeout).then(
    (stored) => state.attach(stored),
    (err: unknown) => {
      if ((err as { code?: unknown })?.code === 'ENOENT') {
        state.attach(undefined);
      } else {
        debug('error %j', err);
        next(err);
      }
    },
  );
}

/** A new session (new id, new cookie) on `req`, as `store.generate(req)` makes it. */
function generateSession(req: SessionedRequest, config: SessionConfig): void {
  req.sessionID = config.genid(req);
  const session = new Session(req as SessionRequest);
  req.session = session;

  const cookieOptions: CookieOptions = typeof config.cookie === 'function' ? config.cookie(req) : config.cookie;
  session.cookie = new Cookie(cookieOptions);

  // As in express-session, 'auto' is looked up on the option itself, so a
  // `cookie` function's 'auto' values are not resolved.
  const staticCookie = config.cookie as CookieOptions;
  if (staticCookie.secure === 'auto' || staticCookie.sameSite === 'auto') {
    const secure = isSecureRequest(req, config.proxy);
    if (staticCookie.secure === 'auto') session.cookie.secure = secure;
    if (staticCookie.sameSite === 'auto') session.cookie.sameSite = secure ? 'none' : 'lax';
  }
}

/** The session data as the change detection sees it: everything but the top-level cookie. */
function serializeData(session: Session): string {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { cookie, ...data } = session as unknown as Record<string, unknown>;
  return JSON.stringify(data);
}

/**
 * Everything the middleware knows about one request, and the decisions made
 * from it: when to save, touch, destroy, and send the cookie.
 */
class RequestState implements SessionTracker {
  /** The id as the client sent it (before any regeneration). */
  readonly cookieId: string | MissingId;
  private originalId: string | undefined;
  private originalData: string | undefined;
  private savedData: string | undefined;
  private touched = false;
  /**
   * The session as serialized when the app ended the response. save() and the
   * header hook run after that point and reuse it: one JSON.stringify per
   * request for the end-of-response decisions, not three.
   */
  private endSession: Session | undefined;
  private endData: string | undefined;

  constructor(
    readonly config: SessionConfig,
    private readonly storeImplementsTouch: boolean,
    readonly req: SessionedRequest,
    readonly res: ServerResponse,
    readonly next: NextFunction,
    private readonly secrets: readonly Secret[],
    cookieId: string | MissingId,
  ) {
    this.cookieId = cookieId;
    this.beforeHeaders = this.beforeHeaders.bind(this);
    this.onCommitError = this.onCommitError.bind(this);
  }

  // --- load and attach ---------------------------------------------------

  /** Attaches what the store returned, or a new session when it had none. */
  attach(stored: StoredSession | null | undefined): void {
    try {
      if (stored) {
        debug('session found');
        this.inflate(stored);
      } else {
        debug('no session found');
        this.generateTracked();
      }
    } catch (err) {
      this.next(err);
      return;
    }
    this.next();
  }

  /** A new session for a request that brought none: tracked from here on. */
  generateTracked(): void {
    this.generate();
    this.track(this.req.session!);
  }

  // SessionTracker: regenerate() replaces the session WITHOUT re-tracking it, as
  // express-session's store.generate does: the original id stays the old one (so
  // the new id counts as modified and gets its cookie), and save() of the new
  // session does not mark it saved (the login pattern regenerate → save gives
  // two store.set calls [quirk]).
  generate(): void {
    generateSession(this.req, this.config);
  }

  private inflate(stored: StoredSession): void {
    const session = createSession(this.req as SessionRequest, stored);
    this.track(session);
    if (!this.config.resave) this.savedData = this.originalData;
  }

  private track(session: Session): void {
    this.originalId = this.req.sessionID;
    this.originalData = serializeData(session);
    trackSession(session, this);
  }

  // SessionTracker: keeps save() and reload() in step with the change detection.
  saving(session: Session): void {
    debug('saving %s', session.id);
    this.savedData = this.currentData(session);
  }

  adopt(fresh: Session): void {
    trackSession(fresh, this);
  }

  // --- decisions ---------------------------------------------------------

  private currentData(session: Session): string {
    return session === this.endSession ? this.endData! : serializeData(session);
  }

  private isModified(session: Session): boolean {
    return this.originalId !== session.id || this.originalData !== this.currentData(session);
  }

  private isSaved(session: Session): boolean {
    return this.originalId === session.id && this.savedData === this.currentData(session);
  }

  private hasValidId(): boolean {
    if (typeof this.req.sessionID === 'string') return true;
    debug('session ignored because of bogus req.sessionID %o', this.req.sessionID);
    return false;
  }

  private shouldSave(session: Session): boolean {
    if (!this.hasValidId()) return false;
    const { saveUninitialized } = this.config;
    return !saveUninitialized && this.savedData === undefined && this.cookieId !== this.req.sessionID
      ? this.isModified(session)
      : !this.isSaved(session);
  }

  private shouldSetCookie(session: Session): boolean {
    const { req, config } = this;
    if (typeof req.sessionID !== 'string') return false;
    if (config.skipCookie && config.skipCookie(req, this.res, this.next)) return false;
    return this.cookieId !== req.sessionID
      ? config.saveUninitialized || this.isModified(session)
      : config.rolling || (session.cookie.expires != null && this.isModified(session));
  }

  private touchOnce(session: Session): void {
    if (!this.touched) {
      session.touch();
      this.touched = true;
    }
  }

  // --- commit (ResponseHooks) ----------------------------------------------

  /** Just before the headers go out: send the cookie if the rules say so. */
  beforeHeaders(): void {
    const { req, config } = this;
    const session = req.session;
    if (!session) {
      debug('no session');
      return;
    }
    if (!this.shouldSetCookie(session)) return;
    if (session.cookie.secure && !isSecureRequest(req, config.proxy)) {
      debug('not secured');
      return;
    }
    this.touchOnce(session);
    try {
      this.setCookie(session);
    } catch (err) {
      setImmediate(this.next, err);
    }
  }

  private setCookie(session: Session): void {
    const value = signSessionId(this.req.sessionID!, this.secrets[0]);
    const header = session.cookie.serialize(this.config.name, value);
    debug('set-cookie %s', header);
    const previous = this.res.getHeader('Set-Cookie') ?? [];
    this.res.setHeader('Set-Cookie', Array.isArray(previous) ? previous.concat(header) : [String(previous), header]);
  }

  /** When the app ends the response: destroy, save or touch in the store. */
  beforeEnd(): Promise<void> | undefined {
    const { req, config } = this;
    const store = config.store;

    if (req.sessionID && config.unsetDestroy && req.session == null) {
      debug('destroying');
      return callStore(store, 'destroy', [req.sessionID], config.storeTimeout);
    }

    const session = req.session;
    if (!session) {
      debug('no session');
      return undefined;
    }

    this.touchOnce(session);
    this.endData = serializeData(session);
    this.endSession = session;

    if (this.shouldSave(session)) {
      return session.save();
    }
    if (this.storeImplementsTouch && this.cookieId === req.sessionID && this.hasValidId()) {
      debug('touching');
      return callStore(store, 'touch', [req.sessionID, session], config.storeTimeout);
    }
    return undefined;
  }

  onCommitError(err: unknown): void {
    debug('commit failed: %s', err);
    this.next(err);
  }
}
