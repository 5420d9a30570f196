import { warn } from './logging.js';
import type { SessionConfig, SessionIncomingMessage } from './options.js';

const warned = new WeakSet<SessionConfig>();

/**
 * A `secure` session cookie that is not sent because the request is not
 * secure leaves the app without sessions and nothing in its logs (express-session
 * only says so under `DEBUG`). The first time it happens in a middleware (one
 * config per middleware), say why and what to change.
 */
export function warnSecureCookieNotSent(config: SessionConfig, req: SessionIncomingMessage): void {
  if (warned.has(config)) return;
  warned.add(config);
  warn(secureCookieMessage(config.proxy, forwardedProto(req)), 'ESESSIONSECURECOOKIE');
}

/** Why the cookie was not sent, and the fix, from what the request and the options say. */
export function secureCookieMessage(proxy: boolean | undefined, forwarded: string | undefined): string {
  const start = 'the session cookie was not sent: it is `secure` and this request is not';
  if (forwarded === 'https') {
    const fix = proxy === false
      ? 'you set `proxy: false`; set `proxy: true`, or leave it out and tell Express to trust the proxy: `app.set(\'trust proxy\', 1)`'
      : 'trust the proxy: `app.set(\'trust proxy\', 1)` in Express, or the `proxy: true` option';
    return `${start} (it came over HTTP from a proxy that says X-Forwarded-Proto: https, which is not trusted): ${fix}`;
  }
  return `${start} (it came over plain HTTP): serve the app over HTTPS, or, behind a proxy that terminates TLS, `
    + 'trust it (`app.set(\'trust proxy\', 1)` or `proxy: true`); for plain HTTP in development use `cookie: { secure: \'auto\' }`';
}

/** The first protocol a proxy named in X-Forwarded-Proto, lower-cased. */
function forwardedProto(req: SessionIncomingMessage): string | undefined {
  const header = req.headers['x-forwarded-proto'];
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(',')[0].trim().toLowerCase() || undefined;
}
