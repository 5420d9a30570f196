import type { Request } from 'express';
import type request from 'supertest';

/** `req.session` as a plain record, for tests that set arbitrary keys. */
export function data(req: Request): Record<string, unknown> {
  return req.session as unknown as Record<string, unknown>;
}

/** Every Set-Cookie header of a response (none → []). */
export function setCookies(res: request.Response): string[] {
  const header = res.headers['set-cookie'] as unknown;
  if (header == null) return [];
  return Array.isArray(header) ? header.map(String) : [String(header)];
}

/** The session cookie line of a response, if any. */
export function sessionCookie(res: request.Response, name = 'connect.sid'): string | undefined {
  return setCookies(res).find((line) => line.startsWith(`${name}=`));
}
