'use strict';
// Runs one README sample in this (child) process, for test/readme-samples.test.ts:
//   node readme-sample-runner.cjs <sample.js>   (SAMPLE_OPTIONS in the environment)
// Plain Node, no TypeScript loader, so a sample is run exactly as a user would paste it.
//
// Before the sample: `require('express-session-cn')` and the repository's
// devDependencies resolve from the sample's temporary directory; the free names
// the README documents (`app`, `session`, `secret`, `store`, `server`,
// `authenticate`, `redisClient`, `key`, `cert`) are globals made on first use; every server's listen()
// goes to a free loopback port. After it: the steps of its marker run against
// the server it listened on, the server it created, or the app it created.
// Exit code 0 when every step held; 1 with a message otherwise. An uncaught
// exception or an unhandled rejection ends the process with a non-zero code too.
const Module = require('node:module');
const path = require('node:path');
const fs = require('node:fs');
const http = require('node:http');
const http2 = require('node:http2');
const net = require('node:net');

const root = path.resolve(__dirname, '..', '..');
const options = JSON.parse(process.env.SAMPLE_OPTIONS || '{}');
const sampleFile = path.resolve(process.argv[2]);

const deadline = setTimeout(() => fail('the sample did not finish within 20 s'), 20_000);
deadline.unref();

function fail(message) {
  process.stderr.write(`SAMPLE FAILED: ${message}\n`);
  process.exit(1);
}

// --- module resolution: as if the sample were a file of an app that installed the package

const packageEntry = require.resolve('express-session-cn'); // self-reference: the built dist/
const fromRoot = Object.assign(new Module(path.join(root, 'index.js')), {
  filename: path.join(root, 'index.js'),
  paths: Module._nodeModulePaths(root),
});
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (request === 'express-session-cn') return packageEntry;
  if (request.startsWith('express-session-cn/')) return resolve.call(this, request, module, ...rest); // a subpath export of dist/, by self-reference
  if (request === 'express' && options.express5) request = 'express5';
  try {
    return resolve.call(this, request, parent, ...rest);
  } catch (err) {
    if (request.startsWith('.') || path.isAbsolute(request)) throw err;
    return resolve.call(this, request, fromRoot, ...rest);
  }
};

// --- what the sample makes: apps (express, connect) and servers

const apps = [];
const servers = [];
/** Servers made by node:http2, and whether over TLS. */
const http2Servers = new Map();

function recordFactory(file) {
  const factory = require(file);
  if (factory.__recorded) return;
  const recording = function (...args) {
    const app = factory.apply(this, args);
    apps.push(app);
    return app;
  };
  Object.assign(recording, factory, { __recorded: true });
  require.cache[require.resolve(file)].exports = recording;
}
recordFactory(options.express5 ? 'express5' : 'express');
recordFactory('connect');

for (const [module, name] of [[http, 'createServer'], [http2, 'createServer'], [http2, 'createSecureServer']]) {
  const create = module[name];
  module[name] = function (...args) {
    const server = create.apply(this, args);
    servers.push(server);
    if (module === http2) http2Servers.set(server, name === 'createSecureServer');
    return server;
  };
}

// Every listen() gets a free port on loopback, whatever port the sample asked for.
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (!servers.includes(this)) servers.push(this);
  const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
  return callback ? listen.call(this, 0, '127.0.0.1', callback) : listen.call(this, 0, '127.0.0.1');
};

// --- the free names of the README's snippets

const session = require('express-session-cn');
const globals = {
  session: () => session,
  secret: () => 'a long random secret from the environment',
  store: () => new session.MemoryStore(),
  app: () => {
    const app = require(options.express5 ? 'express5' : 'express')();
    if (options.appWithSession) {
      app.use(session({ secret: globalThis.secret, store: globalThis.store, resave: false, saveUninitialized: false }));
    }
    return app;
  },
  server: () => http.createServer(globalThis.app),
  authenticate: () => async () => ({ id: 1, name: 'ann' }),
  redisClient: () => require('redis').createClient({ url: process.env.REDIS_URL }),
  key: () => fs.readFileSync(path.join(root, 'test', 'fixtures', 'tls', 'localhost-key.pem')),
  cert: () => fs.readFileSync(path.join(root, 'test', 'fixtures', 'tls', 'localhost-cert.pem')),
};
for (const [name, make] of Object.entries(globals)) {
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get() {
      const value = make();
      Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
      return value;
    },
  });
}

// --- run the sample, then its steps

async function main() {
  const source = fs.readFileSync(sampleFile, 'utf8');
  require(sampleFile);
  const server = await serverOf(source);
  const jar = new Map();
  for (const step of options.steps) {
    if (!server) throw new Error(`step ${JSON.stringify(step)} needs an app or a server, and the sample made none`);
    await runStep(step, server, jar);
  }
  clearTimeout(deadline);
  process.exit(0);
}

