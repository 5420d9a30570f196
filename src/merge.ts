import type { CommitQueue } from './commit-queue.js';
import { debug } from './logging.js';
import type { Session, SessionStore, StoredSession } from './session.js';
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
    return this.commits.run(session.id, () => this.mergeInto(session));
  }

  /** Runs inside the commit queue: no other commit of this session in this process interleaves between the read and the write. */
  private async mergeInto(session: Session): Promise<void> {
    const { store, storeTimeout } = this;
    const latest = await callStore<StoredSession | null | undefined>(store, 'get', [session.id], storeTimeout);
    const found = latest !== null && typeof latest === 'object';
    if (!found && this.loadedFromStore) {
      // Destroyed (or expired) meanwhile, e.g. by a logout in a parallel request: not resurrected.
      debug('merge: session %s is gone from the store; not written', session.id);
      return;
    }
    const target = (found ? latest : {}) as Record<string, unknown>;
    const current = session as unknown as Record<string, unknown>;
    const now = snapshotKeys(session);
    for (const [key, json] of now) {
      if (this.baseline.get(key) !== json) target[key] = current[key];
    }
    for (const key of this.baseline.keys()) {
      if (!now.has(key)) delete target[key];
    }
    target.cookie = session.cookie;
    await callStore(store, 'set', [session.id, target], storeTimeout);
    this.baseline = now;
  }
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
