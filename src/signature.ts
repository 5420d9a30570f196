import { createSecretKey } from 'node:crypto';
import signature = require('cookie-signature');

/** A key `crypto.createHmac` accepts. */
export type Secret = string | NodeJS.ArrayBufferView | import('node:crypto').KeyObject;

/**
 * The key to compute HMACs with, made once per middleware: a string secret
 * would otherwise be encoded to bytes again for every signature. Same bytes
 * (UTF-8), so the same signatures. Other secrets are used as they are.
 */
export function hmacKey(secret: Secret): Secret {
  return typeof secret === 'string' ? createSecretKey(Buffer.from(secret, 'utf8')) : secret;
}

/** `s:<id>.<hmac>`: the value the session cookie carries before URL-encoding. */
export function signSessionId(sessionId: string, secret: Secret): string {
  return 's:' + signature.sign(sessionId, secret);
}

/** Which secret verified a value: 0 is the current (signing) secret. */
export interface SecretMatch {
  secretIndex: number;
}

/**
 * Values already verified against the current (first) secret, and their ids:
 * a returning visitor's cookie costs a map lookup instead of an HMAC. Only a
 * value that passed the full check gets in, secrets never change for one
 * middleware, and the size is bounded (oldest out first).
 */
export class VerifiedValues {
  private readonly ids = new Map<string, string>();
  /**
   * The same, keyed by the value exactly as a Cookie header carried it (still
   * URL-encoded, maybe quoted): a returning visitor's value is not decoded again.
   */
  private readonly sent = new Map<string, SentValue>();

  constructor(private readonly max = 10_000) {}

  get(value: string): string | undefined {
    return this.ids.get(value);
  }

  add(value: string, id: string): void {
    addBounded(this.ids, this.max, value, id);
  }

  getSent(headerValue: string): SentValue | undefined {
    return this.sent.get(headerValue);
  }

  /** `headerValue` decodes to `signed`, which verified as `id`. */
  addSent(headerValue: string, signed: string, id: string): void {
    addBounded(this.sent, this.max, headerValue, { signed, id });
  }
}

/** A Cookie header's value for the session cookie, verified: its `s:` value (decoded) and id. */
export interface SentValue {
  readonly signed: string;
  readonly id: string;
}

function addBounded<V>(map: Map<string, V>, max: number, key: string, value: V): void {
  if (map.size >= max) map.delete(map.keys().next().value as string);
  map.set(key, value);
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
