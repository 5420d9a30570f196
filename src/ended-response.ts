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
 *   writeHead throw ERR_HTTP_HEADERS_SENT), `_headerSent` while `_header` is
 *   the stand-in (flushHeaders and writableLength treat it as written) and
 *   `finished` (writableEnded; write() and a second end() fail as after end).
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
  _headerSent: boolean;
  _trailer: string;
};

/**
 * Stands in for the header block while held: `headersSent` (and code that
 * checks `res._header`, as finalhandler and express-session do) sees it as
 * sent. Never written: the writes that would send it fail first (the response
 * is finished), and flushHeaders finds it already sent (`_headerSent`).
 */
const HELD_HEADER = 'HTTP/1.1 (held until the session is committed)\r\n\r\n';

// Every request that saves or destroys its session holds its response, so a
// hold keeps to plain assignments to properties the response already has, and
// a scan of the headers that copies nothing unless one of them is an array.
// (Adding a property and deleting it again would also cost, from Node 22 on,
// the response's fast properties: V8 turns it into a dictionary.)

function holdHttp1(res: Http1Response): Release {
  const { _header: header, _headerSent: headerSent, finished, statusCode, statusMessage, sendDate, _trailer: trailer } = res;
  const arrays = header ? undefined : headerArrays(res);
  // Node's own writeHead in place of the instance's (on-headers', ours
  // included): while held it throws at once, as on an ended response, where a
  // wrapper would first run its listeners, too early.
  const putBackWriteHead = replace(res, 'writeHead', ServerResponse.prototype.writeHead);
  if (!header) {
    res._header = HELD_HEADER;
    // flushHeaders would send `HELD_HEADER` otherwise. Only here: once the
    // app has written, Node 24 may still hold its header and first chunks
    // (corked until the next tick), and they must go out as they would.
    res._headerSent = true;
  }
  res.finished = true;

  return () => {
    putBackWriteHead();
    res._header = header;
    if (!header) res._headerSent = headerSent;
    res.finished = finished;
    // Only what changed: the status defaults are the prototype's, and an
    // assignment would add them to the response (writeHead adds them itself).
    if (res.statusCode !== statusCode) res.statusCode = statusCode;
    if (res.statusMessage !== statusMessage) res.statusMessage = statusMessage;
    res.sendDate = sendDate;
    res._trailer = trailer;
    // Last: setHeader throws until the headers count as unsent again.
    if (arrays) restoreHeaderArrays(res, arrays);
  };
}

function holdHttp2(res: Http2ServerResponse): Release {
  const state = http2State(res);
  const stream = res.stream as (typeof res.stream & { headRequest?: boolean }) | undefined;
  if (!state || !stream) return noop;
  const { ending, headRequest, statusCode, sendDate } = state;
  const headersSent = stream.headersSent;
  const arrays = headersSent ? undefined : headerArrays(res);
  const putBackWriteHead = replace(res, 'writeHead', Http2ServerResponse.prototype.writeHead);
  const putBackHeadersSent = headersSent ? noop : replaceWithGetter(stream, 'headersSent', sent);
  state.ending = true;
  // As end() leaves it: a second end() on a HEAD request is then also a no-op.
  state.headRequest = stream.headRequest === true;

  return () => {
    putBackWriteHead();
    putBackHeadersSent();
    state.ending = ending;
    state.headRequest = headRequest;
    // Into the state, not through the response's setters: the values were valid when captured.
    state.statusCode = statusCode;
    state.sendDate = sendDate;
    if (arrays) restoreHeaderArrays(res, arrays);
  };
}

/**
 * Puts `value` in place of `target`'s own `key`, as an assignment would, and
 * returns what puts the property back as it was (or removes it, if it was not
 * an own one). An own method that was assigned (on-headers' writeHead) and a
 * missing one take plain assignments, far cheaper than redefining them.
 */
function replace(target: object, key: string, value: unknown): Release {
  const object = target as Record<string, unknown>;
  const own = Object.getOwnPropertyDescriptor(target, key);
  if (own === undefined) {
    object[key] = value;
    return () => {
      delete object[key];
    };
  }
  if (own.writable && own.enumerable && own.configurable) {
    object[key] = value;
    return () => {
      object[key] = own.value;
    };
  }
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  return () => Object.defineProperty(target, key, own);
}

function replaceWithGetter(target: object, key: string, get: () => unknown): Release {
  const own = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, { get, configurable: true });
  return () => {
    if (own) Object.defineProperty(target, key, own);
    else delete (target as Record<string, unknown>)[key];
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
  getHeaders(): Record<string, unknown>;
  getRawHeaderNames?: () => string[];
  setHeader(name: string, value: string[]): unknown;
}

/** Header values that can change in place (arrays, e.g. `Set-Cookie`): a copy of each, by lower-case name. */
function headerArrays(res: HeaderResponse): Map<string, string[]> | undefined {
  let arrays: Map<string, string[]> | undefined;
  const entries = outHeaders(res);
  const headers = entries ?? res.getHeaders();
  for (const key in headers) {
    const value = entries ? entries[key]![1] : headers[key];
    if (Array.isArray(value)) (arrays ??= new Map()).set(key, value.slice() as string[]);
  }
  return arrays;
}

/**
 * Node keeps an HTTP/1 message's headers as `{ [lower-case name]: [name, value] }`
 * (null until the first one) under a private symbol, found by its description,
 * once. Reading it spares each hold the copy `getHeaders()` makes; undefined
 * where it is not there (HTTP/2, or a Node that keeps them elsewhere).
 */
let outHeadersKey: symbol | undefined;

function outHeaders(res: HeaderResponse): Record<string, [string, unknown]> | undefined {
  if (!(res instanceof OutgoingMessage)) return undefined;
  outHeadersKey ??= Object.getOwnPropertySymbols(res).find((key) => key.description === 'kOutHeaders');
  /* c8 ignore next -- every Node from 18 to 26 has it; another would take getHeaders() */
  if (outHeadersKey === undefined) return undefined;
  // null until the first header is set
  return ((res as unknown as Record<symbol, unknown>)[outHeadersKey] ?? {}) as Record<string, [string, unknown]>;
}

/** Sets back each array that changed while held, under the name it was set with. */
function restoreHeaderArrays(res: HeaderResponse, arrays: Map<string, string[]>): void {
  const headers = res.getHeaders();
  for (const [key, value] of arrays) {
    const current = headers[key];
    if (!Array.isArray(current) || current.length !== value.length || current.some((item, i) => item !== value[i])) {
      res.setHeader(res.getRawHeaderNames?.().find((name) => name.toLowerCase() === key) ?? key, value);
    }
  }
}

function sent(): boolean {
  return true;
}

function noop(): void {}
