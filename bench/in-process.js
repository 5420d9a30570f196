'use strict';
// In-process benchmark: real http.IncomingMessage / ServerResponse objects (on a
// socket that discards what is written) driven through each implementation,
// interleaved A B A B … in short samples so that drift hits every side alike.
const http = require('node:http');
const { Duplex } = require('node:stream');
const { PerformanceObserver } = require('node:perf_hooks');
const { STORE_MODES } = require('./stores');

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

/**
 * One scenario for one implementation (`session` null: no session at all) on one
 * store mode (`memory` or `async`, see stores.js): its request handler, the
 * Cookie header a returning visitor sends, the store, and `snapshot()` of what
 * the store holds (`{ sid: json }`).
 */
async function prepareScenario(session, scenario, storeMode = 'memory') {
  if (!session) {
    return { handler: (_req, res) => { res.setHeader('Content-Type', 'text/plain'); res.end('ok'); }, cookie: undefined, store: undefined, snapshot: () => ({}) };
  }
  const mode = STORE_MODES[storeMode];
  if (!mode || !mode.snapshot) throw new Error(`in-process store mode is invalid: ${storeMode} (use memory or async)`);
  const store = mode.create(session);
  const mw = session({ ...scenario.options(), store });
  const app = (handle) => (req, res, fail) => mw(req, res, (err) => {
    if (err) return fail(err);
    try {
      handle(req);
    } catch (e) {
      return fail(e);
    }
    res.setHeader('Content-Type', 'text/plain');
    res.end('ok');
  });
  let cookie;
  if (scenario.seed) {
    const header = (await runRequest(app(scenario.seed))).getHeader('set-cookie');
    const line = Array.isArray(header) ? header.find((c) => c.startsWith('connect.sid=')) : undefined;
    if (!line) throw new Error(`${scenario.id}: seeding set no cookie`);
    cookie = line.split(';')[0];
    if (scenario.tamper) cookie = cookie.slice(0, -3) + (cookie.endsWith('AAA') ? 'BBB' : 'AAA');
  }
  return { handler: app(scenario.handle), cookie, store, snapshot: () => mode.snapshot(store) };
}

function setCookieOf(res) {
  const header = res.getHeader('set-cookie');
  return Array.isArray(header) ? header.find((c) => c.startsWith('connect.sid=')) : undefined;
}

/**
 * Runs a prepared scenario once and checks what a client and the store observe
 * against `scenario.expect`; resolves with that observation.
 */
async function runChecked(prepared, scenario, label) {
  const before = prepared.snapshot();
  const res = await runRequest(prepared.handler, prepared.cookie);
  if (res.statusCode !== 200) throw new Error(`${label}: status ${res.statusCode}`);
  const setCookie = Boolean(setCookieOf(res));
  if (setCookie !== scenario.expect.setCookie) throw new Error(`${label}: Set-Cookie ${setCookie ? 'sent' : 'missing'}`);
  // A write the response does not wait for (a touch) lands within a turn or two.
  await new Promise((resolve) => setImmediate(resolve));
  const after = prepared.snapshot();
  const count = Object.keys(before).length;
  const grown = Object.keys(after).length - count;
  const changed = JSON.stringify(after) !== JSON.stringify(before);
  const stored = scenario.expect.stored;
  if (stored === 'grows' && grown !== 1) throw new Error(`${label}: store did not grow by one`);
  if (stored === 'changed' && !changed) throw new Error(`${label}: store not written`);
  if (stored === 'same' && grown !== 0) throw new Error(`${label}: store size changed`);
  // Not `changed`: a touch may or may not move a stored expiry, by the millisecond.
  return { statusCode: res.statusCode, setCookie, grown };
}

module.exports = { runRequest, runChecked, sinkSocket, prepareScenario };

/** Counts garbage collections while `fn` runs, to tell clean allocation samples from GC-disturbed ones. */
function gcCounter() {
  let count = 0;
  const observer = new PerformanceObserver((list) => { count += list.getEntries().length; });
  observer.observe({ entryTypes: ['gc'] });
  return { get count() { return count; }, stop: () => observer.disconnect() };
}
module.exports.gcCounter = gcCounter;
