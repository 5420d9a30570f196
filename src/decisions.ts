// The end-of-response decisions: pure functions of plain data, tested from a
// table (test/decisions.test.ts). The request context gathers the facts.

/**
 * The session data as the change detection sees it: everything but the
 * top-level cookie. JSON.stringify leaves out a key whose value is undefined,
 * so blanking `cookie` for the call gives that without copying the session.
 */
export function sessionData(session: object): string {
  const target = session as { cookie?: unknown };
  const cookie = target.cookie;
  target.cookie = undefined;
  try {
    return JSON.stringify(session);
  } finally {
    target.cookie = cookie;
  }
}

/** `sessionData` of a session that has only its cookie. */
export const EMPTY_DATA = '{}';

/** What the request recorded of its session: the id and data it started with, and the data it last saved. */
export interface ChangeRecord {
  readonly originalId: string | undefined;
  readonly originalData: string | undefined;
  readonly savedData: string | undefined;
}

/** The session (`id`, `data` = `sessionData`) differs from what the request started with. */
export function isModified(record: ChangeRecord, id: string, data: string): boolean {
  return record.originalId !== id || record.originalData !== data;
}

/** The session is as the request last saved it (or, with `resave: false`, as it was loaded). */
export function isSaved(record: ChangeRecord, id: string, data: string): boolean {
  return record.originalId === id && record.savedData === data;
}

export interface SaveFacts {
  /** `req.sessionID` is a string (an app may have broken it). */
  readonly validId: boolean;
  readonly saveUninitialized: boolean;
  /** The request's session came with the request's cookie (`req.sessionID` is the one the client sent). */
  readonly idFromCookie: boolean;
  /** The request saved (or, with `resave: false`, loaded) the session at some point. */
  readonly everSaved: boolean;
  readonly modified: boolean;
  readonly saved: boolean;
}

/** Save at the end of the response? A new session only once modified (without `saveUninitialized`); any other when not saved as it is. */
export function shouldSave(facts: SaveFacts): boolean {
  if (!facts.validId) return false;
  return !facts.saveUninitialized && !facts.everSaved && !facts.idFromCookie ? facts.modified : !facts.saved;
}

export interface CookieFacts {
  readonly idFromCookie: boolean;
  readonly saveUninitialized: boolean;
  readonly rolling: boolean;
  /** The session cookie has an expiry (it is not a browser-session cookie). */
  readonly hasExpires: boolean;
  /** `resignOnRotation`, and an old secret verified the client's cookie. */
  readonly signedWithOldSecret: boolean;
  /** `resendOnExpiryChange`, and the app changed the loaded session's expiry. */
  readonly expiryChanged: boolean;
}

/**
 * Send the session cookie? `'if-modified'`: only if the session was modified,
 * a question asked last, since answering it costs a serialization.
 */
export function shouldSetCookie(facts: CookieFacts): boolean | 'if-modified' {
  if (!facts.idFromCookie) return facts.saveUninitialized || 'if-modified';
  if (facts.rolling || facts.signedWithOldSecret || facts.expiryChanged) return true;
  return facts.hasExpires ? 'if-modified' : false;
}

export interface TouchFacts {
  readonly storeHasTouch: boolean;
  readonly idFromCookie: boolean;
  readonly validId: boolean;
  /** `touchAfter`, and the loaded session was touched within it. */
  readonly touchedRecently: boolean;
}

/** Call `store.touch` for a session that is not saved? Only a returning one, with a store that has it. */
export function shouldTouch(facts: TouchFacts): boolean {
  return facts.storeHasTouch && facts.idFromCookie && facts.validId && !facts.touchedRecently;
}
