/**
 * Runs tasks one at a time per key (a session id), in the order they were
 * queued: the commits of one session inside one process never interleave.
 * A failed task does not block the ones queued after it.
 */
export class CommitQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const result = previous ? previous.then(task, task) : task();
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

function noop(): void {}