/** The server to send requests to: the one the sample listened on, created, or made for its app. */
async function serverOf(source) {
  if (/\.listen\(/.test(source)) {
    while (!servers.some((server) => server.listening)) await new Promise((resolve) => setTimeout(resolve, 10));
    return servers.find((server) => server.listening);
  }
  await new Promise((resolve) => setImmediate(resolve));
  if (options.steps.length === 0) return undefined;
  const server = servers.at(-1) ?? (apps.length > 0 ? http.createServer(apps.at(-1)) : undefined);
  if (server) await new Promise((resolve) => server.listen(0, resolve));
  return server;
}

async function runStep(step, server, jar) {
  const { port } = server.address();
  switch (step.kind) {
    case 'request': {
      const res = await send(server, port, jar, step.method, step.path, step.body);
      const label = `${step.method} ${step.path}`;
      if (step.status === undefined ? res.status < 200 || res.status > 299 : res.status !== step.status) {
        throw new Error(`${label}: status ${res.status}, expected ${step.status ?? '2xx'}; body: ${res.text.slice(0, 300)}`);
      }
      if (step.text !== undefined && !res.text.includes(step.text)) {
        throw new Error(`${label}: body ${JSON.stringify(res.text.slice(0, 300))} does not contain ${JSON.stringify(step.text)}`);
      }
      return;
    }
    case 'counter': {
      const app = apps.at(-1);
      if (!app) throw new Error('counter: the sample made no app');
      app.use('/counter', (req, res) => {
        req.session.counter = (req.session.counter || 0) + 1;
        res.end(String(req.session.counter));
      });
      for (const expected of ['1', '2']) {
        const res = await send(server, port, jar, 'GET', '/counter');
        if (res.status !== 200 || res.text !== expected) {
          throw new Error(`GET /counter: ${res.status} ${JSON.stringify(res.text.slice(0, 300))}, expected 200 "${expected}" (the session did not persist)`);
        }
      }
      return;
    }
    case 'store-fails': {
      for (const method of step.methods) {
        session.MemoryStore.prototype[method] = function (...args) {
          const callback = args.at(-1);
          const err = new Error(`store ${method} failed (a store failure simulated by the README sample test)`);
          if (typeof callback === 'function') setImmediate(callback, err);
          else return Promise.reject(err);
        };
      }
      return;
    }
    case 'upgrade': {
      const WebSocket = require('ws');
      const status = await new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}${step.path}`, { headers: cookieHeader(jar) });
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode);
          res.resume();
        });
        ws.on('error', reject);
      });
      if (status !== step.status) throw new Error(`upgrade ${step.path}: status ${status}, expected ${step.status}`);
      return;
    }
    case 'socket.io': {
      const { io } = require('socket.io-client');
      const socket = io(`http://127.0.0.1:${port}`, { extraHeaders: cookieHeader(jar), reconnection: false });
      const answer = await new Promise((resolve) => {
        socket.on('connect_error', (err) => resolve(`connect_error: ${err.message}`));
        socket.on('connect', () => socket.emit(step.event, resolve));
      });
      socket.disconnect();
      if (answer !== step.answer) throw new Error(`socket.io ${step.event}: answered ${JSON.stringify(answer)}, expected ${JSON.stringify(step.answer)}`);
      return;
    }
    default:
      throw new Error(`unknown step ${JSON.stringify(step)}`);
  }
}

function cookieHeader(jar) {
  return jar.size > 0 ? { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') } : {};
}

/** Keeps the cookies a response set (an expired one is removed). */
function remember(jar, setCookies) {
  for (const line of setCookies) {
    const [pair] = line.split(';');
    const index = pair.indexOf('=');
    const name = pair.slice(0, index).trim();
    if (/expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
    else jar.set(name, pair.slice(index + 1));
  }
}

async function send(server, port, jar, method, urlPath, body) {
  const headers = { ...cookieHeader(jar), ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) };
  if (http2Servers.has(server)) {
    return sendHttp2(http2Servers.get(server), port, jar, method, urlPath, body, headers);
  }
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, { method, headers, body, redirect: 'manual' });
  remember(jar, res.headers.getSetCookie());
  return { status: res.status, text: await res.text() };
}

function sendHttp2(secure, port, jar, method, urlPath, body, headers) {
  const client = http2.connect(`${secure ? 'https' : 'http'}://localhost:${port}`, { rejectUnauthorized: false });
  return new Promise((resolve, reject) => {
    client.on('error', reject);
    const stream = client.request({ ':method': method, ':path': urlPath, ...headers });
    let status = 0;
    let text = '';
    stream.on('response', (responseHeaders) => {
      status = responseHeaders[':status'];
      const setCookie = responseHeaders['set-cookie'];
      remember(jar, setCookie === undefined ? [] : [].concat(setCookie));
    });
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => (text += chunk));
    stream.on('end', () => {
      client.close();
      resolve({ status, text });
    });
    stream.on('error', reject);
    stream.end(body);
  });
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)));
