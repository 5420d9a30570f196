import createDebug = require('debug');
import depd = require('depd');

/**
 * Debug output and deprecation warnings use express-session's namespace, so an
 * app's existing `DEBUG=express-session` and `NO_DEPRECATION=express-session`
 * settings keep working after the switch.
 */
export const debug = createDebug('express-session');
export const deprecate = depd('express-session');

const warned = new Set<string>();

/**
 * A warning about a value that works but is probably not what the app meant,
 * printed once per process for each distinct message. Node's warning channel
 * (not depd's): nothing here is deprecated, and `--no-warnings` or a process
 * 'warning' listener handle it as usual.
 */
export function warnOnce(message: string, code = 'ESESSIONOPTION'): void {
  if (warned.has(message)) return;
  warned.add(message);
  warn(message, code);
}

/** A warning on Node's channel, under this package's name. */
export function warn(message: string, code: string): void {
  process.emitWarning(`express-session-cn: ${message}`, { code });
}
