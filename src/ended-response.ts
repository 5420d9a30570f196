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
  const held = res instanceof OutgoingMessage ? http1Hold(res as Http1Response)
    : res instanceof Http2ServerResponse ? http2Hold(res)
    : undefined;
  return held ? hold(held) : noop;
}

/**
 * What holding one kind of response changes: its private state, and own
 * properties put in place while held. Release puts back each of them, and the
 * header arrays of a response whose headers had not gone out.
 */
interface Hold {
  /** The object that keeps Node's private state of the response. */
  state: object;
  /** The ended state, set while held. */
  held: Record<string, unknown>;
  /** What the real end() must find: the state as it was before the hold, not ended. */
  released: Record<string, unknown>;
  /** Own properties (methods, getters) put in place while held. */
  replaced: Array<[target: object, key: string, descriptor: PropertyDescriptor]>;
  /** The response, if its headers have not gone out. */
  unsentHeaders: HeaderResponse | undefined;
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

function http1Hold(res: Http1Response): Hold {
  const { _header: header, statusCode, statusMessage, sendDate, _trailer } = res;
  return {
    state: res,
    held: { _header: header || HELD_HEADER, finished: true },
    released: { _header: header, finished: false, statusCode, statusMessage, sendDate, _trailer },
    replaced: [
      [res, 'writeHead', method(ServerResponse.prototype.writeHead)],
      // Would send `HELD_HEADER`; on an ended response it sends nothing.
      [res, 'flushHeaders', method(noop)],
    ],
    unsentHeaders: header ? undefined : res,
  };
}

function http2Hold(res: Http2ServerResponse): Hold | undefined {
  const state = http2State(res);
  const stream = res.stream as (typeof res.stream & { headRequest?: boolean }) | undefined;
  if (!state || !stream) return undefined;
  const { ending, headRequest, statusCode, sendDate } = state;
  const headersSent = stream.headersSent;
  const replaced: Hold['replaced'] = [[res, 'writeHead', method(Http2ServerResponse.prototype.writeHead)]];
  if (!headersSent) replaced.push([stream, 'headersSent', { configurable: true, get: sent }]);
  return {
    state,
    // As end() leaves it: a second end() on a HEAD request is then also a no-op.
    held: { ending: true, headRequest: stream.headRequest === true },
    // Into the state, not through the response's setters: the values were valid when captured.
    released: { ending, headRequest, statusCode, sendDate },
    replaced,
    unsentHeaders: headersSent ? undefined : res,
  };
}

/** Puts a response into the ended state of its `Hold`; the returned function puts back what it changed. */
function hold({ state, held, released, replaced, unsentHeaders }: Hold): Release {
  const arrays = unsentHeaders && headerArrays(unsentHeaders);
  const own = replaced.map(([target, key]) => Object.getOwnPropertyDescriptor(target, key));
  Object.assign(state, held);
  for (const [target, key, descriptor] of replaced) Object.defineProperty(target, key, descriptor);

  return () => {
    replaced.forEach(([target, key], i) => restore(target, key, own[i]));
    Object.assign(state, released);
    // Last: setHeader throws until the state says the headers are unsent again.
    if (arrays) restoreHeaderArrays(unsentHeaders, arrays);
  };
}

/**
 * A method as an assignment would make it. `writeHead` is Node's own, in place
 * of the instance's (on-headers', ours included): while held it throws at once,
 * as on an ended response, where a wrapper would first run its listeners, too early.
 */
function method(value: unknown): PropertyDescriptor {
  return { value, writable: true, enumerable: true, configurable: true };
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
