/**
 * Which session ids read from a request may reach the store. A store may use
 * an id as a file name, a key or a query parameter: whatever a client sends
 * must not become a path, a control character or a megabyte-long key there.
 */

import { describeValue } from './option-values.js';

/** The longest id read from a request (the default ids have 32 characters). */
export const MAX_ID_LENGTH = 256;

/** The default genid's ids: 24 random bytes as 32 characters of base64url. */
const DEFAULT_ID = /^[A-Za-z0-9_-]{32}$/;
/** Control characters (C0, DEL, C1): no id needs one, and NUL ends a C string. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** A `.` or `..` path segment (`/` or `\` around it): a way out of a folder in a store that makes file names of ids. */
const DOT_SEGMENT = /(?:^|[\\/])\.\.?(?:[\\/]|$)/;

/** The app's rule for ids (the `isValidId` option), as a function. */
export type IdRule = (id: string) => boolean;

/** Checks the `isValidId` option: a RegExp or a function, made a function (undefined or null: the default rule). */
export function resolveIdRule(option: unknown): IdRule | undefined {
  if (option == null) return undefined;
  if (option instanceof RegExp) {
    // test() of a `g` or `y` RegExp starts where the last match ended: a copy without them answers the same every time.
    const pattern = new RegExp(option.source, option.flags.replace(/[gy]/g, ''));
    return (id) => pattern.test(id);
  }
  if (typeof option === 'function') {
    const rule = option as IdRule;
    return (id) => rule(id) === true;
  }
  throw new TypeError(`isValidId option is invalid: ${describeValue(option)}; use a RegExp the whole id must match or a function returning true, e.g. isValidId: /^[0-9a-f-]{36}$/ for UUIDs`);
}

/**
 * Whether an id read from a request may reach the store. Never with control
 * characters, a `.` or `..` path segment, or more than `MAX_ID_LENGTH`
 * characters, signed or not: a signed id was made by genid, but a careless
 * genid or a leaked secret must not open the store's files. Then the app's
 * rule decides; without one, signed ids pass and unsigned ones (`allowUnsigned`)
 * must look like the default genid's.
 */
export function isAcceptableId(id: string, signed: boolean, rule: IdRule | undefined): boolean {
  if (id.length > MAX_ID_LENGTH || CONTROL.test(id) || DOT_SEGMENT.test(id)) return false;
  if (rule !== undefined) return rule(id);
  return signed || DEFAULT_ID.test(id);
}
