import { warnOnce } from './logging.js';

/**
 * A wrong value as an error message shows it: the value and its type, so that
 * `'5000'` (a string read from the environment) is told apart from `5000`.
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') {
    const text = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return value === '' ? "'' (an empty string)" : `'${text}' (a string)`;
  }
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return value.name ? `a function (${value.name})` : 'a function';
  if (value instanceof Date) return `${Number.isNaN(value.valueOf()) ? 'Invalid Date' : value.toISOString()} (a Date)`;
  if (typeof value === 'object') return 'an object';
  return `${String(value)} (a ${typeof value})`;
}

/** `'5000'`, `' 42 '`: a string that `Number()` reads as a finite number, as environment variables are. */
export function isNumericString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));
}

/**
 * The fix for a duration given as a string: `storeTimeout: 5000`, or
 * `Number(process.env.…)` when it is read from the environment.
 */
export function numberFix(key: string, value: unknown, example: string): string {
  return isNumericString(value)
    ? `use a number: ${key}: ${Number(value)}, or ${key}: Number(process.env.…) for a value read from the environment`
    : `use a number of milliseconds, e.g. ${key}: ${example}`;
}

/**
 * A boolean option given another type: express-session takes it by its
 * truthiness (so `resave: 'false'` means true), and so does this package, with
 * a one-time warning that names the fix. `counted` is how the value is taken.
 */
export function warnIfNotBoolean(key: string, value: unknown, counted = Boolean(value)): void {
  if (value === undefined || value === null || typeof value === 'boolean') return;
  warnOnce(`${key} option is ${describeValue(value)}, which counts as ${counted ? 'true' : 'false'}; `
    + `write ${key}: true or ${key}: false (a boolean)`);
}

/**
 * A key that is not an option but nearly one (`saveUnitialized`, `cookie.maxage`)
 * is ignored, as in express-session, where the app meant to set something:
 * warn once, naming the option it was probably meant to be.
 */
export function warnIfMisspelt(hasNo: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const meant = known.find((name) => name.toLowerCase() === key.toLowerCase())
      ?? known.find((name) => key.length >= 5 && editDistance(name.toLowerCase(), key.toLowerCase()) <= 2);
    if (meant !== undefined) warnOnce(`${hasNo} ${key}, so it is ignored: did you mean ${meant}?`);
  }
}

/** Levenshtein distance (insertions, deletions, substitutions), for option names only. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
