/**
 * passport@0.7 with passport-local on top of the session middleware. Since
 * 0.6, req.login() regenerates the session, serializes the user into it and
 * saves it; req.logout() saves the session without the user and regenerates
 * it; `keepSessionInfo` copies the old session's data over with a for...in
 * loop, which only sees what a Session exposes as enumerable. Every scenario
 * runs against ours and express-session@1.19.0 and the transcripts must match.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestHandler } from 'express';
import express from 'express';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import request from 'supertest';
import session = require('../../src/index.js');
import { oracle } from '../helpers/oracle.js';

type Factory = (options: object) => RequestHandler;
const IMPLEMENTATIONS: Record<'ours' | 'oracle', Factory> = {
  ours: session as unknown as Factory,
  oracle: oracle as unknown as Factory,
};

interface User {
  id: string;
  name: string;
}
const USERS: User[] = [{ id: '1', name: 'ann' }];
const PASSWORDS: Record<string, string> = { ann: 'secret' };

/** What GET /me reports; ids are compared only as "changed or not". */
interface Me {
  id: string;
  authenticated: boolean;
  user: string | null;
  data: Record<string, unknown>;
}

/** The session's data as a client could observe it (the cookie's own fields left out). */
function sessionData(req: express.Request): Record<string, unknown> {
  const data = JSON.parse(JSON.stringify(req.session)) as Record<string, unknown>;
  delete data.cookie;
  return data;
}

function buildApp(factory: Factory): express.Express {
  const passport = new Passport();
  passport.use(new LocalStrategy((username, password, done) => {
    const user = USERS.find((u) => u.name === username);
    done(null, user && PASSWORDS[username] === password ? user : false);
  }));
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: string, done) => done(null, USERS.find((u) => u.id === id) ?? false));

  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(factory({ secret: 'passport secret', resave: false, saveUninitialized: false }));
  app.use(passport.session());

  app.get('/me', (req, res) => {
    const me: Me = {
      id: req.sessionID,
      authenticated: req.isAuthenticated(),
      user: (req.user as User | undefined)?.name ?? null,
      data: sessionData(req),
    };
    res.json(me);
  });
  // Something to carry across a login: the page a user wanted before logging in.
  app.get('/remember', (req, res) => {
    (req.session as unknown as Record<string, unknown>).returnTo = '/account';
    res.sendStatus(204);
  });
  app.post('/login', passport.authenticate('local', { failWithError: true }), (_req, res) => {
    res.sendStatus(204);
  });
  app.post('/login-keep', passport.authenticate('local', { failWithError: true, keepSessionInfo: true }), (_req, res) => {
    res.sendStatus(204);
  });
  app.post('/logout', (req, res, next) => {
    req.logout((err) => (err ? next(err) : res.sendStatus(204)));
  });
  app.post('/logout-keep', (req, res, next) => {
    req.logout({ keepSessionInfo: true }, (err) => (err ? next(err) : res.sendStatus(204)));
  });
  app.use((err: Error & { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.status ?? 500).send(err.message);
  });
  return app;
}

type Step =
  | { get: string }
  | { post: string; form?: Record<string, string> };

interface Entry {
  status: number;
  /** Whether this response set the session cookie. */
  setCookie: boolean;
  /** For GET /me: the body, with the id replaced by "same"/"new" relative to the last /me. */
  me?: Omit<Me, 'id'> & { id: 'first' | 'same' | 'new' };
}

