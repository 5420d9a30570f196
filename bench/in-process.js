'use strict';
// In-process benchmark: real http.IncomingMessage / ServerResponse objects (on a
// socket that discards what is written) driven through each implementation,
// interleaved A B A B … in short samples so that drift hits every side alike.
const http = require('node:http');
const { Duplex } = require('node:stream');
const { PerformanceObserver } = require('node:perf_hooks');

const SECRET = 'benchmark secret';

/** A socket that accepts and discards everything written to it. */
function sinkSocket() {
  const socket = new Duplex({ read() {}, write(_chunk, _enc, cb) { cb(); } });
  socket.remoteAddress = '127.0.0.1';
  socket.setTimeout = () => socket;
  socket.setNoDelay = () => socket;
  socket.setKeepAlive = () => socket;
  return socket;
}

/** Runs one request through `handler` and resolves with what the client would see. */
function runRequest(handler, cookieHeader, socket = sinkSocket()) {
  return new Promise((resolve, reject) => {
    const req = new http.IncomingMessage(socket);
    req.method = 'GET';
    req.url = '/';
    req.headers = cookieHeader ? { host: 'localhost', cookie: cookieHeader } : { host: 'localhost' };
    const res = new http.ServerResponse(req);
    res.assignSocket(socket);
    res.on('finish', () => {
      res.detachSocket(socket);
      resolve(res);
    });
    handler(req, res, reject);
  });
}

/** Builds the app function of one scenario for one implementation (`session` may be null: no session). */
function buildHandler(session, scenario) {
  const mw = session ? session(scenario.options(session)) : null;
  const store = mw ? scenario.store : null;
  const handle = (req, res) => {
    scenario.handle(req);
    res.setHeader('Content-Type', 'text/plain');
    res.end('ok');
  };
  const handler = (req, res, fail) => {
    if (!mw) return handle(req, res);
    mw(req, res, (err) => {
      if (err) return fail(err);
      handle(req, res);
    });
  };
  return { handler, store };
}

module.exports = { runRequest, buildHandler, sinkSocket, SECRET };

/** Counts garbage collections while `fn` runs, to tell clean allocation samples from GC-disturbed ones. */
function gcCounter() {
  let count = 0;
  const observer = new PerformanceObserver((list) => { count += list.getEntries().length; });
  observer.observe({ entryTypes: ['gc'] });
  return { get count() { return count; }, stop: () => observer.disconnect() };
}
module.exports.gcCounter = gcCounter;
