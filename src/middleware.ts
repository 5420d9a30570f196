import type { ServerResponse } from 'node:http';
import { serialize } from 'cookie';
import { CommitQueue } from './commit-queue.js';
import { Cookie, type CookieOptions } from './cookie.js';
import { debug } from './logging.js';
import type { SessionConfig, SessionIncomingMessage } from './options.js';
import { isSecureRequest, requestPathname } from './request.js';
import { interceptResponse } from './response-hooks.js';
import { createSession, Session, trackSession, type SessionRequest, type SessionTracker, type StoredSession } from './session.js';
import { readSessionId, type IdVerification, type MissingId } from './session-id.js';
import { signSessionId, VerifiedValues, type Secret } from './signature.js';
import { SetCookieSerializer } from './set-cookie.js';
import { callStore } from './store-call.js';

/** The request once the middleware has run: `session`, `sessionID` and `sessionStore` are set. */
interface SessionedRequest extends SessionIncomingMessage {
  session?: Session;
  sessionStore?: SessionConfig['store'];
}

export type NextFunction = (err?: unknown) => void;

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

/** What the requests of one middleware share. */
interface Shared {
  readonly config: SessionConfig;
  readonly storeImplementsTouch: boolean;
  /** Serialises the commits of each session (`concurrency: 'merge'`). */
  readonly commits: CommitQueue;
  /** False between the store's 'disconnect' and 'connect' events. */
  storeReady: boolean;
  readonly setCookie: SetCookieSerializer;
  /** Signed values already verified against the fixed secrets. */
  readonly verified: VerifiedValues | undefined;
}

const noop = (): void => {};

/**
 * Builds the middleware for one resolved config. Each request runs four
 * steps: read the id, load (or create) the session, attach it to `req`, and
 * commit it when the response ends.
 */
export function createMiddleware(config: SessionConfig): SessionMiddleware {
  const { store } = config;
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

    const secrets = secretsFor(req, config);
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
    const secrets = secretsFor(req, config);
    if (!secrets) throw new Error('secret option required for sessions');
    const state = new RequestState(shared, req, undefined, noop, secrets);
    return state.loadOnly(await readSessionId(req, config, secrets, state));
  };

  return middleware;
}

function secretsFor(req: SessionedRequest, config: SessionConfig): readonly Secret[] | undefined {
  return config.secrets ?? (req.secret ? [req.secret] : undefined);
}

/**
 * A new session (new id, new cookie) on `req`, as `store.generate(req)` makes
 * it. `genid` may answer with a Promise, and then so does this.
 */
function generateSession(req: SessionedRequest, config: SessionConfig): void | Promise<void> {
  const id = config.genid(req);
  if (isThenable(id)) {
    return Promise.resolve(id).then((value) => attachNewSession(req, config, value));
  }
  attachNewSession(req, config, id);
}

function attachNewSession(req: SessionedRequest, config: SessionConfig, id: string): void {
  req.sessionID = id;
  const session = new Session(req as SessionRequest);
  req.session = session;

  const cookieOptions: CookieOptions = typeof config.cookie === 'function' ? config.cookie(req) : config.cookie;
  session.cookie = new Cookie(cookieOptions);

  // 'auto' is resolved from the options this session was made with, including
  // those a `cookie` function returned (express-session 1.19.0 looked at the
  // function object itself, so they stayed 'auto').
  if (cookieOptions.secure === 'auto' || cookieOptions.sameSite === 'auto') {
    const secure = isSecureRequest(req, config.proxy);
    if (cookieOptions.secure === 'auto') session.cookie.secure = secure;
    if (cookieOptions.sameSite === 'auto') session.cookie.sameSite = secure ? 'none' : 'lax';
  }

  if (config.maxLifetime !== undefined) {
    session.cookie.createdAt = Date.now();
    limitToLifetime(session.cookie, config.maxLifetime);
  }
}

