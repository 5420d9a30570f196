/**
 * Differential harness: one scenario, two Express apps (ours and the
 * express-session@1.19.0 oracle), the same request sequence, and a comparison
 * of what a client and a store can observe: status, body, Set-Cookie (random
 * ids normalised), errors passed to `next` after the response, and the
 * sequence of store calls.
 *
 * A scenario is data plus small functions, so a new one is a few lines:
 *
 *   scenario({
 *     name: 'resave false: an unmodified session is touched, not saved',
 *     options: { resave: false },
 *     steps: [{ do: setValue('a', 1) }, {}],
 *   });
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import FakeTimers from '@sinonjs/fake-timers';
import cookieSignature from 'cookie-signature';
import express from 'express';
import request from 'supertest';
import ours = require('../../src/index.js');

// --- the two implementations ------------------------------------------------

type Handler = (req: express.Request, res: express.Response, next: express.NextFunction) => void;
type StoreBase = new () => EventEmitter;

/** The part of express-session's surface the harness uses (its @types are not installed). */
interface OracleModule {
  (options?: unknown): Handler;
  Store: StoreBase;
}

export const oracle = require('express-session') as OracleModule;

export type Side = 'ours' | 'theirs';

const IMPLEMENTATIONS: Record<Side, { session: (options: unknown) => Handler; Store: StoreBase }> = {
  ours: {
    session: (options) => ours(options as ours.SessionOptions) as unknown as Handler,
    Store: ours.Store as unknown as StoreBase,
  },
  theirs: { session: (options) => oracle(options), Store: oracle.Store },
};

// --- recording stores ---------------------------------------------------------

export type StoreMethod = 'get' | 'set' | 'touch' | 'destroy';

/** One store call as recorded: `[method, sid, summary]`; sids are normalised later. */
export type StoreCall = [StoreMethod, string, string];

/**
 * How a store answers (docs/compatibility.md §14).
 * - `callback`: Node-style callbacks, deferred with setImmediate (like MemoryStore).
 * - `promise`: async methods that never call back. express-session cannot use
 *   such a store, so the oracle side gets the `callback` store instead: the
 *   claim tested is "a Promise store behaves like a callback store did".
 * - `callback+promise`: calls back AND returns a Promise (express-session ignores the Promise).
 * - `double`: calls back twice (the answer, then again with an error). The oracle
 *   side gets `callback`, for the same reason as `promise`.
 * - `enoent`: `get` of an unknown sid fails with `code: 'ENOENT'` (session-file-store).
 * - `no-cookie`: `get` hands back the data without its `cookie`.
 * - `date-expires`: `get` hands back `cookie.expires` as a Date, not an ISO string.
 * - `oracle-class`: `class X extends expressSession.Store` on BOTH sides (connect-redis style).
 */
export type StoreStyle = 'callback' | 'promise' | 'callback+promise' | 'double' | 'enoent' | 'no-cookie' | 'date-expires' | 'oracle-class';

/** Returns an error message to make this store call fail, or undefined to let it succeed. */
export type FailureRule = (method: StoreMethod, sid: string, nth: number) => string | undefined;

type Callback = (err?: unknown, value?: unknown) => void;

/** A session as a store receives it: its data and a cookie with toJSON. */
type StoredObject = Record<string, unknown> & { cookie?: unknown };

export interface RecordingStore extends EventEmitter {
  readonly calls: StoreCall[];
  /** The backend: sid → JSON, as MemoryStore keeps it. */
  readonly data: Map<string, string>;
  get(sid: string, cb?: Callback): unknown;
  set(sid: string, sess: StoredObject, cb?: Callback): unknown;
  touch(sid: string, sess: StoredObject, cb?: Callback): unknown;
  destroy(sid: string, cb?: Callback): unknown;
}

/** The summary recorded for set/touch: the session as the store would persist it. */
function summarize(sess: StoredObject): string {
  return JSON.stringify(sess);
}

