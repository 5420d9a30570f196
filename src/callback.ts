/** A Node-style completion callback. */
export type Callback = (err?: unknown) => void;

const noop = (): void => {};

/**
 * The one bridge between the Promise core and callback callers. With a callback,
 * the callback gets the outcome and `self` is returned; without one, the Promise is
 * returned, already marked as handled so that nobody awaiting it is not a crash.
 * A callback that throws surfaces as an uncaught exception, as it would from a store.
 */
export function settle<S>(self: S, promise: Promise<void>, callback: Callback | undefined): S | Promise<void> {
  if (typeof callback !== 'function') {
    promise.catch(noop);
    return promise;
  }
  promise.then(
    () => invoke(callback, undefined),
    (err: unknown) => invoke(callback, err),
  );
  return self;
}

function invoke(callback: Callback, err: unknown): void {
  try {
    if (err === undefined) callback();
    else callback(err);
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown;
    });
  }
}
