// express-session@1.19.0, the package we are a drop-in for, with just enough
// types for differential tests (its @types are not installed). Every test that
// compares our behaviour with the original imports it from here:
//   import { oracle } from './helpers/oracle.js';
import type { EventEmitter } from 'node:events';
import type { RequestHandler } from 'express';

/** A Node-style callback as express-session's classes call it. */
export type OracleCallback = (err?: unknown, result?: unknown) => void;

/** The request fields express-session's Session and Store read. */
export interface OracleSessionRequest {
  sessionID: string;
  sessionStore: object;
  session?: OracleSession;
  [key: string]: unknown;
}

/** `express-session/session/cookie`: its prototype is an object literal, so `constructor` is Object. */
export interface OracleCookie {
  path: string;
  _expires: unknown;
  originalMaxAge: unknown;
  httpOnly: unknown;
  expires: unknown;
  maxAge: unknown;
  domain?: unknown;
  secure?: unknown;
  sameSite?: unknown;
  partitioned?: unknown;
  priority?: unknown;
  readonly data: Record<string, unknown>;
  serialize(name: string, value: string): string;
  toJSON(): Record<string, unknown>;
  [key: string]: unknown;
}

export interface OracleCookieConstructor {
  new (options?: unknown): OracleCookie;
  readonly prototype: OracleCookie;
}

/** `express-session/session/session`: every method returns `this`. */
export interface OracleSession {
  readonly id: string;
  readonly req: OracleSessionRequest;
  cookie: OracleCookie;
  touch(): this;
  resetMaxAge(): this;
  save(fn?: OracleCallback): this;
  reload(fn: OracleCallback): this;
  destroy(fn?: OracleCallback): this;
  regenerate(fn: OracleCallback): this;
  [key: string]: unknown;
}

export interface OracleSessionConstructor {
  new (req: OracleSessionRequest, data?: unknown): OracleSession;
  readonly prototype: OracleSession;
}

/** `express-session/session/store`: an ES5 constructor inheriting EventEmitter. */
export interface OracleStore extends EventEmitter {
  get?(sid: string, fn: OracleCallback): void;
  set?(sid: string, session: unknown, fn?: OracleCallback): void;
  destroy?(sid: string, fn?: OracleCallback): void;
  touch?(sid: string, session: unknown, fn?: OracleCallback): void;
  generate?(req: OracleSessionRequest): void;
  regenerate(req: OracleSessionRequest, fn: (err?: unknown) => void): void;
  load(sid: string, fn: (err?: unknown, session?: OracleSession) => void): void;
  createSession(req: OracleSessionRequest, sess: Record<string, unknown>): OracleSession;
}

export interface OracleStoreConstructor {
  new (): OracleStore;
  (this: unknown): void;
  readonly prototype: OracleStore;
}

/** `express-session/session/memory`. */
export interface OracleMemoryStore extends OracleStore {
  sessions: Record<string, string>;
  get(sid: string, fn: OracleCallback): void;
  set(sid: string, session: unknown, fn?: OracleCallback): void;
  destroy(sid: string, fn?: OracleCallback): void;
  touch(sid: string, session: unknown, fn?: OracleCallback): void;
  all(fn: OracleCallback): void;
  length(fn: OracleCallback): void;
  clear(fn?: OracleCallback): void;
}

export interface OracleMemoryStoreConstructor {
  new (): OracleMemoryStore;
  (this: unknown): void;
  readonly prototype: OracleMemoryStore;
}

/** `require('express-session')`: the middleware factory and its four classes. */
export interface Oracle {
  (options?: object): RequestHandler;
  Store: OracleStoreConstructor;
  Cookie: OracleCookieConstructor;
  Session: OracleSessionConstructor;
  MemoryStore: OracleMemoryStoreConstructor;
}

export const oracle = require('express-session') as Oracle;
