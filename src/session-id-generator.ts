import { randomFillSync } from 'node:crypto';

const ID_BYTES = 24;
/** How many ids one call to the CSPRNG fills (Node's crypto.randomUUID batches the same way). */
const IDS_PER_FILL = 128;

let pool = Buffer.alloc(0);
let offset = 0;

/**
 * The default `genid`: 24 bytes from the CSPRNG as 32 characters of
 * base64url, the same format express-session's uid-safe gives. Random bytes
 * are drawn in batches, so most ids cost a slice, not a system call.
 */
export function generateSessionId(): string {
  if (offset + ID_BYTES > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(ID_BYTES * IDS_PER_FILL));
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  // Used bytes are wiped, so the pool never holds an id already handed out.
  pool.fill(0, offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
