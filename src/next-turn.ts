/**
 * Runs tasks on the next turn of the event loop, in the order given: what
 * `setImmediate(task, a, b, c, d)` does, with one Immediate for all the tasks
 * of a turn instead of one each (the built-in store's answers, many per turn on
 * a busy server).
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
  // Tasks queued while these run (an app that ends at once) wait for the next turn.
  const tasks = queue;
  const count = queued;
  queue = spare;
  queued = 0;
  spare = tasks;
  scheduled = false;
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
