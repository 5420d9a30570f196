import assert from 'node:assert/strict';

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves every arrival's promise once `count` callers have arrived. */
export function barrier(count: number): { arrive(): Promise<void>; readonly arrived: number } {
  let arrived = 0;
  let open!: () => void;
  const all = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    arrive() {
      arrived += 1;
      if (arrived === count) open();
      return all;
    },
    get arrived() {
      return arrived;
    },
  };
}

/** Resolves once `check()` holds, polling on the event loop (not a timing assertion). */
export async function until(check: () => boolean, turns = 100_000): Promise<void> {
  for (let i = 0; i < turns && !check(); i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(check(), 'condition never became true');
}
