import { serialize } from 'cookie';
import type { Cookie } from './cookie.js';
import type { Session } from './session.js';

/**
 * `clearCookieOnDestroy`, for one request (made only with that option): the
 * cookie of the session this request had, to expire it in the browser once
 * the session is destroyed (`destroy()`, or with `unset: 'destroy'`, removed).
 */
export class CookieClearer {
  private last: Cookie | undefined;
  private destroyed: Cookie | undefined;

  constructor(private readonly unsetDestroy: boolean) {}

  /** The request has this session now. */
  seen(session: Session): void {
    this.last = session.cookie;
  }

  /** `destroy()` removed this session. */
  destroyedSession(session: Session): void {
    this.destroyed = session.cookie;
  }

  /** The cookie to expire now that the request has no session, if any. */
  cookieToClear(): Cookie | undefined {
    return this.destroyed ?? (this.unsetDestroy ? this.last : undefined);
  }
}

/** A `Set-Cookie` value that expires `cookie` at once. */
export function clearingHeader(name: string, cookie: Cookie): string {
  return serialize(name, '', { ...cookie.data, expires: new Date(0) } as Parameters<typeof serialize>[2]);
}
