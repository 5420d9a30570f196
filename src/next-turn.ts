import { AsyncResource } from 'node:async_hooks';

/**
 * Runs tasks on the next turn of the event loop (the check phase, where
 * `setImmediate` callbacks run), in the order given, with one Immediate for
 * all of them instead of one each: the built-in store's answers, many per
 * turn on a busy server. A task queued while they run (a load whose app ends
 * the response at once queues that end) runs in the same turn after the
 * others, so a turn's responses go out together.
 *
 * Each task runs in the async context it was queued from, as it would in its
 * own Immediate: an `AsyncLocalStorage` store (a request id, a trace span)
 * follows its request, never the one that happened to queue first.
 *
 * A task that throws does not stop the others: its error is thrown again on
 * its own, as an uncaught exception, as it would have been from its own
 * Immediate.
 */
export function onNextTurn<A, B, C, D>(task: (a: A, b: B, c: C, d: D) => void, a: A, b: B, c: C, d: D): void {
  const at = queued;
  queue[at] = new AsyncResource(RESOURCE_TYPE);
  queue[at + 1] = task;
  queue[at + 2] = a;
  queue[at + 3] = b;
  queue[at + 4] = c;
  queue[at + 5] = d;
  queued = at + SLOTS;
  if (!scheduled) {
    scheduled = true;
    immediate(runQueued);
  }
}

type Task = (a: unknown, b: unknown, c: unknown, d: unknown) => void;

const RESOURCE_TYPE = 'express-session-cn';

/** The real one, taken when this module loads, as express-session's MemoryStore does: fake timers installed later do not stop the queue. */
const immediate = setImmediate;

/** A task's async context, the task, and its four arguments. */
const SLOTS = 6;

/**
 * Two flat arrays, swapped each turn and cleared slot by slot: they never
 * hold a task that has run.
 */
let queue: unknown[] = [];
let queued = 0;
let spare: unknown[] = [];
let scheduled = false;

function runQueued(): void {
  try {
    while (queued > 0) runBatch();
  } finally {
    scheduled = false;
  }
}

function runBatch(): void {
  const tasks = queue;
  const count = queued;
  queue = spare;
  queued = 0;
  spare = tasks;
  for (let i = 0; i < count; i += SLOTS) {
    const context = tasks[i] as AsyncResource;
    const task = tasks[i + 1] as Task;
    const a = tasks[i + 2];
    const b = tasks[i + 3];
    const c = tasks[i + 4];
    const d = tasks[i + 5];
    tasks.fill(undefined, i, i + SLOTS);
    context.runInAsyncScope(runTask, undefined, task, a, b, c, d);
  }
}

/** Runs in the task's own async context, so that its error, thrown again, is that context's too. */
function runTask(task: Task, a: unknown, b: unknown, c: unknown, d: unknown): void {
  try {
    task(a, b, c, d);
  } catch (err) {
    process.nextTick(rethrow, err);
  }
}

function rethrow(err: unknown): never {
  throw err;
}
