import { serialize } from 'cookie';
import type { CookieData } from './cookie.js';

/**
 * Builds `Set-Cookie` values for one cookie name, byte for byte what
 * `cookie.serialize(name, value, data)` gives, at a fraction of its per-call
 * cost: the library formats and validates each distinct set of attributes once
 * (with a sentinel `Expires` to split around), and each call then only adds the
 * encoded value and the expiry.
 */
export class SetCookieSerializer {
  private readonly shapes = new Map<string, readonly [string, string]>();
  /** The attributes of the last call and their shape: most responses repeat them. */
  private last: CookieData | undefined;
  private lastShape: readonly [string, string] | undefined;

  constructor(private readonly name: string) {}

  serialize(value: string, data: CookieData): string {
    const { expires } = data;
    if (expires && !(expires instanceof Date && Number.isFinite(expires.valueOf()))) {
      // The library's own error for an invalid expiry.
      return serialize(this.name, value, data as Parameters<typeof serialize>[2]);
    }
    const [beforeExpires, afterExpires] = this.shape(data);
    const encoded = encodeURIComponent(value);
    return expires
      ? `${this.name}=${encoded}${beforeExpires}; Expires=${expires.toUTCString()}${afterExpires}`
      : `${this.name}=${encoded}${beforeExpires}${afterExpires}`;
  }

  /** The attributes before and after `Expires`, as the library formats them. */
  private shape(data: CookieData): readonly [string, string] {
    const last = this.last;
    if (last !== undefined && sameAttributes(last, data)) return this.lastShape!;
    const shape = this.lookup(data);
    this.last = data;
    this.lastShape = shape;
    return shape;
  }

  private lookup(data: CookieData): readonly [string, string] {
    const key = `${data.domain}\u0000${data.path}\u0000${data.httpOnly}\u0000${data.secure}\u0000${data.partitioned}\u0000${data.priority}\u0000${data.sameSite}`;
    let shape = this.shapes.get(key);
    if (shape === undefined) {
      const sample = serialize(this.name, 'v', { ...data, expires: SENTINEL } as Parameters<typeof serialize>[2]);
      const at = sample.indexOf(SENTINEL_ATTRIBUTE);
      shape = [sample.slice(this.name.length + 2, at), sample.slice(at + SENTINEL_ATTRIBUTE.length)];
      if (this.shapes.size >= MAX_SHAPES) this.shapes.clear();
      this.shapes.set(key, shape);
    }
    return shape;
  }
}

function sameAttributes(a: CookieData, b: CookieData): boolean {
  return a.path === b.path && a.domain === b.domain && a.httpOnly === b.httpOnly && a.secure === b.secure
    && a.sameSite === b.sameSite && a.priority === b.priority && a.partitioned === b.partitioned;
}

const SENTINEL = new Date(0);
const SENTINEL_ATTRIBUTE = `; Expires=${SENTINEL.toUTCString()}`;
/** Apps have one or two attribute sets; anything beyond this is not worth keeping. */
const MAX_SHAPES = 32;
