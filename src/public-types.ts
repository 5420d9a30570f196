// The public types, shaped as @types/express-session 1.19 has them, so that code
// typed against express-session compiles unchanged. Types only (no runtime code,
// so .c8rc.json leaves it out of the coverage figures): the runtime
// objects live in store.ts, memory-store.ts, … and index.ts gives them these types.
// The two `@ts-ignore`s below are what makes a type optional: `@ts-expect-error`
// would fail where the type exists. They are JSDoc comments so that tsc keeps them
// in the emitted .d.ts (it drops `//` comments there).
/* eslint-disable @typescript-eslint/ban-ts-comment */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
/** @ts-ignore -- @types/express is optional: without it this import is `any`, and the types below fall back to node:http's */
import type { Request as MaybeExpressRequest, Response as MaybeExpressResponse } from 'express';
// The entry point's `SessionData`, the one interface that users augment (a type-only import).
import type { SessionData } from './index.js';
import type { MemoryStoreOptions } from './memory-store.js';
import type { SessionChange } from './session-change.js';
import type { Session, SessionHolder as SessionRequest } from './session.js';

// `unknown extends X` holds only when X is `any`, which is what the import above
// gives when `express` has no types. (`0 extends 1 & X`, the usual `any` test,
// does not survive an unresolved import: it stays `any`.)

/** The request as option callbacks see it: Express's `Request` when `@types/express` is installed, else `IncomingMessage`. */
export type OptionRequest = unknown extends MaybeExpressRequest ? IncomingMessage : MaybeExpressRequest;

/** The response as option callbacks see it: Express's `Response` when `@types/express` is installed, else `ServerResponse`. */
export type OptionResponse = unknown extends MaybeExpressResponse ? ServerResponse : MaybeExpressResponse;

// Errors are `any` in store callbacks, as in @types/express-session: code that
// reads `err.code` in a callback it passes to a store compiles unchanged.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * What the `store` option accepts: any object with `get`, `set` and `destroy`
 * methods, callback- or Promise-style (`touch` is used when present). Stores
 * built on express-session's own `Store` (connect-redis, connect-mongo, …) fit
 * as they are, also when their types come from @types/express-session.
 */
export interface SessionStore {
  get(sid: string, callback: (err: any, session?: StoreSessionData | null) => void): unknown;
  set(sid: string, session: StoreSessionData, callback?: (err?: any) => void): unknown;
  destroy(sid: string, callback?: (err?: any) => void): unknown;
  touch?(sid: string, session: StoreSessionData, callback?: (err?: any) => void): unknown;
  /** Optional: an atomic merge of one request's change (see README, "Writing a store with an atomic merge"). */
  merge?(sid: string, change: SessionChange, callback: (err: any, merged?: StoreSessionData | null) => void): unknown;
}

/**
 * The session data a store gets and gives: ours, or, when a store's types load
 * @types/express-session as well, its `SessionData` too.
 */
export type StoreSessionData = SessionData | (HasExpressSessionTypes extends true ? ExpressSessionDataOfTypes : never);

/**
 * The type of `Store`, express-session's base class for stores. The runtime
 * `Store` (store.ts) is an ES5 constructor, so that stores can also do
 * `Store.call(this)`; this declares it as the abstract class that
 * @types/express-session declares, so a subclass must implement `get`, `set`
 * and `destroy`, with or without `override`.
 */
export declare abstract class Store extends EventEmitter {
  /** The options are ignored, as by express-session's `Store`. */
  constructor(options?: unknown);

  /** Loads a session; `callback(null, null)` or `callback()` when there is none. An error with `code: 'ENOENT'` means none too. */
  abstract get(sid: string, callback: (err: any, session?: StoreSessionData | null) => void): void;
  /** Writes a session (insert or replace). */
  abstract set(sid: string, session: StoreSessionData, callback?: (err?: any) => void): void;
  /** Deletes a session. */
  abstract destroy(sid: string, callback?: (err?: any) => void): void;
  /** All sessions, by id. */
  all?(callback: (err: any, obj?: StoreSessionData[] | { [sid: string]: StoreSessionData } | null) => void): void;
  /** How many sessions are stored. */
  length?(callback: (err: any, length?: number) => void): void;
  /** Deletes every session. */
  clear?(callback?: (err?: any) => void): void;
  /** Resets a session's idle timer (its expiry) without rewriting its data. */
  touch?(sid: string, session: StoreSessionData, callback?: (err?: any) => void): void;

  /** Destroys `req.sessionID` and gives `req` a new session; `callback` gets the destroy error, if any. */
  regenerate(req: SessionRequest, callback: (err?: any) => any): void;
  /** Loads a session by id without a request; `callback(null, undefined)` when there is none. */
  load(sid: string, callback: (err: any, session?: Session & SessionData) => any): void;
  /** Turns stored data into a live `Session` on `req.session`. */
  createSession(req: SessionRequest, session: SessionData): Session & SessionData;
}

/** What `Store` is besides a class: a function ES5-style stores call, `Store.call(this, options)`. */
export interface StoreFunction {
  (this: unknown, options?: unknown): void;
}

/** The built-in in-process store: see memory-store.ts. */
export declare class MemoryStore extends Store {
  constructor(options?: MemoryStoreOptions);
  /** express-session's view of the contents, `{ [sid]: JSON }`: reading, writing and deleting keys work as there. */
  sessions: Record<string, string>;
  get(sid: string, callback: (err: any, session?: SessionData | null) => void): void;
  set(sid: string, session: SessionData, callback?: (err?: any) => void): void;
  destroy(sid: string, callback?: (err?: any) => void): void;
  all(callback: (err: any, obj?: { [sid: string]: SessionData } | null) => void): void;
  length(callback: (err: any, length?: number) => void): void;
  clear(callback?: (err?: any) => void): void;
  touch(sid: string, session: SessionData, callback?: (err?: any) => void): void;
}

/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * `req.sessionStore`: the store, with the `generate` that `session()` assigns
 * to it (it gives `req` a new session). Optional, unlike in @types/express-session,
 * as it was in 2.0: `req.sessionStore === store` compiles for any store.
 */
export type RequestSessionStore = Store & { generate?: (req: SessionRequest) => void | Promise<void> };

/** @ts-ignore -- declared only by @types/express-session: `any` when it is not in the program */
type ExpressSessionStoreOfTypes = Express.SessionStore;

/**
 * Whether @types/express-session is in the program too (a store's types import
 * `express-session` and the name is not aliased to this package): it then
 * declares `req.session` and `req.sessionStore` itself, and ours yield to it
 * rather than conflict.
 */
type HasExpressSessionTypes = unknown extends ExpressSessionStoreOfTypes ? false : true;

/** @types/express-session's `SessionData` (when it is in the program). */
type ExpressSessionDataOfTypes = Parameters<ExpressSessionStoreOfTypes['set']>[1];

/**
 * What the session middleware adds to Express's `Request`. `req.session` may be
 * set to `null` (or deleted) to drop the session: see the `unset` option.
 */
export interface SessionRequestProperties {
  /** The session of this request, set by the session middleware. */
  get session(): HasExpressSessionTypes extends true ? unknown : Session & Partial<SessionData>;
  set session(value: (HasExpressSessionTypes extends true ? unknown : Session & Partial<SessionData>) | null | undefined);
  /** The id of this request's session (a new one until the session is saved). */
  sessionID: string;
  /** The store the session middleware uses. */
  sessionStore: HasExpressSessionTypes extends true ? unknown : RequestSessionStore;
}