function makeStore(side: Side, style: StoreStyle, fail: FailureRule | undefined): RecordingStore {
  const effective: StoreStyle = side === 'theirs' && (style === 'promise' || style === 'double') ? 'callback' : style;
  const Base = effective === 'oracle-class' ? oracle.Store : IMPLEMENTATIONS[side].Store;
  const calls: StoreCall[] = [];
  const data = new Map<string, string>();
  const counts: Record<StoreMethod, number> = { get: 0, set: 0, touch: 0, destroy: 0 };

  /** Runs one operation against the backend and answers in the store's style. */
  function answer(method: StoreMethod, sid: string, summary: string, op: () => unknown, cb: Callback | undefined): unknown {
    calls.push([method, sid, summary]);
    const message = fail?.(method, sid, ++counts[method]);
    const outcome = new Promise<unknown>((resolve, reject) => {
      setImmediate(() => {
        if (message !== undefined) {
          reject(new Error(message));
          return;
        }
        try {
          resolve(op());
        } catch (err) {
          reject(err);
        }
      });
    });
    if (effective === 'promise') return outcome;
    const done = (err: unknown, value?: unknown): void => {
      if (typeof cb !== 'function') return;
      if (err) cb(err);
      else cb(null, value);
      if (effective === 'double') cb(new Error(`second callback from ${method}`));
    };
    const settled = outcome.then((value) => done(null, value), (err: unknown) => done(err));
    return effective === 'callback+promise' ? settled.then(() => outcome) : undefined;
  }

  class RecordingStoreImpl extends Base {
    readonly calls = calls;
    readonly data = data;

    get(sid: string, cb?: Callback): unknown {
      return answer('get', sid, '', () => {
        const json = data.get(sid);
        if (json === undefined) {
          if (effective === 'enoent') throw Object.assign(new Error(`ENOENT, open '${sid}.json'`), { code: 'ENOENT' });
          return undefined;
        }
        const sess = JSON.parse(json) as StoredObject;
        const cookie = sess.cookie as { expires?: string } | undefined;
        if (cookie && typeof cookie.expires === 'string' && new Date(cookie.expires).valueOf() <= Date.now()) {
          data.delete(sid);
          return undefined;
        }
        if (effective === 'no-cookie') delete sess.cookie;
        if (effective === 'date-expires' && cookie && typeof cookie.expires === 'string') {
          (cookie as { expires?: unknown }).expires = new Date(cookie.expires);
        }
        return sess;
      }, cb);
    }

    set(sid: string, sess: StoredObject, cb?: Callback): unknown {
      const json = JSON.stringify(sess);
      return answer('set', sid, summarize(sess), () => {
        data.set(sid, json);
      }, cb);
    }

    touch(sid: string, sess: StoredObject, cb?: Callback): unknown {
      const cookie = JSON.stringify(sess.cookie);
      return answer('touch', sid, summarize(sess), () => {
        const json = data.get(sid);
        if (json !== undefined) {
          const current = JSON.parse(json) as StoredObject;
          current.cookie = JSON.parse(cookie);
          data.set(sid, JSON.stringify(current));
        }
      }, cb);
    }

    destroy(sid: string, cb?: Callback): unknown {
      return answer('destroy', sid, '', () => {
        data.delete(sid);
      }, cb);
    }
  }

  return new RecordingStoreImpl() as unknown as RecordingStore;
}

// --- scenarios ------------------------------------------------------------------

/** What each side's hooks can see: its own store, its own last session id. */
export interface SideContext {
  readonly side: Side;
  readonly store: RecordingStore;
  /** Calls of the `cookie` option when it is a function (count them per side). */
  cookieCalls: number;
  /** The raw session id of the last Set-Cookie for the session cookie, if any. */
  lastId: string | undefined;
  /** Free space for scenario handlers. */
  readonly bag: Record<string, unknown>;
}

export interface Step {
  /** Default GET. */
  method?: 'get' | 'post' | 'put' | 'delete' | 'head';
  /** Default '/'. */
  path?: string;
  headers?: Record<string, string>;
  /**
   * An explicit Cookie header. The request then goes through a jar-less client
   * (superagent's jar would override it), and its Set-Cookie does not reach the jar.
   */
  cookie?: string | ((ctx: SideContext) => string);
  /** Advance the (fake) clock by this many ms before the request. */
  tick?: number;
  /** Runs before the request, per side (e.g. `ctx.store.emit('disconnect')`). */
  before?: (ctx: SideContext) => void;
  /** The route handler. Default: `sendSession`. */
  do?: (req: express.Request, res: express.Response, next: express.NextFunction, ctx: SideContext) => void;
  /**
   * Replace the default `assert.deepEqual(ours, theirs)` for this step: for the
   * intended differences of common.md (name them in a comment where used).
   */
  compare?: (ours: Observation, theirs: Observation) => void;
}

export interface Scenario {
  name: string;
  /** Options for both middlewares (the recording store is added unless `store` is given here). */
  options?: ours.SessionOptions | ((ctx: SideContext) => ours.SessionOptions);
  /** Default 'callback'. */
  storeStyle?: StoreStyle;
  fail?: FailureRule;
  /** Express settings and middleware that run before the session middleware. */
  setup?: (app: express.Express, ctx: SideContext) => void;
  steps: Step[];
  /** Secrets the cookie signature is checked against (default: the `secret` option). */
  secrets?: string[];
}

/** What one response looks like once random ids are replaced by id1, id2, ... */
export interface Observation {
  status: number;
  body: string;
  setCookie: string[] | undefined;
  /** Errors that reached the error handler after the response had been sent. */
  lateErrors: string[];
  storeCalls: StoreCall[];
}

// --- route helpers ----------------------------------------------------------------