/**
 * Keeps `cookie.expires` within the absolute lifetime, so that stores which
 * derive their TTL from it expire the session on time. `_expires` is set
 * directly: the `expires` setter would also shrink `originalMaxAge`, the idle
 * timeout that later touches reset to.
 */
function limitToLifetime(cookie: Cookie, maxLifetime: number): void {
  const now = Date.now();
  if (!hasCreationTime(cookie, now)) cookie.createdAt = now;
  const end = cookie.createdAt! + maxLifetime;
  const expires = cookie.expires;
  if (!(expires instanceof Date) || expires.valueOf() > end) cookie._expires = new Date(end);
}

/** Whether a loaded session is past its `cookie.expires` or its absolute end. */
function hasExpired(cookie: Cookie, maxLifetime: number | undefined, now: number): boolean {
  const expires = cookie.expires;
  if (expires instanceof Date && expires.valueOf() <= now) return true;
  return maxLifetime !== undefined && hasCreationTime(cookie, now) && cookie.createdAt! + maxLifetime <= now;
}

/**
 * Whether `cookie.createdAt` is a usable creation time: a number, not in the
 * future. Anything else (from an older version, or a store's garbage) counts
 * as missing, and the lifetime starts now: a string or a far-future number
 * must never switch the absolute timeout off.
 */
function hasCreationTime(cookie: Cookie, now: number): boolean {
  const createdAt = cookie.createdAt;
  return typeof createdAt === 'number' && Number.isFinite(createdAt) && createdAt <= now;
}

/**
 * The session data as the change detection sees it: everything but the
 * top-level cookie. JSON.stringify leaves out a key whose value is undefined,
 * so blanking `cookie` for the call gives that without copying the session.
 */
function serializeData(session: Session): string {
  const target = session as unknown as { cookie: unknown };
  const cookie = target.cookie;
  target.cookie = undefined;
  try {
    return JSON.stringify(session);
  } finally {
    target.cookie = cookie;
  }
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return value != null && typeof (value as PromiseLike<T>).then === 'function';
}

/** Adds a `Set-Cookie` line to whatever the app already set (string or array). */
function appendSetCookie(res: ServerResponse, header: string): void {
  const previous = res.getHeader('Set-Cookie') ?? [];
  res.setHeader('Set-Cookie', Array.isArray(previous) ? previous.concat(header) : [String(previous), header]);
}

/**
 * Everything the middleware knows about one request, and the decisions made
 * from it: when to save, touch, destroy, and send the cookie.
 */
class RequestState implements SessionTracker, IdVerification {
  /** The id as the client sent it (before any regeneration). */
  cookieId: string | MissingId = undefined;
  /** Which secret verified the client's id (0: the current one). */
  secretIndex = 0;
  /** The client's `s:` value when verified with the current secret: re-sent as is, not re-signed. */
  signedValue: string | undefined = undefined;
  readonly verified: VerifiedValues | undefined;
  private originalId: string | undefined;
  private originalData: string | undefined;
  private savedData: string | undefined;
  private touched = false;
  /** The loaded session's expiry as loaded, to notice the app changing it. */
  private loadedSession: Session | undefined;
  private loadedExpires: number | undefined;
  private loadedOriginalMaxAge: number | null | undefined;
  private expiryChanged: boolean | undefined;
  /** With `touchAfter`: the loaded session was touched recently enough to skip store.touch. */
  private touchedRecently = false;
  /** With `concurrency: 'merge'`: the session whose commits merge, and each top-level key's JSON as last read or written. */
  private mergeSession: Session | undefined;
  private baseline: Map<string, string> | undefined;
  /** The session came from the store (a merge onto a vanished one would resurrect it). */
  private loadedFromStore = false;
  /** The cookie of the last session this request had, to clear it once destroyed. */
  private lastCookie: Cookie | undefined;
  private destroyedCookie: Cookie | undefined;
  /**
   * The session as serialized when the app ended the response. save() and the
   * header hook run after that point and reuse it: one JSON.stringify per
   * request for the end-of-response decisions, not three.
   */
  private endSession: Session | undefined;
  private endData: string | undefined;
  /** The commit failed: the error response must not hand out a cookie for what was not saved. */
  private commitFailed = false;

