import type { CommitQueue } from './commit-queue.js';
import { debug } from './logging.js';
import type { Session, SessionStore, StoredSession } from './session.js';
import { applyChange, type SessionChange } from './session-change.js';
import { callStore } from './store-call.js';

/**
 * `concurrency: 'merge'`, for one request (made only with that option): the
 * session whose saves merge, and each of its top-level keys' JSON as last read
 * or written. A save writes only the keys this request added, changed or
 * deleted onto the latest stored version, inside the session's commit queue.
 */
export class MergeCommit {
  private session: Session | undefined;
  private baseline = new Map<string, string>();
  /** The session came from the store (a merge onto a vanished one would resurrect it). */
  loadedFromStore = false;

  constructor(
    private readonly store: SessionStore,
    private readonly storeTimeout: number | undefined,
    private readonly commits: CommitQueue,
  ) {}

  /** The request's session (loaded, new or reloaded): later merges start from what it holds now. */
  track(session: Session): void {
    this.session = session;
    this.baseline = snapshotKeys(session);
  }

  /** `reload()` read the latest stored version of the tracked session. */
  reloaded(previous: Session, fresh: Session): void {
    if (previous === this.session) this.track(fresh);
  }

  /** Whether saving `session` merges (a session made by regenerate() is written whole). */
  owns(session: Session): boolean {
    return session === this.session;
  }

  write(session: Session): Promise<void> {
    // A new session is written whole: whatever the store holds under its id
    // (a genid that repeats an id) is not its data.
    if (!this.loadedFromStore) return this.commits.run(session.id, () => callStore(this.store, 'set', [session.id, session], this.storeTimeout));
    return this.commits.run(session.id, () => (typeof this.store.merge === 'function' ? this.mergeAtomically(session) : this.mergeInto(session)));
  }

  /** The store merges the change onto the latest version in one atomic step (see `SessionChange`). */
  private async mergeAtomically(session: Session): Promise<void> {
    const now = snapshotKeys(session);
    const change = changeOf(session, this.baseline, now);
    const merged = await callStore<StoredSession | null | undefined>(this.store, 'merge', [session.id, change], this.storeTimeout);
    if (merged == null) debug('merge: session %s is gone from the store; not written', session.id);
    this.baseline = now;
  }

  /** Runs inside the commit queue: no other commit of this session in this process interleaves between the read and the write. */
  private async mergeInto(session: Session): Promise<void> {
    const { store, storeTimeout } = this;
    const latest = await callStore<StoredSession | null | undefined>(store, 'get', [session.id], storeTimeout);
    if (latest === null || typeof latest !== 'object') {
      // Destroyed (or expired) meanwhile, e.g. by a logout in a parallel request: not resurrected.
      debug('merge: session %s is gone from the store; not written', session.id);
      return;
    }
    const now = snapshotKeys(session);
    const merged = applyChange(latest as Record<string, unknown>, changeOf(session, this.baseline, now));
    await callStore(store, 'set', [session.id, merged], storeTimeout);
    this.baseline = now;
  }
}

/** What the request changed since `baseline` (each key's JSON then), for a merge. */
function changeOf(session: Session, baseline: ReadonlyMap<string, string>, now: ReadonlyMap<string, string>): SessionChange {
  const current = session as unknown as Record<string, unknown>;
  const set = Object.create(null) as Record<string, unknown>;
  for (const [key, json] of now) {
    if (baseline.get(key) !== json) set[key] = current[key];
  }
  const deleted = [...baseline.keys()].filter((key) => !now.has(key));
  return { set, deleted, cookie: session.cookie };
}

/** Each top-level data key's JSON (`cookie` aside; undefined values count as absent). */
function snapshotKeys(session: Session): Map<string, string> {
  const snapshot = new Map<string, string>();
  const data = session as unknown as Record<string, unknown>;
  for (const key of Object.keys(data)) {
    if (key === 'cookie') continue;
    const json = JSON.stringify(data[key]) as string | undefined;
    if (json !== undefined) snapshot.set(key, json);
  }
  return snapshot;
}
