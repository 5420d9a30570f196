import type { TLSSocket } from 'node:tls';
import type { SessionIncomingMessage } from './options.js';
import type { Session, SessionStore } from './session.js';

/**
 * The request as the middleware and the helpers handle it: the public request
 * type of the option callbacks, with the session and store the middleware sets.
 */
export interface SessionRequest extends SessionIncomingMessage {
  session?: Session;
  sessionStore?: SessionStore;
}

/** Connect's and Express's `next`. */
export type NextFunction = (err?: unknown) => void;

/**
 * Whether the request arrived over HTTPS: a TLS socket, or, by the `proxy`
 * option, `X-Forwarded-Proto` (`true`) or Express's `req.secure` (unset).
 */
export function isSecureRequest(req: SessionIncomingMessage, trustProxy: boolean | undefined): boolean {
  const socket = ((req as { socket?: unknown }).socket ?? (req as { connection?: unknown }).connection) as TLSSocket | undefined;
  if (socket?.encrypted) return true;
  if (trustProxy === false) return false;
  if (trustProxy !== true) return req.secure === true;

  const header = req.headers['x-forwarded-proto'];
  const value = typeof header === 'string' ? header : '';
  const comma = value.indexOf(',');
  const proto = (comma === -1 ? value : value.slice(0, comma)).trim().toLowerCase();
  return proto === 'https';
}
/** The path of the original request URL (before Express strips a mount path), without the query. */
export function requestPathname(req: SessionIncomingMessage): string {
  const url = req.originalUrl ?? req.url ?? '';
  if (url.charCodeAt(0) === 0x2f /* / */) {
    let end = url.length;
    const query = url.indexOf('?');
    if (query !== -1) end = query;
    const hash = url.indexOf('#');
    if (hash !== -1 && hash < end) end = hash;
    return end === 1 ? '/' : url.slice(0, end) || '/';
  }
  // Absolute-form (proxy) or `*` request targets.
  try {
    return new URL(url).pathname || '/';
  } catch {
    return url || '/';
  }
}