  readonly config: SessionConfig;

  constructor(
    private readonly shared: Shared,
    readonly req: SessionedRequest,
    readonly res: ServerResponse | undefined,
    readonly next: NextFunction,
    private readonly secrets: readonly Secret[],
  ) {
    this.config = shared.config;
    this.verified = shared.verified;
    req.sessionStore = shared.config.store;
    this.beforeHeaders = this.beforeHeaders.bind(this);
  }

  get storeTimeout(): number | undefined {
    return this.config.storeTimeout;
  }

  get signingSecret(): Secret {
    return this.secrets[0];
  }

  // --- read id, load, attach ---------------------------------------------

  /** Attaches the hooks, then loads the session (or makes one) and hands over to the app. */
  start(cookieId: string | MissingId): void {
    const { req } = this;
    this.cookieId = cookieId;
    req.sessionID = cookieId as string;
    interceptResponse(this.res!, this);

    if (!cookieId) {
      debug('no SID sent, generating session');
      this.proceed(() => this.generateTracked());
      return;
    }

    debug('fetching %s', cookieId);
    callStore<StoredSession | null | undefined>(this.config.store, 'get', [cookieId], this.config.storeTimeout).then(
      (stored) => this.proceed(() => this.attach(stored)),
      (err: unknown) => {
        if ((err as { code?: unknown } | null)?.code === 'ENOENT') {
          this.proceed(() => this.attach(undefined));
        } else {
          debug('error %j', err);
          this.next(err);
        }
      },
    );
  }

  /** Runs a step that may finish later, then hands over to the app (or its error handler). */
  private proceed(step: () => void | Promise<void>): void {
    let pending: void | Promise<void>;
    try {
      pending = step();
    } catch (err) {
      this.next(err);
      return;
    }
    if (pending) pending.then(() => this.next(), this.next);
    else this.next();
  }

  /** Attaches what the store returned, or a new session when it had none or it has expired. */
  private attach(stored: StoredSession | null | undefined): void | Promise<void> {
    if (!stored) {
      debug('no session found');
      return this.generateTracked();
    }
    debug('session found');
    if (!this.inflate(stored)) {
      return this.destroyExpired().then(() => this.generateTracked());
    }
  }

  /** `req.session` from what the store returned; false (and no session) when it has expired. */
  private inflate(stored: StoredSession): boolean {
    const { config } = this;
    const session = createSession(this.req as SessionRequest, stored);
    if (config.checkExpiry && hasExpired(session.cookie, config.maxLifetime, Date.now())) {
      debug('session expired');
      delete this.req.session;
      return false;
    }
    if (config.touchAfter !== undefined) this.touchedRecently = wasTouchedWithin(session.cookie, config.touchAfter);
    if (config.maxLifetime !== undefined) limitToLifetime(session.cookie, config.maxLifetime);
    this.loadedFromStore = true;
    this.track(session, true);
    if (!config.resave) this.savedData = this.originalData;
    this.loadedSession = session;
    this.loadedExpires = session.cookie.expires?.valueOf();
    this.loadedOriginalMaxAge = session.cookie.originalMaxAge;
    return true;
  }

  /** A stale session the store still had: it is never used, and deleted. */
  private async destroyExpired(): Promise<void> {
    try {
      await callStore(this.config.store, 'destroy', [this.cookieId], this.config.storeTimeout);
    } catch (err) {
      // It is never used again either way: the check runs on every load.
      debug('could not destroy an expired session: %s', err);
    }
  }

