import { CookieClearer } from './clear-on-destroy.js';
import type { CommitQueue } from './commit-queue.js';
import { sessionData, type ChangeRecord } from './decisions.js';
import { ExpiryWatch } from './expiry-watch.js';
import { wasTouchedWithin, type Lifetime } from './lifetime.js';
import { debug } from './logging.js';
import { MergeCommit } from './merge.js';
import { generateSession } from './new-session.js';
import type { SessionConfig } from './options.js';
import type { NextFunction, SessionRequest } from './request.js';
import { trackSession, type Session, type SessionTracker } from './session.js';
import type { IdReading, MissingId } from './session-id.js';
import type { SetCookieSerializer } from './set-cookie.js';
import type { Secret, Signer } from './signature.js';
import { callStore } from './store-call.js';

/** What the requests of one middleware share: the config, and the objects made once from it. */
export interface Shared {
  readonly config: SessionConfig;
  readonly storeHasTouch: boolean;
  readonly setCookie: SetCookieSerializer;
  /** With `maxLifetime`. */
  readonly lifetime: Lifetime | undefined;
  /** With `concurrency: 'merge'`: runs the commits of each session one at a time. */
  readonly commits: CommitQueue | undefined;
}

/**
 * One request's state, from the id it brought to the commit: what the client
 * sent, what the session was when the request got it, and the optional
 * features' objects. It is also how the session methods (`save`, `regenerate`,
 * ...) tell the request what they did (`SessionTracker`).
 */
export class RequestContext implements SessionTracker, ChangeRecord {
  /** The id as the client sent it (before any regeneration). */
  readonly cookieId: string | MissingId;
  /** The client's `s:` value, when the current secret verified it: sent back as is. */
  readonly signedValue: string | undefined;
  readonly secretIndex: number;
  originalId: string | undefined = undefined;
  originalData: string | undefined = undefined;
  savedData: string | undefined = undefined;
  /** The session's `touch()` has run (once per response). */
  private touched = false;
  /** With `touchAfter`: the loaded session was touched recently enough to skip `store.touch`. */
  touchedRecently = false;
  /** An explicit `save()` still running: the end-of-response commit waits for it (it may fail). */
  pendingSave: Promise<void> | undefined = undefined;
  /** The session as serialized at the end of the response, reused by `save()` and the header hook. */
  private serializedSession: Session | undefined = undefined;
  private serializedData = '';
  readonly merge: MergeCommit | undefined;
  readonly clearer: CookieClearer | undefined;
  expiry: ExpiryWatch | undefined = undefined;

  constructor(
    readonly shared: Shared,
    readonly req: SessionRequest,
    readonly next: NextFunction,
    readonly signer: Signer,
    reading: IdReading,
  ) {
    const { config } = shared;
    this.cookieId = reading.id;
    this.signedValue = reading.signedValue;
    this.secretIndex = reading.secretIndex;
    this.merge = shared.commits && new MergeCommit(config.store, config.storeTimeout, shared.commits);
    this.clearer = config.clearCookieOnDestroy ? new CookieClearer(config.unsetDestroy) : undefined;
    req.sessionID = reading.id as string;
  }

  get config(): SessionConfig {
    return this.shared.config;
  }

  get storeTimeout(): number | undefined {
    return this.shared.config.storeTimeout;
  }

  get signingSecret(): Secret {
    return this.signer.signingSecret;
  }

  /** The session the request now has (new or loaded): its changes are measured from here. */
  track(session: Session, data = sessionData(session)): void {
    this.originalId = this.req.sessionID;
    this.originalData = data;
    this.merge?.track(session);
    this.clearer?.seen(session);
    trackSession(session, this, true);
  }

  /** A session loaded from the store, not expired. */
  loaded(session: Session): void {
    const { config, lifetime } = this.shared;
    if (config.touchAfter !== undefined) this.touchedRecently = wasTouchedWithin(session.cookie, config.touchAfter);
    // A session stored without a valid creation time starts its lifetime now,
    // and that start must be stored (a save), or it would start anew on each load.
    const lifetimeStarted = lifetime?.limit(session.cookie) === true;
    if (this.merge) this.merge.loadedFromStore = true;
    this.track(session);
    if (!config.resave && !lifetimeStarted) this.savedData = this.originalData;
    if (config.resendOnExpiryChange) this.expiry = new ExpiryWatch(session);
  }

  /** `sessionData(session)`, from the end-of-response serialization when that is still the session. */
  dataOf(session: Session): string {
    return session === this.serializedSession ? this.serializedData : sessionData(session);
  }

  /** Serializes the session once for the end-of-response decisions, the save and the header hook. */
  serializeAtEnd(session: Session): string {
    this.serializedData = sessionData(session);
    this.serializedSession = session;
    return this.serializedData;
  }

  /** Resets the session's expiry once per response (`touch()` keeps it within `maxLifetime`). */
  touchOnce(session: Session): void {
    if (this.touched) return;
    this.expiry?.note(session);
    session.touch();
    // Again, for a session the app put on `req` itself (not tracked, so its touch() does not).
    this.limitLifetime(session);
    this.touched = true;
  }

  // SessionTracker: what the session methods tell the request about.

  limitLifetime(session: Session): void {
    this.shared.lifetime?.limit(session.cookie);
  }

  saving(session: Session, written: Promise<void> | undefined): void {
    debug('saving %s', session.id);
    const before = this.savedData;
    const data = this.dataOf(session);
    this.savedData = data;
    if (written === undefined) return;
    const pending: Promise<void> = written.then(
      () => this.saveSettled(pending),
      () => {
        // A save that failed does not count as saved: the end-of-response commit saves again.
        if (this.savedData === data) this.savedData = before;
        this.saveSettled(pending);
      },
    );
    this.pendingSave = pending;
  }

  private saveSettled(save: Promise<void>): void {
    if (this.pendingSave === save) this.pendingSave = undefined;
  }

  remove(sessionId: string): Promise<void> {
    const { store, storeTimeout } = this.shared.config;
    const destroy = (): Promise<void> => callStore(store, 'destroy', [sessionId], storeTimeout);
    // After the commits of this session already queued, and before the ones queued later.
    return this.shared.commits ? this.shared.commits.run(sessionId, destroy) : destroy();
  }

  write(session: Session): Promise<void> {
    if (this.merge?.owns(session)) return this.merge.write(session);
    const { store, storeTimeout } = this.shared.config;
    return callStore(store, 'set', [session.id, session], storeTimeout);
  }

  /**
   * regenerate(): a new session, tracked for destroy() and regenerate() but not
   * wrapped, as express-session's store.generate does: the original id stays the
   * old one (so the new id counts as modified and gets its cookie), and its
   * save() does not mark it saved (regenerate → save → end writes it twice [quirk]).
   */
  generate(): void | Promise<void> {
    const pending = generateSession(this.req, this.shared.config, this.shared.lifetime);
    if (pending) return pending.then(() => this.trackRegenerated());
    this.trackRegenerated();
  }

  private trackRegenerated(): void {
    const session = this.req.session!;
    this.clearer?.seen(session);
    trackSession(session, this, false);
  }

  destroyed(session: Session): void {
    this.clearer?.destroyedSession(session);
  }

  reloaded(previous: Session, fresh: Session, wrapped: boolean): void {
    trackSession(fresh, this, wrapped);
    // The reloaded data is the latest stored version: later merges start from it.
    this.merge?.reloaded(previous, fresh);
  }
}
