import { parse } from 'cookie';
import { debug, deprecate } from './logging.js';
import type { SessionConfig, SessionIncomingMessage } from './options.js';
import { isAcceptableId } from './session-id-rule.js';
import type { Signer, VerifiedId } from './signature.js';

/** No id found (`undefined`), or cookie-parser's `false` for a bad signature, as express-session passes it on. */
export type MissingId = undefined | false;

/** What reading a request's session ID found: the id (or none), and how it was verified. */
export interface IdReading {
  readonly id: string | MissingId;
  /** The `s:` value the id came from when the current secret verified it (it can be sent back as is). */
  readonly signedValue: string | undefined;
  /** Which secret verified the id (0: the current one, or not signed by us). */
  readonly secretIndex: number;
}

const NO_ID: IdReading = Object.freeze({ id: undefined, signedValue: undefined, secretIndex: 0 });

/** An id that reached us without our signature check: cookie-parser's, or an unsigned one. */
function unverified(id: string | MissingId): IdReading {
  return id === undefined ? NO_ID : { id, signedValue: undefined, secretIndex: 0 };
}

/**
 * Finds the session ID a request carries, in express-session's order: the
 * `Cookie` header, then cookie-parser's `req.signedCookies` and `req.cookies`,
 * then the `alternateTokenValue` option (which may answer with a Promise).
 */
export function readSessionId(req: SessionIncomingMessage, config: SessionConfig, signer: Signer): IdReading | Promise<IdReading> {
  const { name } = config;
  let reading = readCookieHeader(req, name, signer, config);

  if (!reading.id && req.signedCookies) reading = readSignedCookie(req.signedCookies[name] as string | MissingId, config);

  if (!reading.id && req.cookies) reading = readParsedCookie(req.cookies[name], signer, config) ?? reading;

  if (!reading.id && config.alternateTokenValue) {
    const token = config.alternateTokenValue(req);
    const before = reading;
    if (isPromise(token)) {
      // Promise.resolve: a foreign thenable (e.g. Bluebird) must still come back as a native Promise.
      return Promise.resolve(token).then((value) => verifyToken(value, signer, config) ?? before);
    }
    reading = verifyToken(token, signer, config) ?? reading;
  }

  return reading;
}

/** The session cookie of the `Cookie` header. */
function readCookieHeader(req: SessionIncomingMessage, name: string, signer: Signer, config: IdConfig): IdReading {
  const header = req.headers.cookie as string | string[] | undefined;
  if (!header) return NO_ID;
  // Only our cookie is decoded: a header often carries many others.
  const encoded = parse(Array.isArray(header) ? header.join('; ') : header, { decode: keepEncoded })[name];
  return encoded === undefined ? NO_ID : verifyHeaderValue(encoded, signer, config) ?? NO_ID;
}

function keepEncoded(value: string): string {
  return value;
}

/** cookie-parser's `req.signedCookies[name]`: its signature is checked already, the id still has to be acceptable. */
function readSignedCookie(id: string | MissingId, config: IdConfig): IdReading {
  if (typeof id === 'string' && id && !isAcceptableId(id, true, config.isValidId)) {
    debug('session id refused');
    return NO_ID;
  }
  if (id) deprecate('cookie should be available in req.headers.cookie');
  return unverified(id);
}

/** cookie-parser's `req.cookies[name]`: a value that is still signed, or an unsigned one. */
function readParsedCookie(raw: unknown, signer: Signer, config: IdConfig): IdReading | undefined {
  if (typeof raw !== 'string' || !raw) return undefined;
  const verified = verifyValue(raw, signer, config);
  if (verified?.id && raw.startsWith('s:')) deprecate('cookie should be available in req.headers.cookie');
  return verified?.id ? verified : undefined;
}

/** A token may be the URL-encoded cookie value (`s%3A…`, as `getCookieValue` hands it out). */
function verifyToken(token: unknown, signer: Signer, config: IdConfig): IdReading | undefined {
  if (typeof token !== 'string' || !token) return undefined;
  const verified = verifyValue(decodeIfEncoded(token), signer, config);
  return verified?.id ? verified : undefined;
}

/**
 * A Cookie header value as express-session's cookie@0.7 parse reads it: one pair
 * of surrounding double quotes is removed (cookie@1 keeps them), then URL-decoded.
 */
function decodeCookieValue(value: string): string {
  const quoted = value.length > 0 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22;
  return decodeIfEncoded(quoted ? value.slice(1, -1) : value);
}

/** `decodeURIComponent` when there is a `%` to decode; the value as it is when it is not valid encoding. */
export function decodeIfEncoded(value: string): string {
  if (value.indexOf('%') === -1) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The session cookie's value as the Cookie header carries it: known already, or decoded and verified. */
function verifyHeaderValue(encoded: string, signer: Signer, config: IdConfig): IdReading | undefined {
  const known = signer.knownHeaderValue(encoded);
  if (known !== undefined) return known;
  const raw = decodeCookieValue(encoded);
  if (!raw) return undefined;
  const verified = verifyValue(raw, signer, config);
  // Verified with the current secret (an unsigned value never is: it is not cached).
  if (verified !== undefined && verified.signedValue === raw) signer.rememberHeaderValue(encoded, verified as VerifiedId);
  return verified;
}

/** What reading an id needs of the config. */
type IdConfig = Pick<SessionConfig, 'allowUnsigned' | 'isValidId'>;

/**
 * `s:`-prefixed values are verified (the signer accepts only acceptable ids,
 * and caches only those); raw ones pass only with `allowUnsigned`, and only
 * when they are acceptable ids.
 */
function verifyValue(raw: string, signer: Signer, config: IdConfig): IdReading | undefined {
  if (raw.startsWith('s:')) {
    const verified = signer.verify(raw);
    if (verified === undefined) debug('cookie signature invalid or session id refused');
    return verified;
  }
  if (!config.allowUnsigned) {
    debug('cookie unsigned');
    return undefined;
  }
  if (isAcceptableId(raw, false, config.isValidId)) return unverified(raw);
  debug('session id refused');
  return undefined;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return value != null && typeof (value as Promise<T>).then === 'function';
}
