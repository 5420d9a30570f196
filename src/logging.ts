import createDebug = require('debug');
import depd = require('depd');

/**
 * Debug output and deprecation warnings use express-session's namespace, so an
 * app's existing `DEBUG=express-session` and `NO_DEPRECATION=express-session`
 * settings keep working after the switch.
 */
export const debug = createDebug('express-session');
export const deprecate = depd('express-session');
