import type { ServerResponse } from 'node:http';
import { clearingHeader } from './clear-on-destroy.js';
import type { RequestContext } from './context.js';
import { isModified, isSaved, shouldSave, shouldSetCookie, shouldTouch } from './decisions.js';
import { debug } from './logging.js';
import { isSecureRequest } from './request.js';
import { warnSecureCookieNotSent } from './secure-cookie-warning.js';
import type { ResponseHooks } from './response-hooks.js';
import type { Session } from './session.js';
import { callStore } from './store-call.js';

/**
 * Step 3 of a request: at the end of the response, destroy, save or touch
 * the session; just before the headers, send its cookie if the rules say so.
 */
export class Commit implements ResponseHooks {
  /** The commit failed: the error response must not hand out a cookie for what was not saved. */
  private failed = false;

  constructor(
    private readonly ctx: RequestContext,
    private readonly res: ServerResponse,
  ) {
    // on-headers calls it with `this` set to the response.
    this.beforeHeaders = this.beforeHeaders.bind(this);
  }

  /**
   * When the app ends the response: a save or a destroy holds it (the
   * Promise); a touch does not. An explicit `save()` still running is waited
   * for first: if it fails, this commit saves again.
   */
  beforeEnd(): Promise<void> | undefined {
    const pending = this.ctx.pendingSave;
    return pending ? pending.then(() => this.commitAtEnd()) : this.commitAtEnd();
  }

  private commitAtEnd(): Promise<void> | undefined {
    const { ctx } = this;
    const { req, config } = ctx;
    if (req.sessionID && config.unsetDestroy && req.session == null) {
      debug('destroying');
      return ctx.remove(req.sessionID);
    }
    const session = req.session;
    if (!session) {
      debug('no session');
      return undefined;
    }
    ctx.touchOnce(session);
    const data = ctx.serializeAtEnd(session);
    const validId = typeof req.sessionID === 'string';
    if (!validId) debug('session ignored because of bogus req.sessionID %o', req.sessionID);
    const idFromCookie = ctx.cookieId === req.sessionID;
    if (shouldSave({
      validId,
      saveUninitialized: config.saveUninitialized,
      idFromCookie,
      everSaved: ctx.savedData !== undefined,
      modified: isModified(ctx, session.id, data),
      saved: isSaved(ctx, session.id, data),
    })) {
      return session.save();
    }
    if (shouldTouch({ storeHasTouch: ctx.shared.storeHasTouch, idFromCookie, validId, touchedRecently: ctx.touchedRecently })) {
      this.touch(session);
    } else if (ctx.touchedRecently) {
      debug('touch skipped (touchAfter)');
    }
    return undefined;
  }

  /** A touch does not hold the response; its failure reaches `next(err)` after it. */
  private touch(session: Session): void {
    debug('touching');
    const { ctx } = this;
    const { store, storeTimeout } = ctx.config;
    callStore(store, 'touch', [ctx.req.sessionID, session], storeTimeout).then(undefined, ctx.next);
  }

  onCommitError(err: unknown): void {
    debug('commit failed: %s', err);
    this.failed = true;
    this.ctx.next(err);
  }

  /** Just before the headers go out: send the cookie if the rules say so. */
  beforeHeaders(): void {
    // Runs inside writeHead: anything thrown here (a serialization error, a
    // throwing skipCookie) must not escape into the app's end() call, or into
    // a held response's Promise. The response goes out without the cookie and
    // the error reaches next(err) after it, as express-session does for cookie errors.
    try {
      this.setCookieIfDue();
    } catch (err) {
      setImmediate(this.ctx.next, err);
    }
  }

  private setCookieIfDue(): void {
    const { ctx } = this;
    const { req, config } = ctx;
    const session = req.session;
    if (this.failed) return;
    if (!session) {
      debug('no session');
      this.clearCookieIfDestroyed();
      return;
    }
    ctx.expiry?.note(session);
    if (!this.cookieDue(session)) return;
    if (session.cookie.secure && !isSecureRequest(req, config.proxy)) {
      debug('not secured');
      warnSecureCookieNotSent(config, req);
      return;
    }
    ctx.touchOnce(session);
    const value = ctx.signedValue !== undefined && req.sessionID === ctx.cookieId
      ? ctx.signedValue
      : ctx.signer.sign(req.sessionID!);
    const header = ctx.shared.setCookie.serialize(value, session.cookie);
    debug('set-cookie %s', header);
    appendSetCookie(this.res, header);
  }

  private cookieDue(session: Session): boolean {
    const { ctx } = this;
    const { req, config } = ctx;
    if (typeof req.sessionID !== 'string' || this.skipsCookie()) return false;
    const due = shouldSetCookie({
      idFromCookie: ctx.cookieId === req.sessionID,
      saveUninitialized: config.saveUninitialized,
      rolling: config.rolling,
      hasExpires: session.cookie.expires != null,
      signedWithOldSecret: config.resignOnRotation && ctx.secretIndex > 0,
      expiryChanged: ctx.expiry?.changed === true,
    });
    return due === 'if-modified' ? isModified(ctx, session.id, ctx.dataOf(session)) : due;
  }

  /** The `skipCookie` option says no `Set-Cookie` for this response. */
  private skipsCookie(): boolean {
    const { req, config, next } = this.ctx;
    return config.skipCookie !== undefined && Boolean(config.skipCookie(req, this.res, next));
  }

  /** With `clearCookieOnDestroy`: a `Set-Cookie` that expires the destroyed session's cookie now. */
  private clearCookieIfDestroyed(): void {
    const { ctx } = this;
    const cookie = ctx.clearer?.cookieToClear();
    if (!cookie || !ctx.cookieId || this.skipsCookie()) return;
    if (cookie.secure && !isSecureRequest(ctx.req, ctx.config.proxy)) return;
    const header = clearingHeader(ctx.config.name, cookie);
    debug('clear-cookie %s', header);
    appendSetCookie(this.res, header);
  }
}

/** Adds a `Set-Cookie` line to whatever the app already set (string or array). */
function appendSetCookie(res: ServerResponse, header: string): void {
  const previous = res.getHeader('Set-Cookie');
  res.setHeader('Set-Cookie', previous === undefined ? [header] : Array.isArray(previous) ? previous.concat(header) : [String(previous), header]);
}
