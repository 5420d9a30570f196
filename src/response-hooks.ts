import type { ServerResponse } from 'node:http';
import onHeaders = require('on-headers');
import { holdAsEnded, type Release } from './ended-response.js';

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
   * end of the response until it settles; undefined ends it now. A held response is, to the app and to every other
   * middleware, an ended one (see `holdAsEnded`).
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
    // A later call gets what an ended response gives (held or not): Node's
    // own return value, callback, and 'error' event for a chunk.
    if (ended) return originalEnd.apply(this, args);
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

    // Hold the response (headers included, if none were sent yet) until the
    // store has answered, so that a failed save can still become an error
    // response and a redirect never outruns its save. Meanwhile it is, for
    // everyone, an ended response.
    const held: HeldEnd = { res, originalEnd, args, hooks, unsent: !res.headersSent, release: holdAsEnded(res) };
    pending.then(() => sendHeld(held), (err: unknown) => failHeld(held, err));
    return this;
  };
}

/** A response whose end() waits for its commit. */
interface HeldEnd {
  readonly res: ResponseLike;
  readonly originalEnd: NonNullable<ResponseLike['end']>;
  /** The arguments of the app's end() call. */
  readonly args: unknown[];
  readonly hooks: ResponseHooks;
  /** Nothing had been sent when the app ended it. */
  readonly unsent: boolean;
  readonly release: Release;
}

function sendHeld(held: HeldEnd): void {
  held.release();
  endNow(held);
}

/**
 * The commit failed. If nothing was sent, the held response is dropped and
 * the error handler gets the real, unsent response to answer with; otherwise
 * the response ends as it was, and the error follows it.
 */
function failHeld(held: HeldEnd, err: unknown): void {
  const { res, hooks } = held;
  held.release();
  if (held.unsent && !res.headersSent) {
    res.end = held.originalEnd;
    dropBodyHeaders(res);
    hooks.onCommitError(err);
  } else {
    endNow(held);
    setImmediate(() => hooks.onCommitError(err));
  }
}

/**
 * Ends a held response. In the app's own end() call an exception (say, an
 * invalid chunk) would reach the app; here it would be an unhandled rejection,
 * so it goes to the error handler instead.
 */
function endNow({ res, originalEnd, args, hooks }: HeldEnd): void {
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
