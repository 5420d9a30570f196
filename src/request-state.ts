import type { ServerResponse } from 'node:http';
import { serialize } from 'cookie';
import type { CommitQueue } from './commit-queue.js';
import type { Cookie } from './cookie.js';
import { hasExpired, limitToLifetime, wasTouchedWithin } from './lifetime.js';
import { debug } from './logging.js';
import { generateSession } from './new-session.js';
import type { SessionConfig, SessionIncomingMessage } from './options.js';
import { directStoreOf, type DirectStore } from './memory-store.js';
import { isSecureRequest } from './request.js';
import { onNextTurn } from './next-turn.js';
import { END_NEXT_TURN, interceptResponse } from './response-hooks.js';
import { commitSave, createSession, trackSession, type Session, type SessionRequest, type SessionTracker, type StoredSession } from './session.js';
import type { IdVerification, MissingId } from './session-id.js';
import type { SetCookieSerializer } from './set-cookie.js';
import { signSessionId, type Secret, type VerifiedValues } from './signature.js';
import { callStore } from './store-call.js';
import type { SessionChange } from './session-change.js';

/** The request once the middleware has run: `session`, `sessionID` and `sessionStore` are set. */
export interface SessionedRequest extends SessionIncomingMessage {
  session?: Session;
  sessionStore?: SessionConfig['store'];
}

export type NextFunction = (err?: unknown) => void;

/** What the requests of one middleware share. */
export interface Shared {
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

/** `serializeData` of a session that has only its cookie. */
const NO_DATA = '{}';

/** Adds a `Set-Cookie` line to whatever the app already set (string or array). */
function appendSetCookie(res: ServerResponse, header: string): void {
  const previous = res.getHeader('Set-Cookie');
  res.setHeader('Set-Cookie', previous === undefined ? [header] : Array.isArray(previous) ? previous.concat(header) : [String(previous), header]);
}

/**
 * Everything the middleware knows about one request, and the decisions made
 * from it: when to save, touch, destroy, and send the cookie.
 */
export class RequestState implements SessionTracker, IdVerification {
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

  /**
   * The built-in MemoryStore, to be called without the callback round trip,
   * if the store is one whose methods are still the built-in ones (asked at
   * each use: a spy may be installed at any time; see `directStoreOf`). A
   * merge reads the latest version inside a commit queue: always through the
   * store's methods.
   */
  private get direct(): DirectStore | undefined {
    return this.config.concurrency === 'merge' ? undefined : directStoreOf(this.config.store);
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
      this.proceed(this.generateTracked, undefined);
      return;
    }

    debug('fetching %s', cookieId);
    const { direct } = this;
    if (direct !== undefined) {
      // The built-in store reads at once; the app still runs on the next turn.
      onNextTurn(RequestState.attachLoaded, this, direct.get(cookieId), undefined, undefined);
      return;
    }
    callStore<StoredSession | null | undefined>(this.config.store, 'get', [cookieId], this.config.storeTimeout).then(
      (stored) => RequestState.attachLoaded(this, stored),
      (err: unknown) => {
        if ((err as { code?: unknown } | null)?.code === 'ENOENT') {
          this.proceed(this.attach, undefined);
        } else {
          debug('error %j', err);
          this.next(err);
        }
      },
    );
  }

  /** Attaches what the store returned, then hands over to the app. */
  private static attachLoaded(state: RequestState, stored: StoredSession | null | undefined): void {
    state.proceed(state.attach, stored);
  }

  /** Runs a step (a method of this, and its argument) that may finish later, then hands over to the app (or its error handler). */
  private proceed<T>(step: (this: RequestState, arg: T) => void | Promise<void>, arg: T): void {
    let pending: void | Promise<void>;
    try {
      pending = step.call(this, arg);
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
    // Just made, nothing but its cookie: no data to serialize.
    this.track(this.req.session!, true, NO_DATA);
  }

  private track(session: Session, wrapped: boolean, data?: string): void {
    if (wrapped) {
      this.originalId = this.req.sessionID;
      this.originalData = data ?? serializeData(session);
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
    if (typeof (config.store as { merge?: unknown }).merge === 'function' && this.loadedFromStore) {
      const now = snapshotKeys(session);
      const merged = await callStore<unknown>(config.store, 'merge', [session.id, changeOf(session, baseline, now)], config.storeTimeout);
      if (merged == null) debug('merge: session %s is gone from the store; not written', session.id);
      this.baseline = now;
      return;
    }
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
    // Runs inside writeHead: anything thrown here (a serialization error, a
    // throwing skipCookie) must not escape into the app's end() call, or into
    // a held response's Promise. The response goes out without the cookie and
    // the error reaches next(err) after it, as express-session does for cookie errors.
    try {
      this.setCookieIfDue();
    } catch (err) {
      setImmediate(this.next, err);
    }
  }

  private setCookieIfDue(): void {
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
    const value = this.signedValue !== undefined && req.sessionID === this.cookieId
      ? this.signedValue
      : signSessionId(req.sessionID!, this.secrets[0]);
    const header = this.shared.setCookie.serialize(value, session.cookie);
    debug('set-cookie %s', header);
    appendSetCookie(this.res!, header);
  }

  /** With `clearCookieOnDestroy`: a `Set-Cookie` that expires the destroyed session's cookie now. */
  private clearCookieIfDestroyed(): void {
    const { req, config } = this;
    const cookie = this.destroyedCookie ?? (config.unsetDestroy ? this.lastCookie : undefined);
    if (!config.clearCookieOnDestroy || !cookie || !this.cookieId) return;
    if (config.skipCookie && config.skipCookie(req, this.res!, this.next)) return;
    if (cookie.secure && !isSecureRequest(req, config.proxy)) return;
    const header = serialize(config.name, '', { ...cookie.data, expires: new Date(0) } as Parameters<typeof serialize>[2]);
    debug('clear-cookie %s', header);
    appendSetCookie(this.res!, header);
  }

  /** When the app ends the response: destroy, save or touch in the store. */
  beforeEnd(): Promise<void> | typeof END_NEXT_TURN | undefined {
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
      return commitSave(session, this, this.direct) ?? END_NEXT_TURN;
    }
    if (this.shared.storeImplementsTouch && this.cookieId === req.sessionID && this.hasValidId()) {
      if (this.touchedRecently) {
        debug('touch skipped (touchAfter)');
        return undefined;
      }
      debug('touching');
      const { direct } = this;
      if (direct !== undefined) {
        direct.touch(req.sessionID!, session);
        return END_NEXT_TURN;
      }
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

/** What this request changed since `baseline`, for a store's atomic merge. */
function changeOf(session: Session, baseline: Map<string, string>, now: Map<string, string>): SessionChange {
  const current = session as unknown as Record<string, unknown>;
  const set = Object.create(null) as Record<string, unknown>;
  for (const [key, json] of now) {
    if (baseline.get(key) !== json) set[key] = current[key];
  }
  const deleted = [...baseline.keys()].filter((key) => !now.has(key));
  return { set, deleted, cookie: session.cookie };
}
