import type { Secret } from './signature.js';

/**
 * What a request remembers of the middleware that served it, for code that runs
 * later without the middleware at hand: `getCookieValue` and the session methods.
 * One frozen object per middleware (per request only in the legacy `req.secret` case).
 */
export interface RequestContext {
  /** The secret that signs this request's session cookie. */
  readonly signingSecret: Secret;
  /** The `storeTimeout` option, for store calls made by `req.session` methods. */
  readonly storeTimeout: number | undefined;
}

const kContext = Symbol('express-session-cn.context');

export function setRequestContext(req: object, context: RequestContext): void {
  (req as { [kContext]?: RequestContext })[kContext] = context;
}

export function requestContext(req: object | undefined): RequestContext | undefined {
  return req ? (req as { [kContext]?: RequestContext })[kContext] : undefined;
}
