'use strict';
// The demo app that `npm start` runs. It requires the package by its own name
// (Node resolves a package's self-reference through its "exports"), exactly as
// an app that installed it would.
const path = require('node:path');
const { setTimeout: delay } = require('node:timers/promises');
const express = require('express');
const session = require('express-session-cn');
const pages = require('./pages');

const COOKIE_NAME = 'connect.sid';
const PASSWORD = 'demo';
/** How many updates the parallel-updates button fires at once (demo.js sends this many). */
const PARALLEL_UPDATES = 20;

/**
 * Builds the demo app. Every option is optional: MemoryStore, a 3-minute idle
 * timeout and a 10-minute absolute lifetime unless given.
 * @param {{
 *   store?: import('express-session-cn').SessionStore,
 *   secret?: string,
 *   idleTimeout?: number,
 *   maxLifetime?: number,
 * }} [options]
 */
function createApp(options = {}) {
  const lifetimes = {
    idleTimeout: options.idleTimeout ?? 3 * 60 * 1000,
    maxLifetime: options.maxLifetime ?? 10 * 60 * 1000,
  };
  const sessionOptions = {
    name: COOKIE_NAME,
    secret: options.secret || process.env.SESSION_SECRET || 'demo secret: set SESSION_SECRET in production',
    // One store for both middlewares below (each would make its own MemoryStore).
    store: options.store || new session.MemoryStore(),
    resave: false,
    saveUninitialized: false,
    rolling: true, // every response renews the idle timeout…
    cookie: { maxAge: lifetimes.idleTimeout, sameSite: 'lax' },
    maxLifetime: lifetimes.maxLifetime, // …but never past the absolute end
    clearCookieOnDestroy: true,
  };
  // Two middlewares on the same sessions: the parallel-updates demo runs once
  // with 'merge' (the whole app) and once with express-session's 'overwrite'.
  const sessions = session({ ...sessionOptions, concurrency: 'merge' });
  const overwritingSessions = session({ ...sessionOptions, concurrency: 'overwrite' });

  const app = express();
  app.disable('x-powered-by');
  app.use(express.static(path.join(__dirname, 'public'), { index: false }));
  app.use('/race/overwrite', overwritingSessions);
  app.use(sessions); // leaves a request alone when it already has a session
  app.use(express.urlencoded({ extended: false }));

  const send = (req, res, status, page) => sendPage(req, res, status, page, lifetimes);

  app.get('/', (req, res) => {
    req.session.views = (req.session.views || 0) + 1;
    send(req, res, 200, pages.home(req.session, { password: PASSWORD }));
  });

  app.get('/session', (req, res) => {
    send(req, res, 200, pages.sessionPage(req.session, req.sessionID));
  });

  app.get('/session.json', (req, res) => {
    res.json({ id: req.sessionID, data: req.session, expires: req.session.cookie.expires });
  });

  // Log in: a new session id (no session fixation) that keeps only the page
  // count, then the user, saved before the redirect leaves.
  app.post('/login', handle(async (req, res) => {
    const user = String(req.body.user || '').trim().slice(0, 40);
    if (!user || req.body.password !== PASSWORD) {
      send(req, res, 401, pages.loginFailed(user));
      return;
    }
    await req.session.regenerate({ keep: ['views'] });
    req.session.user = user;
    await req.session.save();
    res.redirect(303, '/');
  }));

  // Log out: the session is deleted from the store and, with
  // clearCookieOnDestroy, the browser is told to drop its cookie.
  app.post('/logout', handle(async (req, res) => {
    await req.session.destroy();
    res.redirect(303, '/logged-out');
  }));

  app.get('/logged-out', (req, res) => {
    send(req, res, 200, pages.loggedOut());
  });

  app.get('/race', (req, res) => {
    send(req, res, 200, pages.race(PARALLEL_UPDATES));
  });

  // One of the parallel updates: a slow step (as a database call would be),
  // so that the requests overlap, then a key of its own in the session.
  app.post('/race/:mode(merge|overwrite)/:n(\\d+)', handle(async (req, res, next) => {
    const n = Number(req.params.n);
    if (n < 1 || n > PARALLEL_UPDATES) return next(); // not one of ours: 404
    await delay(50 + Math.random() * 100);
    req.session[raceKey(req.params.mode, n)] = true;
    res.sendStatus(204);
  }));

  // Before a run: remove the keys of the previous one. Noting the run also
  // saves a session for a first-time visitor, so all updates share its cookie.
  app.post('/race/:mode(merge|overwrite)/reset', (req, res) => {
    for (const key of raceKeys(req.session, req.params.mode)) delete req.session[key];
    req.session.lastRun = req.params.mode;
    res.sendStatus(204);
  });

  app.get('/race/:mode(merge|overwrite)', (req, res) => {
    res.json({ sent: PARALLEL_UPDATES, kept: raceKeys(req.session, req.params.mode).length });
  });

  app.use((req, res) => send(req, res, 404, pages.notFound()));

  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- Express tells error handlers by their four parameters
  app.use((err, req, res, _next) => {
    console.error(err);
    if (res.headersSent) {
      res.end();
      return;
    }
    send(req, res, 500, pages.serverError());
  });

  return app;
}

/**
 * Express 4 does not catch a rejected Promise from a handler (the process
 * would crash on a store error): pass it to next() so the error handler answers.
 * Express 5 does this itself.
 */
function handle(asyncHandler) {
  return (req, res, next) => {
    asyncHandler(req, res, next).catch(next);
  };
}

/**
 * Sends a page. The middleware fixes the cookie's expiry (it touches the
 * session) and adds the Set-Cookie header as the headers go out, so the
 * headers are written first: the page then shows the cookie this very
 * response sent, not the one loaded from the store.
 */
function sendPage(req, res, status, page, lifetimes) {
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.writeHead(status);
  const sent = sentCookie(res);
  const cookie = sent && req.session ? req.session.cookie : undefined;
  res.end(pages.layout(page, {
    setCookie: sent,
    expires: cookie && cookie.expires ? cookie.expires.valueOf() : undefined,
    ends: cookie && typeof cookie.createdAt === 'number' ? cookie.createdAt + lifetimes.maxLifetime : undefined,
    lifetimes,
  }));
}

/** This response's Set-Cookie line for the session cookie, if it has one. */
function sentCookie(res) {
  const header = res.getHeader('Set-Cookie');
  const lines = header === undefined ? [] : [].concat(header).map(String);
  return lines.find((line) => line.startsWith(`${COOKIE_NAME}=`));
}

function raceKey(mode, n) {
  return `${mode}_${String(n).padStart(2, '0')}`;
}

function raceKeys(data, mode) {
  return Object.keys(data).filter((key) => key.startsWith(`${mode}_`));
}

module.exports = { createApp, COOKIE_NAME, PARALLEL_UPDATES };