type SessionLike = Record<string, unknown> & {
  cookie: { maxAge: number | null; expires?: unknown };
  save(cb: (err?: unknown) => void): void;
  reload(cb: (err?: unknown) => void): void;
  destroy(cb: (err?: unknown) => void): void;
  regenerate(cb: (err?: unknown) => void): void;
};

/** `req.session` typed loosely enough for both implementations. */
export function sess(req: express.Request): SessionLike {
  return req.session as unknown as SessionLike;
}

/** A body that shows the session as the route sees it. */
export function describeSession(req: express.Request): string {
  const session = req.session as unknown as Record<string, unknown> | undefined;
  if (!session) return `no session (sessionID ${String(req.sessionID)})`;
  const { cookie: _cookie, ...rest } = session;
  return `sid=${String(req.sessionID)} data=${JSON.stringify(rest)}`;
}

export const sendSession: Step['do'] = (req, res) => {
  res.send(describeSession(req));
};

/** A route that sets `req.session[key] = value` and answers with the session. */
export function setValue(key: string, value: unknown): NonNullable<Step['do']> {
  return (req, res) => {
    sess(req)[key] = value;
    res.send(describeSession(req));
  };
}

/** Calls a callback-style session method, then answers (or passes the error on). */
export function thenSend(
  action: (req: express.Request, cb: (err?: unknown) => void) => void,
): NonNullable<Step['do']> {
  return (req, res, next) => {
    action(req, (err) => {
      if (err) next(err);
      else res.send(describeSession(req));
    });
  };
}

// --- running --------------------------------------------------------------------

/** A fixed clock: Expires attributes and stored expiry are then equal on both sides. */
const EPOCH = Date.UTC(2030, 0, 1, 12, 0, 0);

function settle(): Promise<void> {
  // Late next(err) calls come through setImmediate after the store answers.
  return new Promise((resolve) => setTimeout(resolve, 5));
}

interface RunningSide {
  ctx: SideContext;
  app: express.Express;
  agent: ReturnType<typeof request.agent>;
  lateErrors: string[];
  currentStep: Step | undefined;
  /** raw id → 'idN' */
  ids: Map<string, string>;
  /** `req.sessionID` as the route saw it, and when the response finished. */
  seenIds: unknown[];
}

function buildSide(side: Side, scenario: Scenario): RunningSide {
  const store = makeStore(side, scenario.storeStyle ?? 'callback', scenario.fail);
  const ctx: SideContext = { side, store, cookieCalls: 0, lastId: undefined, bag: {} };
  const running = {} as RunningSide;
  const app = express();
  scenario.setup?.(app, ctx);

  const base = typeof scenario.options === 'function' ? scenario.options(ctx) : { ...scenario.options };
  const options: Record<string, unknown> = { resave: false, saveUninitialized: false, secret: 'keyboard cat', ...base };
  if (!('store' in base)) options.store = store;
  const cookie = options.cookie;
  if (typeof cookie === 'function') {
    options.cookie = (req: IncomingMessage) => {
      ctx.cookieCalls++;
      return (cookie as (r: IncomingMessage) => unknown)(req);
    };
  }
  app.use(IMPLEMENTATIONS[side].session(options));

  app.all('*', (req, res, next) => {
    running.seenIds.push(req.sessionID);
    res.on('finish', () => running.seenIds.push(req.sessionID));
    const step = running.currentStep;
    const handler = step?.do ?? sendSession;
    handler!(req, res, next, ctx);
  });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const message = err instanceof Error ? err.message : String(err);
    if (res.headersSent) {
      running.lateErrors.push(message);
      return;
    }
    res.status(500).send(`error: ${message}`);
  });

  Object.assign(running, { ctx, app, agent: request.agent(app), lateErrors: [], currentStep: undefined, ids: new Map(), seenIds: [] });
  return running;
}

function nameFor(running: RunningSide, id: string): string {
  let name = running.ids.get(id);
  if (name === undefined) {
    name = `id${running.ids.size + 1}`;
    running.ids.set(id, name);
  }
  return name;
}

function replaceIds(running: RunningSide, text: string): string {
  let out = text;
  // Longest first, so an id that contains another is replaced whole.
  const known = [...running.ids.keys()].filter((id) => id.length > 0).sort((a, b) => b.length - a.length);
  for (const id of known) out = out.split(id).join(running.ids.get(id)!);
  return out;
}

const SIGNED_VALUE = /^([^=]+)=s%3A([^;]*)/;

/**
 * Replaces the signed value of a Set-Cookie line by `s%3A<idN>.<sig k>`, where k
 * is the index of the secret that produced the signature (or `bad`).
 */