  /** `mw.load(req)`: the session the request carries, or null; nothing is generated. */
  async loadOnly(cookieId: string | MissingId): Promise<Session | null> {
    this.cookieId = cookieId;
    this.req.sessionID = cookieId as string;
    if (!cookieId) return null;
    let stored: StoredSession | null | undefined;
    try {
      stored = await callStore<StoredSession | null | undefined>(this.config.store, 'get', [cookieId], this.config.storeTimeout);
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code === 'ENOENT') return null;
      throw err;
    }
    if (!stored) return null;
    if (!this.inflate(stored)) {
      await this.destroyExpired();
      return null;
    }
    return this.req.session!;
  }

  /** A new session for a request that brought none: its changes are tracked from here on. */
  private generateTracked(): void | Promise<void> {
    const pending = generateSession(this.req, this.config);
    if (pending) return pending.then(() => this.track(this.req.session!, true));
    this.track(this.req.session!, true);
  }

  private track(session: Session, wrapped: boolean): void {
    if (wrapped) {
      this.originalId = this.req.sessionID;
      this.originalData = serializeData(session);
      if (this.config.concurrency === 'merge') {
        this.mergeSession = session;
        this.baseline = snapshotKeys(session);
      }
    }
    this.lastCookie = session.cookie;
    trackSession(session, this, wrapped);
  }

  // SessionTracker: what the session methods tell the request about.

  saving(session: Session): void {
    debug('saving %s', session.id);
    this.savedData = this.currentData(session);
  }

  /**
   * regenerate(): a new session, tracked for destroy() and regenerate() but not
   * wrapped, as express-session's store.generate does: the original id stays the
   * old one (so the new id counts as modified and gets its cookie), and its
   * save() does not mark it saved (regenerate → save → end writes it twice [quirk]).
   */
  generate(): void | Promise<void> {
    const pending = generateSession(this.req, this.config);
    if (pending) return pending.then(() => this.track(this.req.session!, false));
    this.track(this.req.session!, false);
  }

  destroyed(session: Session): void {
    this.destroyedCookie = session.cookie;
  }

  reloaded(previous: Session, fresh: Session, wrapped: boolean): void {
    trackSession(fresh, this, wrapped);
    // The reloaded data is the latest stored version: later merges start from it.
    if (previous === this.mergeSession) {
      this.mergeSession = fresh;
      this.baseline = snapshotKeys(fresh);
    }
  }

  write(session: Session): Promise<void> {
    const { config } = this;
    if (config.concurrency === 'merge' && this.baseline !== undefined && session === this.mergeSession) {
      return this.shared.commits.run(session.id, () => this.mergeInto(session));
    }
    return callStore(config.store, 'set', [session.id, session], config.storeTimeout);
  }

  /**
   * `concurrency: 'merge'`: writes the top-level keys this request added,
   * changed or deleted onto the latest stored version. Runs inside the
   * session's commit queue, so no other commit of it in this process
   * interleaves between the read and the write.
   */
  private async mergeInto(session: Session): Promise<void> {
    const { config } = this;
    const baseline = this.baseline!;
    const latest = await callStore<StoredSession | null | undefined>(config.store, 'get', [session.id], config.storeTimeout);
    if (!latest || typeof latest !== 'object') {
      // Destroyed (or expired) meanwhile, e.g. by a logout in a parallel request: not resurrected.
      if (this.loadedFromStore) {
        debug('merge: session %s is gone from the store; not written', session.id);
        return;
      }
    }
    const target = (latest && typeof latest === 'object' ? latest : {}) as Record<string, unknown>;
    const current = session as unknown as Record<string, unknown>;
    const now = snapshotKeys(session);
    for (const [key, json] of now) {
      if (baseline.get(key) !== json) target[key] = current[key];
    }
    for (const key of baseline.keys()) {
      if (!now.has(key)) delete target[key];
    }
    target.cookie = session.cookie;
    await callStore(config.store, 'set', [session.id, target], config.storeTimeout);
    this.baseline = now;
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
    if (config.skipCookie && config.skipCookie(req, this.res!, this.next)) return false;
    if (this.cookieId !== req.sessionID) return config.saveUninitialized || this.isModified(session);
    return config.rolling
      || (session.cookie.expires != null && this.isModified(session))
      || (config.resignOnRotation && this.secretIndex > 0)
      || (config.resendOnExpiryChange && this.expiryChanged === true);
  }

  /** Notes whether the app changed the loaded session's expiry (before our touch moves it). */
  private noteExpiryChange(session: Session): void {
    // By id, not identity: reload() replaces the loaded session object.
    if (this.expiryChanged !== undefined || session.id !== this.loadedSession?.id) return;
    this.expiryChanged = session.cookie.expires?.valueOf() !== this.loadedExpires
      || session.cookie.originalMaxAge !== this.loadedOriginalMaxAge;
  }

  private touchOnce(session: Session): void {
    if (this.touched) return;
    this.noteExpiryChange(session);
    session.touch();
    if (this.config.maxLifetime !== undefined) limitToLifetime(session.cookie, this.config.maxLifetime);
    this.touched = true;
  }

  // --- commit (ResponseHooks) ----------------------------------------------

  /** Just before the headers go out: send the cookie if the rules say so. */
  beforeHeaders(): void {
    const { req, config } = this;
    const session = req.session;
    if (this.commitFailed) return;
    if (!session) {
      debug('no session');
      this.clearCookieIfDestroyed();
      return;
    }
    this.noteExpiryChange(session);
    if (!this.shouldSetCookie(session)) return;
    if (session.cookie.secure && !isSecureRequest(req, config.proxy)) {
      debug('not secured');
      return;
    }
    this.touchOnce(session);
    try {
      const value = this.signedValue !== undefined && req.sessionID === this.cookieId
        ? this.signedValue
        : signSessionId(req.sessionID!, this.secrets[0]);
      const header = this.shared.setCookie.serialize(value, session.cookie.data);
      debug('set-cookie %s', header);
      appendSetCookie(this.res!, header);
    } catch (err) {
      setImmediate(this.next, err);
    }
  }

  /** With `clearCookieOnDestroy`: a `Set-Cookie` that expires the destroyed session's cookie now. */
  private clearCookieIfDestroyed(): void {
    const { req, config } = this;
    const cookie = this.destroyedCookie ?? (config.unsetDestroy ? this.lastCookie : undefined);
    if (!config.clearCookieOnDestroy || !cookie || !this.cookieId) return;
    if (config.skipCookie && config.skipCookie(req, this.res!, this.next)) return;
    if (cookie.secure && !isSecureRequest(req, config.proxy)) return;
    try {
      const header = serialize(config.name, '', { ...cookie.data, expires: new Date(0) } as Parameters<typeof serialize>[2]);
      debug('clear-cookie %s', header);
      appendSetCookie(this.res!, header);
    } catch (err) {
      setImmediate(this.next, err);
    }
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
    if (this.shared.storeImplementsTouch && this.cookieId === req.sessionID && this.hasValidId()) {
      if (this.touchedRecently) {
        debug('touch skipped (touchAfter)');
        return undefined;
      }
      debug('touching');
      return callStore(store, 'touch', [req.sessionID, session], config.storeTimeout);
    }
    return undefined;
  }

  onCommitError(err: unknown): void {
    debug('commit failed: %s', err);
    this.commitFailed = true;
    this.next(err);
  }
}

/** Each top-level data key's JSON (`cookie` aside; undefined values count as absent). */
function snapshotKeys(session: Session): Map<string, string> {
  const snapshot = new Map<string, string>();
  const data = session as unknown as Record<string, unknown>;
  for (const key of Object.keys(data)) {
    if (key === 'cookie') continue;
    const json = JSON.stringify(data[key]);
    if (json !== undefined) snapshot.set(key, json);
  }
  return snapshot;
}

/** Whether the cookie was last touched (expires − originalMaxAge) less than `window` ms ago. */
function wasTouchedWithin(cookie: Cookie, window: number): boolean {
  const expires = cookie.expires;
  const maxAge = cookie.originalMaxAge;
  if (!(expires instanceof Date) || typeof maxAge !== 'number') return false;
  return Date.now() - (expires.valueOf() - maxAge) < window;
}
