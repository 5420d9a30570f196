import uid = require('uid-safe');

/** How many random bytes make an id: 24, as express-session's `uid(24)`. */
const ID_BYTES = 24;

/** The default `genid`: 24 bytes from the CSPRNG as 32 characters of base64url, by uid-safe as in express-session. */
export function generateSessionId(): string {
  return uid.sync(ID_BYTES);
}
