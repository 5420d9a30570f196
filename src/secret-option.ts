import type { KeyObject } from 'node:crypto';
import type { SessionOptions } from './options.js';
import type { Secret } from './signature.js';

/** The `secret` option as the middleware keeps it: frozen, each secret checked and copied; undefined for `req.secret`. */
export function resolveSecrets(secret: SessionOptions['secret'], deprecate: (message: string) => void): readonly Secret[] | undefined {
  if (Array.isArray(secret) && secret.length === 0) {
    throw new TypeError('secret option array must contain one or more strings');
  }
  if (secret === '') {
    // express-session took it as "no secret": every request then failed with "secret option required".
    throw new TypeError('secret option is an empty string (is the environment variable it is read from unset?); '
      + 'use a long random string, e.g. secret: process.env.SESSION_SECRET with SESSION_SECRET set');
  }
  if (!secret) {
    deprecate('req.secret; provide secret option');
    return undefined;
  }
  if (!Array.isArray(secret)) return Object.freeze([copySecret(secret, '')]);
  return Object.freeze(secret.map((item, index) => copySecret(item, ` at index ${index}`)));
}

const SECRET_FIX = 'use a non-empty string, a Buffer or a KeyObject, or an array of them';

/**
 * A secret as the middleware keeps it, checked (`where` says which one, for an
 * array). Buffer and TypedArray secrets are copied: bytes the app changes later
 * must not leave old and new keys mixed. An empty key is refused: anyone can
 * compute an HMAC with it. The secret itself never appears in a message.
 */
export function copySecret(value: unknown, where = ''): Secret {
  if (typeof value === 'string' && value.length > 0) return value;
  if (ArrayBuffer.isView(value)) {
    if (value.byteLength === 0) throw emptySecret(`an empty ${value.constructor.name}`, where);
    // Buffer.from of a view copies its bytes (Buffer.from of its ArrayBuffer would share them).
    return Buffer.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'secret') {
    if ((value as KeyObject).symmetricKeySize === 0) throw emptySecret('a KeyObject of 0 bytes', where);
    // A KeyObject cannot be changed: kept as it is.
    return value as KeyObject;
  }
  throw new TypeError(`secret option is invalid${where}: ${secretType(value)}; ${SECRET_FIX}`);
}

function emptySecret(what: string, where: string): TypeError {
  return new TypeError(`secret option is invalid${where}: ${what} (an empty key lets anyone sign cookies: use a long random secret, e.g. crypto.randomBytes(32))`);
}

/** What a bad secret is, without showing it: secrets stay out of error messages and logs. */
function secretType(value: unknown): string {
  if (value === '') return 'an empty string';
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
