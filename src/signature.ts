import signature = require('cookie-signature');

/** A key `crypto.createHmac` accepts. */
export type Secret = string | NodeJS.ArrayBufferView | import('node:crypto').KeyObject;

/** `s:<id>.<hmac>`: the value the session cookie carries before URL-encoding. */
export function signSessionId(sessionId: string, secret: Secret): string {
  return 's:' + signature.sign(sessionId, secret);
}

/** Which secret verified a value: 0 is the current (signing) secret. */
export interface SecretMatch {
  secretIndex: number;
}

/**
 * Verifies `value` (`<id>.<hmac>`, without the `s:` prefix) against each secret in
 * turn, in constant time per secret. Returns the id or `false`, and notes in
 * `match` which secret it was.
 */
export function verifySignedValue(value: string, secrets: readonly Secret[], match?: SecretMatch): string | false {
  for (let i = 0; i < secrets.length; i++) {
    const result = signature.unsign(value, secrets[i]);
    if (result !== false) {
      if (match) match.secretIndex = i;
      return result;
    }
  }
  return false;
}
