import { OutgoingMessage, ServerResponse } from 'node:http';
import { Http2ServerResponse } from 'node:http2';

/**
 * Puts a response whose end() is held (until its commit settles) into Node's
 * own ended state, and returns the function that takes it out again just
 * before the real end() runs.
 *
 * Node's own methods then answer as on an ended response (the same errors,
 * events, return values and callbacks): nothing here imitates them. The parts
 * of the state that Node's methods read are private, so they are set in this
 * one place and nowhere else:
 *
 * - HTTP/1: `_header` (headersSent, setHeader/appendHeader/removeHeader/
 *   writeHead throw ERR_HTTP_HEADERS_SENT) and `finished` (writableEnded;
 *   write() and a second end() fail as after end).
 * - HTTP/2 compatibility API: the stream's `headersSent` and the response's
 *   `ending` state, which its methods read.
 *
 * What the real end() reads but an ended response ignores (the status code
 * and message, `sendDate`, trailers, header arrays changed in place) is
 * captured here and put back on release, so that nothing done while held
 * changes a byte that goes out.
 */
export type Release = () => void;

export function holdAsEnded(res: object): Release {
  if (res instanceof OutgoingMessage) return holdHttp1(res as Http1Response);
  if (res instanceof Http2ServerResponse) return holdHttp2(res);
  return noop;
}

/** Node's private fields of an outgoing HTTP/1 message that the hold needs. */
type Http1Response = ServerResponse & {
  _header: string | null;
  _trailer: string;
};

/**
 * Stands in for the header block while held: `headersSent` (and code that
 * checks `res._header`, as finalhandler and express-session do) sees it as
 * sent. Never written: the writes that would send it fail first (the response
 * is finished), and flushHeaders is a no-op while held.
 */
const HELD_HEADER = 'HTTP/1.1 (held until the session is committed)\r\n\r\n';

/**
 * `writeHead` as Node defines it, in place of the instance's (on-headers',
 * ours included): while held it throws at once, as on an ended response,
 * where a wrapper would first run its listeners, too early.
 */
function useNodeWriteHead(res: { writeHead: unknown }, writeHead: unknown): Release {
  const own = Object.getOwnPropertyDescriptor(res, 'writeHead');
  res.writeHead = writeHead;
  return () => restore(res, 'writeHead', own);
}

function holdHttp1(res: Http1Response): Release {
  const header = res._header;
  const { statusCode, statusMessage, sendDate, _trailer: trailer } = res;
  const arrays = header ? undefined : headerArrays(res);
  const ownFlushHeaders = Object.getOwnPropertyDescriptor(res, 'flushHeaders');

  if (!header) res._header = HELD_HEADER;
  res.finished = true;
  const restoreWriteHead = useNodeWriteHead(res, ServerResponse.prototype.writeHead);
  // Would send `HELD_HEADER`; on an ended response it sends nothing.
  res.flushHeaders = noop;

  return () => {
    restoreWriteHead();
    restore(res, 'flushHeaders', ownFlushHeaders);
    res._header = header;
    res.finished = false;
    res.statusCode = statusCode;
    res.statusMessage = statusMessage;
    res.sendDate = sendDate;
    res._trailer = trailer;
    if (arrays) restoreHeaderArrays(res, arrays);
  };
}

function holdHttp2(res: Http2ServerResponse): Release {
  const state = http2State(res);
  const stream = res.stream as (typeof res.stream & { headRequest?: boolean }) | undefined;
  if (!state || !stream) return noop;
  const { ending, headRequest } = state;
  const { statusCode, sendDate } = res;
  const headersSent = stream.headersSent;
  const arrays = headersSent ? undefined : headerArrays(res);
  const ownHeadersSent = Object.getOwnPropertyDescriptor(stream, 'headersSent');

  state.ending = true;
  // As end() leaves it: a second end() on a HEAD request is then also a no-op.
  state.headRequest = stream.headRequest === true;
  if (!headersSent) Object.defineProperty(stream, 'headersSent', { configurable: true, get: sent });
  const restoreWriteHead = useNodeWriteHead(res, Http2ServerResponse.prototype.writeHead);

  return () => {
    restoreWriteHead();
    restore(stream, 'headersSent', ownHeadersSent);
    state.ending = ending;
    state.headRequest = headRequest;
    // Not through the setter: the value was valid when captured.
    state.statusCode = statusCode;
    state.sendDate = sendDate;
    if (arrays) restoreHeaderArrays(res, arrays);
  };
}

interface Http2State {
  ending: boolean;
  headRequest: boolean;
  statusCode: number;
  sendDate: boolean;
}

/** The compatibility response keeps its state under a private symbol; found by its description, once. */
let http2StateKey: symbol | undefined;

function http2State(res: Http2ServerResponse): Http2State | undefined {
  http2StateKey ??= Object.getOwnPropertySymbols(res).find((key) => key.description === 'state');
  const state = http2StateKey && (res as unknown as Record<symbol, unknown>)[http2StateKey];
  return state && typeof (state as Http2State).ending === 'boolean' ? state as Http2State : undefined;
}

interface HeaderResponse {
  getHeaderNames(): string[];
  getRawHeaderNames?: () => string[];
  getHeader(name: string): unknown;
  setHeader(name: string, value: string[]): unknown;
}

/** Header values that can change in place (arrays, e.g. `Set-Cookie`): a copy, by name as set. */
function headerArrays(res: HeaderResponse): Array<[string, string[]]> | undefined {
  let arrays: Array<[string, string[]]> | undefined;
  const names = typeof res.getRawHeaderNames === 'function' ? res.getRawHeaderNames() : res.getHeaderNames();
  for (const name of names) {
    const value = res.getHeader(name);
    if (Array.isArray(value)) (arrays ??= []).push([name, value.slice()]);
  }
  return arrays;
}

function restoreHeaderArrays(res: HeaderResponse, arrays: Array<[string, string[]]>): void {
  for (const [name, value] of arrays) {
    const current = res.getHeader(name);
    if (!Array.isArray(current) || current.length !== value.length || current.some((item, i) => item !== value[i])) {
      res.setHeader(name, value);
    }
  }
}

/** Puts back an own property as it was before the hold (or removes the one the hold added). */
function restore(target: object, key: string, descriptor: PropertyDescriptor | undefined): void {
  if (descriptor) Object.defineProperty(target, key, descriptor);
  else delete (target as Record<string, unknown>)[key];
}

function sent(): boolean {
  return true;
}

function noop(): void {}
