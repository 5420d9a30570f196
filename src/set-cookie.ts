import { serialize } from 'cookie';
import type { CookieData } from './cookie.js';

/**
 * Builds `Set-Cookie` values for one cookie name, byte for byte what
 * `cookie.serialize(name, value, data)` gives, at a fraction of its per-call
 * cost: the library formats and validates each distinct set of attributes once
 * (with a sentinel `Expires` to split around), and each call then only adds the
 * encoded value and the expiry. The cache is only a speed-up: whatever the
 * attributes, the result is the library's.
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
    if (shape === undefined) return serialize(this.name, value, options(data, expires));
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

  /** The shape of `data`'s attributes; undefined when they cannot be cached (a value that is not a primitive). */
  private shape(data: CookieAttributes): Shape | undefined {
    const last = this.last;
    // `last` holds primitives only, so equal values format the same.
    if (last !== undefined && sameAttributes(last, data)) return this.lastShape!;
    const key = attributesKey(data);
    if (key === undefined) return undefined;
    let shape = this.shapes.get(key);
    if (shape === undefined) {
      shape = this.format(data);
      // Once full, a new set of attributes is formatted on each call rather than
      // pushing others out: a flood of distinct values (e.g. a `cookie` function
      // reading a request header) costs its own requests, never other users'.
      if (this.shapes.size < MAX_SHAPES) this.shapes.set(key, shape);
    }
    this.last = attributesOf(data);
    this.lastShape = shape;
    return shape;
  }

  /** The library formats and validates the attributes once, with a sentinel `Expires` to split around. */
  private format(data: CookieAttributes): Shape {
    const sample = serialize(this.name, 'v', options(data, SENTINEL));
    const at = sample.indexOf(SENTINEL_ATTRIBUTE);
    const before = sample.slice(this.name.length + 2, at);
    const after = sample.slice(at + SENTINEL_ATTRIBUTE.length);
    return { beforeExpires: `${before}; Expires=`, afterExpires: after, withoutExpires: before + after };
  }
}

/**
 * The cache key of a set of attributes. Each value is tagged with its type and
 * strings carry their length, so two different sets never share a key
 * (`undefined` and `'undefined'`, `false` and `'false'`, a separator inside a
 * value). Undefined when a value is not a primitive: an object may format
 * differently next time, so it is never cached.
 */
export function attributesKey(data: CookieAttributes): string | undefined {
  const { domain, path, httpOnly, secure, partitioned, priority, sameSite } = data;
  const parts = [keyPart(domain), keyPart(path), keyPart(httpOnly), keyPart(secure), keyPart(partitioned), keyPart(priority), keyPart(sameSite)];
  return parts.includes(undefined) ? undefined : parts.join('');
}

function keyPart(value: unknown): string | undefined {
  if (typeof value === 'string') return `s${value.length}:${value}`;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') return `n${value};`;
  if (value === undefined) return 'u';
  return value === null ? 'l' : undefined;
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
/** Apps have one or two attribute sets; past this many, new ones are not cached. */
const MAX_SHAPES = 32;
