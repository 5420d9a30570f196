import type { ServerResponse } from 'node:http';
import onHeaders = require('on-headers');

/**
 * The only module that touches the response. WebSocket callers pass `{}` or
 * `{ end() {} }`, so each method is patched only where it exists, and none is
 * called eagerly.
 */
export interface ResponseHooks {
  /** Runs once, just before the status line and headers are written. */
  beforeHeaders(): void;
  /**
   * Runs once, when the app ends the response. A returned Promise holds the
   * end of the response until it settles; undefined ends it now.
   */
  beforeEnd(): Promise<void> | undefined;
  /**
   * `beforeEnd`'s Promise rejected. If nothing had been sent yet, the held
   * response was dropped and `res` is free for an error response; otherwise
   * the response has been ended as it was.
   */
  onCommitError(err: unknown): void;
}

type ResponseLike = Partial<Pick<ServerResponse, 'headersSent' | 'getHeaderNames' | 'removeHeader' | 'writeHead'>> & {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Node's overloads of end() take any chunk
  end?: (...args: any[]) => unknown;
};

/** Headers that describe the body of a dropped response; an error response must not inherit them. */
const BODY_HEADERS = new Set([
  'content-type', 'content-length', 'content-encoding', 'content-disposition', 'content-language',
  'content-range', 'etag', 'last-modified', 'location', 'transfer-encoding',
]);

export function interceptResponse(res: ResponseLike, hooks: ResponseHooks): void {
  if (typeof res.writeHead === 'function') {
    onHeaders(res as ServerResponse, hooks.beforeHeaders);
  }

  const originalEnd = res.end;
  if (typeof originalEnd !== 'function') return;

  let ended = false;
  res.end = function end(this: ResponseLike, ...args: unknown[]): unknown {
    if (ended) return false;
    ended = true;

    let pending: Promise<void> | undefined;
    try {
      pending = hooks.beforeEnd();
    } catch (err) {
      // E.g. a session that cannot be serialized: the app's end() throws, and
      // its error handler gets a working end() to answer with.
      res.end = originalEnd;
      throw err;
    }
    if (!pending) return originalEnd.apply(this, args);

    // Nothing has reached the client yet: hold the whole response (headers
    // included) until the store has answered, so a failed save can still
    // become an error response, and a redirect never outruns its save.
    const held = !res.headersSent;
    pending.then(
      () => endNow(originalEnd, res, args, hooks),
      (err: unknown) => {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- headers may have gone out while the store answered
        if (held && !res.headersSent) {
          res.end = originalEnd;
          dropBodyHeaders(res);
          hooks.onCommitError(err);
        } else {
          endNow(originalEnd, res, args, hooks);
          setImmediate(() => hooks.onCommitError(err));
        }
      },
    );
    return this;
  };
}

/**
 * Ends a held response. In the app's own end() call an exception (say, an
 * invalid chunk) would reach the app; here it would be an unhandled rejection,
 * so it goes to the error handler instead.
 */
function endNow(originalEnd: NonNullable<ResponseLike['end']>, res: ResponseLike, args: unknown[], hooks: ResponseHooks): void {
  try {
    originalEnd.apply(res, args);
  } catch (err) {
    // Nothing was sent: the error handler gets a working end() to answer with.
    res.end = originalEnd;
    hooks.onCommitError(err);
  }
}

function dropBodyHeaders(res: ResponseLike): void {
  if (typeof res.getHeaderNames !== 'function' || typeof res.removeHeader !== 'function') return;
  for (const header of res.getHeaderNames()) {
    if (BODY_HEADERS.has(header)) res.removeHeader(header);
  }
}
