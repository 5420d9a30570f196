/**
 * Runs tasks one at a time per key (a session id), in the order they were
 * queued: the commits of one session inside one process never interleave.
 * A failed task does not block the ones queued after it, and neither does one
 * that never settles (a store that lost a callback): a task waits for the one
 * before it at most `maxWait` ms, then runs anyway.
 */
export class CommitQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly maxWait: number) {}

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const result = previous ? settledWithin(previous, this.maxWait).then(task) : task();
    const tail = result.then(noop, noop);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** How many sessions have commits queued or running (for tests and debugging). */
  get size(): number {
    return this.tails.size;
  }
}

/** Resolves when `previous` settles or after `ms`, whichever comes first. */
function settledWithin(previous: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void previous.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function noop(): void {}
