/**
 * Calls one store method and settles on its first answer, whichever way it comes:
 * a Node-style callback, a returned Promise, or a synchronous throw. Stores that
 * call back twice, or call back and also return a Promise, are answered once.
 * With `timeout` (ms), a store that has not answered by then fails the call
 * with a `StoreTimeoutError` (a late answer is ignored).
 */
export function callStore<T = void>(
  store: object,
  method: string,
  args: unknown[],
  timeout?: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    // A Promise settles once: later answers (a second callback, a Promise
    // besides the callback, an answer after the timeout) are ignored by it.
    const answer = (err?: unknown, value?: T): void => {
      if (timer !== undefined) clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as T);
    };
    if (timeout !== undefined) {
      timer = setTimeout(() => answer(new StoreTimeoutError(method, timeout)), timeout);
      timer.unref();
    }
    let returned: unknown;
    try {
      const fn = (store as Record<string, (...a: unknown[]) => unknown>)[method];
      returned = fn.call(store, ...args, answer);
    } catch (err) {
      answer(err ?? new Error(`store.${method}() threw ${String(err)}`));
      return;
    }
    if (isThenable(returned)) {
      returned.then(
        (value) => answer(undefined, value as T),
        (err: unknown) => answer(err ?? new Error(`store.${method}() rejected with ${String(err)}`)),
      );
    }
  });
}

/** A store call that did not answer within the `storeTimeout` option. */
export class StoreTimeoutError extends Error {
  readonly code = 'ESTORETIMEOUT';
  constructor(readonly method: string, readonly timeout: number) {
    super(`session store did not answer store.${method}() within ${timeout} ms (storeTimeout option)`);
    this.name = 'StoreTimeoutError';
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value != null && typeof (value as PromiseLike<unknown>).then === 'function';
}
