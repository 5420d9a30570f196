import type { SessionIncomingMessage } from './options.js';
import type { SessionRequest } from './request.js';
import { signingSecretOf } from './session.js';
import { decodeIfEncoded } from './session-id.js';
import { signSessionId, verifySignedValue, type Secret } from './signature.js';

/**
 * The session cookie's value exactly as `Set-Cookie` carries it for this
 * request's session (`s%3A<id>.<signature>`), e.g. to hand to an API or mobile
 * client that sends it back in a header read by `alternateTokenValue`.
 *
 * @param req a request the session middleware has run on
 * @param _name accepted for compatibility with express-session-cn 1.x; the value does not depend on it
 * @param secret the secret (or secrets: the first signs) to sign with;
 *   default: the signing secret of the middleware that served `req`, then `req.secret`
 */
export function getCookieValue(req: SessionIncomingMessage, _name?: string, secret?: Secret | readonly Secret[]): string {
  const request = req as SessionRequest | undefined;
  if (!request || !request.session || typeof request.sessionID !== 'string') {
    throw new TypeError('getCookieValue(req) needs a request with a session: call it after the session middleware has run');
  }
  const signingSecret = (Array.isArray(secret) ? secret[0] : secret) ?? signingSecretOf(request.session) ?? request.secret;
  if (!signingSecret) {
    throw new TypeError('getCookieValue(req) has no secret: pass one, or set the secret option of session()');
  }
  return encodeURIComponent(signSessionId(request.sessionID, signingSecret as Secret));
}

/**
 * Verifies a signed session ID (`s:<id>.<sig>`, `s%3A<id>.<sig>` or `<id>.<sig>`)
 * against a secret or each of several secrets. Returns the id, or `false`.
 */
export function unsigncookie(value: string, secrets: Secret | readonly Secret[]): string | false {
  if (typeof value !== 'string') return false;
  const list = Array.isArray(secrets) ? secrets : [secrets as Secret];
  if (list.length === 0 || list.some((s) => s == null)) {
    throw new TypeError('unsigncookie(value, secrets) needs a secret or a non-empty array of secrets');
  }
  const decoded = decodeIfEncoded(value);
  return verifySignedValue(decoded.startsWith('s:') ? decoded.slice(2) : decoded, list)?.id ?? false;
}
