/**
 * Calls one store method and settles on its first answer, whichever way it comes:
 * a Node-style callback, a returned Promise, or a synchronous throw. Stores that
 * call back twice, or call back and also return a Promise, are answered once.
 */
export function callStore<T = void>(
  store: object,
  method: string,
  args: unknown[],
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const answer = (err?: unknown, value?: T): void => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve(value as T);
    };
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

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value != null && typeof (value as PromiseLike<unknown>).then === 'function';
}
