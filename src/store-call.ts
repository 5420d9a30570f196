/** The arguments of a store call before its callback: the id, and the session or change if any. */
export type StoreArgs = readonly [sid: unknown] | readonly [sid: unknown, value: unknown];

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
  args: StoreArgs,
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
      returned = invoke(store, method, args, answer);
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

type StoreMethod = (...args: unknown[]) => unknown;

/** `store[method](...args, callback)`, without the array a spread call makes (a request calls its store once or twice). */
function invoke(store: object, method: string, args: StoreArgs, callback: unknown): unknown {
  const fn = (store as Record<string, StoreMethod>)[method];
  return args.length === 1 ? fn.call(store, args[0], callback) : fn.call(store, args[0], args[1], callback);
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
