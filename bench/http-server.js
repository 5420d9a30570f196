'use strict';
// One benchmark server: `node bench/http-server.js <ours|express-session|none>`.
// Tells its parent the port over IPC, then serves until killed.
const express = require('express');

const kind = process.argv[2];
const session = kind === 'ours' ? require('..') : kind === 'express-session' ? require('express-session') : null;
const DAY = 24 * 60 * 60 * 1000;

const app = express();
app.disable('x-powered-by');
app.disable('etag');
if (session) {
  app.use(session({ secret: 'benchmark secret', resave: false, saveUninitialized: true, cookie: { maxAge: DAY } }));
}
app.get('/', (req, res) => {
  if (req.session && req.session.user === undefined) req.session.user = 'ada';
  res.send('ok');
});
app.get('/returning', (req, res) => {
  if (session && req.session.user !== 'ada') {
    res.status(500).send('session not loaded');
    return;
  }
  res.send('ok');
});

process.on('SIGINT', () => process.exit(0));
const server = app.listen(0, '127.0.0.1', () => {
  process.send({ port: server.address().port });
});
