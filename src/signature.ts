import { createSecretKey, type KeyObject } from 'node:crypto';
import signature = require('cookie-signature');

/** A key `crypto.createHmac` accepts. */
export type Secret = string | NodeJS.ArrayBufferView | KeyObject;

/** A session ID that passed the signature check, and how. */
export interface VerifiedId {
  readonly id: string;
  /** The `s:` value it came from when the current secret verified it (it can be sent back as is). */
  readonly signedValue: string | undefined;
  /** Which secret verified it: 0 is the current (signing) secret. */
  readonly secretIndex: number;
}

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

/**
 * Verifies `value` (`<id>.<hmac>`, without the `s:` prefix) against each secret
 * in turn, in constant time per secret. Returns the id and the index of the
 * secret that verified it, or undefined.
 */
export function verifySignedValue(value: string, secrets: readonly Secret[]): { id: string; secretIndex: number } | undefined {
  for (let i = 0; i < secrets.length; i++) {
    const id = signature.unsign(value, secrets[i]);
    if (id !== false) return { id, secretIndex: i };
  }
  return undefined;
}

/**
 * Values already verified against the current (first) secret: a returning
 * visitor's cookie costs a map lookup instead of an HMAC. Only a value that
 * passed the full check gets in, secrets never change for one middleware, and
 * the size is bounded (oldest out first).
 */
export class VerifiedValues {
  /** By `s:` value (decoded). */
  private readonly signed = new Map<string, VerifiedId>();
  /** By the value exactly as a Cookie header carried it (still URL-encoded, maybe quoted): not decoded again. */
  private readonly sent = new Map<string, VerifiedId>();

  constructor(private readonly max = 10_000) {}

  get(value: string): VerifiedId | undefined {
    return this.signed.get(value);
  }

  add(value: string, verified: VerifiedId): void {
    addBounded(this.signed, this.max, value, verified);
  }

  getSent(headerValue: string): VerifiedId | undefined {
    return this.sent.get(headerValue);
  }

  addSent(headerValue: string, verified: VerifiedId): void {
    addBounded(this.sent, this.max, headerValue, verified);
  }
}

function addBounded<V>(map: Map<string, V>, max: number, key: string, value: V): void {
  if (map.size >= max) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

/**
 * Signs and verifies session IDs for one set of secrets: it owns the secrets'
 * HMAC keys and, for a middleware's fixed secrets, the cache of verified values.
 * A request that signs with cookie-parser's `req.secret` gets one without a cache.
 */
export class Signer {
  private readonly keys: readonly Secret[];
  private readonly verified: VerifiedValues | undefined;

  /** `accepts(id)`: whether a signed id may reach the store (the signature alone does not decide it). */
  constructor(secrets: readonly Secret[], cached: boolean, private readonly accepts: (id: string) => boolean) {
    this.keys = cached ? Object.freeze(secrets.map(hmacKey)) : secrets;
    this.verified = cached ? new VerifiedValues() : undefined;
  }

  /** The secret (or its key) that signs: the first. */
  get signingSecret(): Secret {
    return this.keys[0];
  }

  /** `s:<id>.<hmac>` with the signing secret. */
  sign(sessionId: string): string {
    return signSessionId(sessionId, this.keys[0]);
  }

  /** Verifies an `s:<id>.<hmac>` value against each secret; undefined when none signed it or its id is not accepted. */
  verify(value: string): VerifiedId | undefined {
    const known = this.verified?.get(value);
    if (known !== undefined) return known;
    const match = verifySignedValue(value.slice(2), this.keys);
    // Only acceptable ids are cached: a cached one needs no second look.
    if (match === undefined || !this.accepts(match.id)) return undefined;
    if (match.secretIndex > 0) return { id: match.id, signedValue: undefined, secretIndex: match.secretIndex };
    const verified: VerifiedId = { id: match.id, signedValue: value, secretIndex: 0 };
    this.verified?.add(value, verified);
    return verified;
  }

  /** A Cookie header value verified before, by its exact text. */
  knownHeaderValue(headerValue: string): VerifiedId | undefined {
    return this.verified?.getSent(headerValue);
  }

  /** Remembers that `headerValue` decodes to a value the current secret verified. */
  rememberHeaderValue(headerValue: string, verified: VerifiedId): void {
    this.verified?.addSent(headerValue, verified);
  }
}
