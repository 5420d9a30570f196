/**
 * Runs tasks on the next turn of the event loop (the check phase, where
 * `setImmediate` callbacks run), in the order given, with one Immediate for
 * all of them instead of one each: the built-in store's answers, many per
 * turn on a busy server. A task queued while they run (a load whose app ends
 * the response at once queues that end) runs in the same turn after the
 * others, so a turn's responses go out together.
 *
 * A task that throws does not stop the others: its error is thrown again on
 * its own, as an uncaught exception, as it would have been from its own
 * Immediate.
 */
export function onNextTurn<A, B, C, D>(task: (a: A, b: B, c: C, d: D) => void, a: A, b: B, c: C, d: D): void {
  const at = queued;
  queue[at] = task;
  queue[at + 1] = a;
  queue[at + 2] = b;
  queue[at + 3] = c;
  queue[at + 4] = d;
  queued = at + SLOTS;
  if (!scheduled) {
    scheduled = true;
    setImmediate(runQueued);
  }
}

type Task = (a: unknown, b: unknown, c: unknown, d: unknown) => void;

/** A task and its four arguments. */
const SLOTS = 5;

/**
 * Two flat arrays, swapped each turn and cleared slot by slot: in a steady
 * state nothing is allocated per task.
 */
let queue: unknown[] = [];
let queued = 0;
let spare: unknown[] = [];
let scheduled = false;

function runQueued(): void {
  while (queued > 0) runBatch();
  scheduled = false;
}

function runBatch(): void {
  const tasks = queue;
  const count = queued;
  queue = spare;
  queued = 0;
  spare = tasks;
  for (let i = 0; i < count; i += SLOTS) {
    const task = tasks[i] as Task;
    const a = tasks[i + 1];
    const b = tasks[i + 2];
    const c = tasks[i + 3];
    const d = tasks[i + 4];
    tasks.fill(undefined, i, i + SLOTS);
    try {
      task(a, b, c, d);
    } catch (err) {
      process.nextTick(rethrow, err);
    }
  }
}

function rethrow(err: unknown): never {
  throw err;
}
