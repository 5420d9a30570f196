import type { Session } from './session.js';

/**
 * `resendOnExpiryChange`, for one request (made only with that option, when a
 * session is loaded): the loaded session's expiry, to notice the app changing
 * `cookie.maxAge` or `expires` before our own touch moves it.
 */
export class ExpiryWatch {
  private readonly id: string;
  private readonly expires: number | undefined;
  private readonly originalMaxAge: number | null;
  /** Undefined until noted; then whether the app changed the expiry. */
  changed: boolean | undefined = undefined;

  constructor(session: Session) {
    this.id = session.id;
    this.expires = session.cookie.expires?.valueOf();
    this.originalMaxAge = session.cookie.originalMaxAge;
  }

  /** Notes, once, whether `session` (the loaded one, or its reload) has another expiry than when loaded. */
  note(session: Session): void {
    // By id, not identity: reload() replaces the loaded session object.
    if (this.changed !== undefined || session.id !== this.id) return;
    this.changed = session.cookie.expires?.valueOf() !== this.expires
      || session.cookie.originalMaxAge !== this.originalMaxAge;
  }
}
