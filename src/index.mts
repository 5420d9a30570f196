// The ESM entry: the very objects `require()` returns, re-exported by name.
import session = require('./index.js');

export import Store = session.Store;
export import Cookie = session.Cookie;
export import Session = session.Session;
export import MemoryStore = session.MemoryStore;
export import getCookieValue = session.getCookieValue;
export import unsigncookie = session.unsigncookie;

// A re-export, not a type alias: `declare module 'express-session-cn' { interface SessionData {…} }`
// in an ESM consumer then merges into the one interface that types `req.session` (an alias can't be augmented).
export type { SessionData } from './index.js';
export type SessionOptions = session.SessionOptions;
export type CookieOptions = session.CookieOptions;
export type CookieData = session.CookieData;
export type SessionMiddleware = session.SessionMiddleware;
export type SessionStore = session.SessionStore;
export type StoreCallback<T = void> = session.StoreCallback<T>;
export type StoredSession = session.StoredSession;
export type Secret = session.Secret;
export type MemoryStoreOptions = session.MemoryStoreOptions;
export type RegenerateOptions = session.RegenerateOptions;
export type StoreTimeoutError = session.StoreTimeoutError;

export default session;
