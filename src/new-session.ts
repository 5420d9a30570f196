import { Cookie, type CookieOptions } from './cookie.js';
import type { Lifetime } from './lifetime.js';
import type { SessionConfig } from './options.js';
import { isSecureRequest, type SessionRequest } from './request.js';
import { Session, type SessionHolder } from './session.js';
import { isAcceptableId, MAX_ID_LENGTH } from './session-id-rule.js';

/**
 * A new session (new id, new cookie) on `req`, as `store.generate(req)` makes
 * it. `genid` may answer with a Promise, and then so does this.
 */
export function generateSession(req: SessionRequest, config: SessionConfig, lifetime: Lifetime | undefined): void | Promise<void> {
  const id = config.genid(req);
  if (isThenable(id)) {
    return Promise.resolve(id).then((value) => attachNewSession(req, config, lifetime, value));
  }
  attachNewSession(req, config, lifetime, id);
}

function attachNewSession(req: SessionRequest, config: SessionConfig, lifetime: Lifetime | undefined, id: string): void {
  // Such an id would be refused when its cookie comes back: the session would be lost on every request.
  if (typeof id === 'string' && !isAcceptableId(id, true, config.isValidId)) {
    throw new TypeError(`genid returned an id that is refused when read back (it has a control character, a . or .. path segment or more than ${MAX_ID_LENGTH} characters, or fails isValidId): make genid and isValidId agree`);
  }
  req.sessionID = id;
  const session = new Session(req as unknown as SessionHolder);
  req.session = session;

  const cookieOptions: CookieOptions = typeof config.cookie === 'function' ? config.cookie(req) : config.cookie;
  session.cookie = new Cookie(cookieOptions);

  // 'auto' is resolved from the options this session was made with, including
  // those a `cookie` function returned (express-session 1.19.0 looked at the
  // function object itself, so they stayed 'auto').
  if (cookieOptions.secure === 'auto' || cookieOptions.sameSite === 'auto') {
    const secure = isSecureRequest(req, config.proxy);
    if (cookieOptions.secure === 'auto') session.cookie.secure = secure;
    if (cookieOptions.sameSite === 'auto') session.cookie.sameSite = secure ? 'none' : 'lax';
  }

  lifetime?.start(session.cookie);
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return value != null && typeof (value as PromiseLike<T>).then === 'function';
}
