import { parse } from 'cookie';
import { debug, deprecate } from './logging.js';
import type { SessionConfig, SessionIncomingMessage } from './options.js';
import { isAcceptableId } from './session-id-rule.js';
import { verifySignedValue, type Secret, type SecretMatch, type VerifiedValues } from './signature.js';

/** What reading the id reports besides the id, and the cache it may use. */
export interface IdVerification extends SecretMatch {
  /** The `s:` value the id came from, when it was verified with the current secret (it can be sent back as is). */
  signedValue: string | undefined;
  /** Values verified before, when the secrets are fixed (not `req.secret`). */
  readonly verified: VerifiedValues | undefined;
}

/** No id found (`undefined`), or cookie-parser's `false` for a bad signature, as express-session passes it on. */
export type MissingId = undefined | false;

/**
 * Finds the session ID a request carries, in express-session's order: the
 * `Cookie` header, then cookie-parser's `req.signedCookies` and `req.cookies`,
 * then the `alternateTokenValue` option (which may answer with a Promise).
 * A value that is not an acceptable id (`isAcceptableId`) counts as none.
 */
export function readSessionId(
  req: SessionIncomingMessage,
  config: SessionConfig,
  secrets: readonly Secret[],
  match?: IdVerification,
): string | MissingId | Promise<string | MissingId> {
  const { name } = config;
  let id: string | MissingId;

  const header = req.headers.cookie as string | string[] | undefined;
  if (header) {
    // Only our cookie is decoded: a header often carries many others.
    const encoded = parse(Array.isArray(header) ? header.join('; ') : header, { decode: keepEncoded })[name];
    if (encoded !== undefined) id = verifyHeaderValue(encoded, secrets, config, match);
  }

  if (!id && req.signedCookies) {
    // cookie-parser has already checked the signature.
    id = req.signedCookies[name] as string | MissingId;
    if (typeof id === 'string' && id && !isAcceptableId(id, true, config.isValidId)) {
      debug('session id refused');
      id = undefined;
    }
    if (id) deprecate('cookie should be available in req.headers.cookie');
  }

  if (!id && req.cookies) {
    const raw = req.cookies[name];
    if (typeof raw === 'string' && raw) {
      const verified = verifyValue(raw, secrets, config, match);
      if (verified && raw.startsWith('s:')) deprecate('cookie should be available in req.headers.cookie');
      id = verified || id;
    }
  }

  if (!id && config.alternateTokenValue) {
    const token = config.alternateTokenValue(req);
    if (isPromise(token)) {
      // Promise.resolve: a foreign thenable (e.g. Bluebird) must still come back as a native Promise.
      return Promise.resolve(token).then((value) => verifyToken(value, secrets, config, match) || id);
    }
    id = verifyToken(token, secrets, config, match) || id;
  }

  return id;
}

function keepEncoded(value: string): string {
  return value;
}

/** A token may be the URL-encoded cookie value (`s%3A…`, as `getCookieValue` hands it out). */
function verifyToken(token: unknown, secrets: readonly Secret[], config: IdConfig, match?: IdVerification): string | undefined {
  if (typeof token !== 'string' || !token) return undefined;
  return verifyValue(decodeIfEncoded(token), secrets, config, match);
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
function verifyHeaderValue(encoded: string, secrets: readonly Secret[], config: IdConfig, match?: IdVerification): string | undefined {
  const known = match?.verified?.getSent(encoded);
  if (known !== undefined) {
    match!.secretIndex = 0;
    match!.signedValue = known.signed;
    return known.id;
  }
  const raw = decodeCookieValue(encoded);
  if (!raw) return undefined;
  const id = verifyValue(raw, secrets, config, match);
  // Verified with the current secret (an unsigned value never is: it is not cached).
  if (id !== undefined && match?.signedValue === raw) match.verified?.addSent(encoded, raw, id);
  return id;
}

/** What reading an id needs of the config. */
type IdConfig = Pick<SessionConfig, 'allowUnsigned' | 'isValidId'>;

/**
 * `s:`-prefixed values are verified; raw ones pass only with `allowUnsigned`.
 * Either way the id must be acceptable. Only acceptable ids are cached, so a
 * cached one needs no second look.
 */
function verifyValue(raw: string, secrets: readonly Secret[], config: IdConfig, match?: IdVerification): string | undefined {
  if (raw.startsWith('s:')) {
    const known = match?.verified?.get(raw);
    if (known !== undefined) {
      match!.secretIndex = 0;
      match!.signedValue = raw;
      return known;
    }
    const verification: SecretMatch = { secretIndex: 0 };
    const id = verifySignedValue(raw.slice(2), secrets, verification);
    if (id === false) {
      debug('cookie signature invalid');
      return undefined;
    }
    if (!isAcceptableId(id, true, config.isValidId)) {
      debug('session id refused');
      return undefined;
    }
    if (match) {
      match.secretIndex = verification.secretIndex;
      if (verification.secretIndex === 0) {
        match.signedValue = raw;
        match.verified?.add(raw, id);
      }
    }
    return id;
  }
  if (!config.allowUnsigned) {
    debug('cookie unsigned');
    return undefined;
  }
  if (!isAcceptableId(raw, false, config.isValidId)) {
    debug('session id refused');
    return undefined;
  }
  return raw;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return value != null && typeof (value as Promise<T>).then === 'function';
}
