'use strict';
// The demo app that `npm start` runs. It requires the package by its own name
// (Node resolves a package's self-reference through its "exports"), exactly as
// an app that installed it would.
const express = require('express');
const session = require('express-session-cn');

/**
 * Builds the demo app. `store` is optional: MemoryStore when left out.
 * @param {{ store?: import('express-session-cn').SessionStore, secret?: string }} [options]
 */
function createApp(options = {}) {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.urlencoded({ extended: false }));
  app.use(session({
    secret: options.secret || process.env.SESSION_SECRET || 'demo secret: set SESSION_SECRET in production',
    store: options.store,
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: 30 * 60 * 1000, sameSite: 'lax' },
  }));

  app.get('/', (req, res) => {
    req.session.views = (req.session.views || 0) + 1;
    res.type('html').send(page(req));
  });

  app.get('/session.json', (req, res) => {
    res.json({ id: req.sessionID, data: req.session, expires: req.session.cookie.expires });
  });

  // Log in: a new session id (no fixation), then the user, saved before the redirect.
  app.post('/login', async (req, res, next) => {
    const user = String(req.body.user || '').trim().slice(0, 40);
    if (!user) return res.status(400).type('text').send('user is required');
    try {
      const views = req.session.views;
      await req.session.regenerate();
      req.session.user = user;
      req.session.views = views;
      await req.session.save();
      res.redirect(303, '/');
    } catch (err) {
      next(err);
    }
  });

  // Log out: forget the user, and give the browser a new, empty session.
  app.post('/logout', async (req, res, next) => {
    try {
      await req.session.regenerate();
      res.redirect(303, '/');
    } catch (err) {
      next(err);
    }
  });

  return app;
}

function page(req) {
  const { user, views } = req.session;
  const expires = req.session.cookie.expires;
  const account = user
    ? `<p>Signed in as <strong id="user">${escape(user)}</strong>.</p>
       <form method="post" action="/logout"><button id="logout">Log out</button></form>`
    : `<form method="post" action="/login">
         <label>Name <input name="user" id="name" autocomplete="username"></label>
         <button id="login">Log in</button>
       </form>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>express-session-cn demo</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
code,pre{background:#f4f4f4;padding:.1rem .3rem;border-radius:3px}</style></head>
<body>
<h1>express-session-cn demo</h1>
<p>You have viewed this page <strong id="views">${views}</strong> time${views === 1 ? '' : 's'} in this session.</p>
${account}
<h2>This session</h2>
<dl>
  <dt>Session id</dt><dd><code id="sid">${escape(req.sessionID)}</code></dd>
  <dt>Expires</dt><dd id="expires">${expires ? escape(new Date(expires).toISOString()) : 'when the browser closes'}</dd>
  <dt>Data</dt><dd><pre id="data">${escape(JSON.stringify(req.session, null, 2))}</pre></dd>
</dl>
</body></html>`;
}

function escape(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

module.exports = { createApp };