function normaliseSetCookie(running: RunningSide, line: string, secrets: string[]): string {
  const match = SIGNED_VALUE.exec(line);
  if (!match) return line;
  const value = decodeURIComponent(match[2]!);
  const dot = value.lastIndexOf('.');
  const id = dot === -1 ? value : value.slice(0, dot);
  const which = secrets.findIndex((secret) => cookieSignature.unsign(value, secret) === id);
  running.ctx.lastId = id;
  const replaced = `${match[1]}=s%3A${nameFor(running, id)}.<sig ${which === -1 ? 'bad' : which}>`;
  return replaced + line.slice(match[0].length);
}

async function runStep(running: RunningSide, step: Step, secrets: string[]): Promise<Observation> {
  const { ctx } = running;
  running.currentStep = step;
  running.lateErrors.length = 0;
  running.seenIds.length = 0;
  const callsBefore = ctx.store.calls.length;
  step.before?.(ctx);

  const method = step.method ?? 'get';
  const path = step.path ?? '/';
  const explicitCookie = typeof step.cookie === 'function' ? step.cookie(ctx) : step.cookie;
  const client = explicitCookie === undefined ? running.agent : request(running.app);
  // A response that never ends fails the step (and frees the server) instead of hanging the run.
  let req = client[method](path).timeout(5000);
  if (explicitCookie !== undefined) req = req.set('Cookie', explicitCookie);
  for (const [key, value] of Object.entries(step.headers ?? {})) req = req.set(key, value);
  const res = await req;
  await settle();

  // Name the ids in a fixed order on both sides: store calls first, then Set-Cookie.
  const calls = ctx.store.calls.slice(callsBefore).map(([m, sid, summary]): StoreCall => {
    nameFor(running, sid);
    return [m, sid, summary];
  });
  const header = res.headers['set-cookie'] as string[] | string | undefined;
  const lines = header === undefined ? undefined : Array.isArray(header) ? header : [header];
  const setCookie = lines?.map((line) => normaliseSetCookie(running, line, secrets));
  for (const id of running.seenIds) if (typeof id === 'string') nameFor(running, id);

  return {
    status: res.status,
    body: replaceIds(running, res.text ?? ''),
    setCookie,
    lateErrors: running.lateErrors.map((message) => replaceIds(running, message)),
    storeCalls: calls.map(([m, sid, summary]) => [m, nameFor(running, sid), replaceIds(running, summary)]),
  };
}

function secretsOf(scenario: Scenario): string[] {
  if (scenario.secrets) return scenario.secrets;
  const options = typeof scenario.options === 'function' ? undefined : scenario.options;
  const secret = options && 'secret' in options ? options.secret : 'keyboard cat';
  const list = Array.isArray(secret) ? secret : [secret];
  return list.filter((s): s is string => typeof s === 'string');
}

export interface ScenarioResult {
  ours: Observation[];
  theirs: Observation[];
  contexts: Record<Side, SideContext>;
}

/**
 * Runs the scenario on both sides, step by step (ours, then theirs, for each
 * step), and asserts that each step's observations are equal unless the step
 * has its own `compare`. Returns everything for further assertions.
 */
export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const clock = FakeTimers.install({ now: EPOCH, toFake: ['Date'] });
  try {
    const sides = { ours: buildSide('ours', scenario), theirs: buildSide('theirs', scenario) };
    const secrets = secretsOf(scenario);
    const result: ScenarioResult = {
      ours: [],
      theirs: [],
      contexts: { ours: sides.ours.ctx, theirs: sides.theirs.ctx },
    };
    for (const [index, step] of scenario.steps.entries()) {
      if (step.tick) clock.tick(step.tick);
      const mine = await runStep(sides.ours, step, secrets);
      const oracleObservation = await runStep(sides.theirs, step, secrets);
      result.ours.push(mine);
      result.theirs.push(oracleObservation);
      if (step.compare) step.compare(mine, oracleObservation);
      else assert.deepEqual(mine, oracleObservation, `step ${index + 1} of "${scenario.name}"`);
    }
    return result;
  } finally {
    clock.uninstall();
  }
}

/** Signs `id` as a session cookie value (URL-encoded), e.g. to forge or re-sign a cookie. */
export function signedCookie(name: string, id: string, secret: string): string {
  return `${name}=${encodeURIComponent(`s:${cookieSignature.sign(id, secret)}`)}`;
}

/** A deterministic genid: 'sid-1', 'sid-2', ... per side. */
export function counterGenid(prefix = 'sid'): () => string {
  let n = 0;
  return () => `${prefix}-${++n}`;
}

/** Declares a node:test test that runs the scenario, then its own `check` on the result. */
export function scenario(definition: Scenario & { check?: (result: ScenarioResult) => void | Promise<void> }): void {
  // A timeout, so that a response that never ends fails the test instead of hanging the run.
  test(definition.name, { timeout: 10_000 }, async () => {
    const result = await runScenario(definition);
    await definition.check?.(result);
  });
}
