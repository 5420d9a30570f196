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
  private readonly shapes = new Map<string, Shape>();
  /** `name=`, the start of every value. */
  private readonly prefix: string;
  /** The attributes of the last call (a copy: a Cookie may change later) and their shape: most responses repeat them. */
  private last: CookieAttributes | undefined;
  private lastShape: Shape | undefined;
  /** `Expires` has a resolution of one second: the last one formatted, and its text. */
  private expiresSecond = NaN;
  private expiresText = '';

  constructor(private readonly name: string) {
    this.prefix = `${name}=`;
  }

  /** `data` is a `Cookie` or its `data`: only the attributes below are read. */
  serialize(value: string, data: CookieAttributes): string {
    const { expires } = data;
    if (expires && !(expires instanceof Date && Number.isFinite(expires.valueOf()))) {
      // The library's own error for an invalid expiry.
      return serialize(this.name, value, options(data, expires));
    }
    const shape = this.shape(data);
    const encoded = encodeURIComponent(value);
    return expires
      ? this.prefix + encoded + shape.beforeExpires + this.formatExpires(expires) + shape.afterExpires
      : this.prefix + encoded + shape.withoutExpires;
  }

  private formatExpires(expires: Date): string {
    const second = Math.floor(expires.valueOf() / 1000);
    if (second !== this.expiresSecond) {
      this.expiresSecond = second;
      this.expiresText = expires.toUTCString();
    }
    return this.expiresText;
  }

  private shape(data: CookieAttributes): Shape {
    const last = this.last;
    if (last !== undefined && sameAttributes(last, data)) return this.lastShape!;
    const shape = this.lookup(data);
    this.last = attributesOf(data);
    this.lastShape = shape;
    return shape;
  }

  private lookup(data: CookieAttributes): Shape {
    const key = `${data.domain}\u0000${data.path}\u0000${data.httpOnly}\u0000${data.secure}\u0000${data.partitioned}\u0000${data.priority}\u0000${data.sameSite}`;
    let shape = this.shapes.get(key);
    if (shape === undefined) {
      const sample = serialize(this.name, 'v', options(data, SENTINEL));
      const at = sample.indexOf(SENTINEL_ATTRIBUTE);
      const before = sample.slice(this.name.length + 2, at);
      const after = sample.slice(at + SENTINEL_ATTRIBUTE.length);
      shape = { beforeExpires: `${before}; Expires=`, afterExpires: after, withoutExpires: before + after };
      if (this.shapes.size >= MAX_SHAPES) this.shapes.clear();
      this.shapes.set(key, shape);
    }
    return shape;
  }
}

/** One set of attributes as the library formats them, around where `Expires` goes. */
interface Shape {
  /** Up to and including `; Expires=`. */
  readonly beforeExpires: string;
  readonly afterExpires: string;
  readonly withoutExpires: string;
}

/** What the serializer reads of a cookie: a `Cookie` has these, and so has its `data`. */
export type CookieAttributes = Readonly<Partial<Pick<CookieData, 'expires' | 'path' | 'domain' | 'httpOnly' | 'secure' | 'sameSite' | 'priority' | 'partitioned'>>>;

/** The library's options for these attributes (a `Cookie` itself has more, such as a `maxAge` getter). */
function options(data: CookieAttributes, expires: Date | null | undefined): Parameters<typeof serialize>[2] {
  const { path, domain, httpOnly, secure, sameSite, priority, partitioned } = data;
  return { path, domain, httpOnly, secure, sameSite, priority, partitioned, expires } as Parameters<typeof serialize>[2];
}

function attributesOf(data: CookieAttributes): CookieAttributes {
  const { path, domain, httpOnly, secure, sameSite, priority, partitioned } = data;
  return { path, domain, httpOnly, secure, sameSite, priority, partitioned };
}

function sameAttributes(a: CookieAttributes, b: CookieAttributes): boolean {
  return a.path === b.path && a.domain === b.domain && a.httpOnly === b.httpOnly && a.secure === b.secure
    && a.sameSite === b.sameSite && a.priority === b.priority && a.partitioned === b.partitioned;
}

const SENTINEL = new Date(0);
const SENTINEL_ATTRIBUTE = `; Expires=${SENTINEL.toUTCString()}`;
/** Apps have one or two attribute sets; anything beyond this is not worth keeping. */
const MAX_SHAPES = 32;