async function transcript(factory: Factory, steps: Step[]): Promise<Entry[]> {
  const agent = request.agent(buildApp(factory));
  const entries: Entry[] = [];
  let lastId: string | undefined;
  for (const step of steps) {
    const res = 'get' in step
      ? await agent.get(step.get)
      : await agent.post(step.post).type('form').send(step.form ?? {});
    const cookies = (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
    const entry: Entry = { status: res.status, setCookie: cookies.some((c) => c.startsWith('connect.sid=')) };
    if ('get' in step && step.get === '/me') {
      const me = res.body as Me;
      entry.me = { ...me, id: lastId === undefined ? 'first' : me.id === lastId ? 'same' : 'new' };
      lastId = me.id;
    }
    entries.push(entry);
  }
  return entries;
}

/** Runs the steps on both implementations, asserts equal transcripts, returns ours. */
async function differential(steps: Step[]): Promise<Entry[]> {
  const ours = await transcript(IMPLEMENTATIONS.ours, steps);
  const theirs = await transcript(IMPLEMENTATIONS.oracle, steps);
  assert.deepEqual(ours, theirs, 'ours and express-session agree');
  return ours;
}

const ANN = { username: 'ann', password: 'secret' };

describe('passport 0.7 + passport-local', () => {
  test('login regenerates and saves; later requests are authenticated; logout ends it', async () => {
    const t = await differential([
      { get: '/remember' },
      { get: '/me' },
      { post: '/login', form: ANN },
      { get: '/me' },
      { get: '/me' },
      { post: '/logout' },
      { get: '/me' },
    ]);
    // before login: a session with returnTo, not authenticated
    assert.deepEqual(t[1].me, { id: 'first', authenticated: false, user: null, data: { returnTo: '/account' } });
    // login sends a cookie for a new session holding only the user
    assert.equal(t[2].status, 204);
    assert.equal(t[2].setCookie, true);
    assert.deepEqual(t[3].me, { id: 'new', authenticated: true, user: 'ann', data: { passport: { user: '1' } } });
    assert.deepEqual(t[4].me, { id: 'same', authenticated: true, user: 'ann', data: { passport: { user: '1' } } });
    // logout: a new, empty session
    assert.equal(t[5].status, 204);
    assert.deepEqual(t[6].me?.authenticated, false);
    assert.equal(t[6].me?.user, null);
    assert.equal(t[6].me?.id, 'new');
    assert.deepEqual(t[6].me?.data, {});
  });

  test('keepSessionInfo: the data from before login and logout survives the regenerate', async () => {
    const t = await differential([
      { get: '/remember' },
      { get: '/me' },
      { post: '/login-keep', form: ANN },
      { get: '/me' },
      { post: '/logout-keep' },
      { get: '/me' },
    ]);
    assert.deepEqual(t[3].me, {
      id: 'new', authenticated: true, user: 'ann', data: { returnTo: '/account', passport: { user: '1' } },
    });
    // logout deleted the user from the same `passport` object it then copies over
    assert.deepEqual(t[5].me, { id: 'new', authenticated: false, user: null, data: { returnTo: '/account', passport: {} } });
  });

  test('a wrong password is refused and leaves the session as it was', async () => {
    const t = await differential([
      { get: '/remember' },
      { get: '/me' },
      { post: '/login', form: { username: 'ann', password: 'wrong' } },
      { get: '/me' },
    ]);
    assert.equal(t[2].status, 401);
    assert.equal(t[2].setCookie, false);
    assert.deepEqual(t[3].me, { id: 'same', authenticated: false, user: null, data: { returnTo: '/account' } });
  });

  test('the session saved by login is in the store before the response is sent', async () => {
    const store = new session.MemoryStore();
    const passport = new Passport();
    passport.use(new LocalStrategy((_username, _password, done) => done(null, USERS[0])));
    passport.serializeUser((user, done) => done(null, (user as User).id));
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(session({ secret: 's', store, resave: false, saveUninitialized: false }));
    app.use(passport.session());
    app.post('/login', passport.authenticate('local'), (req, res) => {
      res.send(req.sessionID);
    });
    const res = await request(app).post('/login').type('form').send(ANN).expect(200);
    const stored = await new Promise<unknown>((resolve, reject) => {
      store.get(res.text, (err, value) => (err ? reject(err) : resolve(value)));
    });
    assert.deepEqual((stored as { passport?: unknown } | undefined)?.passport, { user: '1' });
  });
});
