import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import request from 'supertest';
import type { Express } from 'express';

// The demo requires the package by name, i.e. the build in dist/ (npm test builds first).
const { createApp } = require('../example/app.js') as { createApp: (options?: object) => Express };

function sessionCookie(res: request.Response): string | undefined {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  return header?.find((c) => c.startsWith('connect.sid='));
}

type SessionJson = { id: string; data: { user?: string; views?: number; [key: string]: unknown } };

async function sessionJson(agent: ReturnType<typeof request.agent>): Promise<SessionJson> {
  return (await agent.get('/session.json').expect(200)).body as SessionJson;
}

test('demo: the view counter persists, login regenerates the id keeping only views, logout ends the session', async () => {
  const agent = request.agent(createApp());

  const first = await agent.get('/').expect(200);
  assert.match(first.text, /id="views">1</);
  assert.ok(sessionCookie(first), 'first visit sets the session cookie');
  assert.match((await agent.get('/').expect(200)).text, /id="views">2</);
  await agent.post('/race/merge/reset').expect(204);

  const before = await sessionJson(agent);
  assert.equal(before.data.lastRun, 'merge');
  const login = await agent.post('/login').type('form').send({ user: 'ann', password: 'demo' }).expect(303);
  assert.equal(login.headers.location, '/');
  const afterLogin = await sessionJson(agent);
  assert.notEqual(afterLogin.id, before.id, 'login gives a new session id');
  assert.equal(afterLogin.data.user, 'ann');
  assert.equal(afterLogin.data.views, 2, 'the counter survives the login');
  assert.equal(afterLogin.data.lastRun, undefined, 'regenerate keeps views only');

  const logout = await agent.post('/logout').expect(303);
  assert.equal(logout.headers.location, '/logged-out');
  assert.match(sessionCookie(logout) ?? '', /^connect\.sid=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/, 'logout clears the cookie');
  const page = await agent.get('/logged-out').expect(200);
  assert.equal(sessionCookie(page), undefined, 'the logged-out page sets no new cookie');
  assert.match(page.text, /id="no-cookie"/);
});

test('demo: the page shows the expiry of the cookie it sent', async () => {
  const agent = request.agent(createApp());
  await agent.get('/').expect(200);
  // Long enough for an expiry loaded from the store to differ from the one sent now.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  for (const url of ['/', '/session', '/race']) {
    const res = await agent.get(url).expect(200);
    const expires = /Expires=([^;]+)/.exec(sessionCookie(res) ?? '')?.[1];
    assert.ok(expires, `${url} sends the cookie (rolling)`);
    assert.match(res.text, new RegExp(`<time id="expires" [^>]*>${expires}</time>`), `${url} shows ${expires}`);
    assert.match(res.text, /<a href="\/session" id="session-link">/, `${url} links the session page`);
  }
});

test('demo: a failed login is a page with a way back, and changes nothing', async () => {
  const agent = request.agent(createApp());
  await agent.get('/').expect(200);
  const before = await sessionJson(agent);
  for (const form of [{ user: 'ann', password: 'wrong' }, { user: '  ', password: 'demo' }, {}]) {
    const res = await agent.post('/login').type('form').send(form).expect(401);
    assert.match(res.headers['content-type'] ?? '', /^text\/html/);
    assert.match(res.text, /<h1>Login failed<\/h1>/);
    assert.match(res.text, /<a id="back" href="\/">Back to the login form<\/a>/);
  }
  const after = await sessionJson(agent);
  assert.equal(after.id, before.id);
  assert.equal(after.data.user, undefined);
});

test('demo: parallel updates all land with merge, on the same session', async () => {
  const agent = request.agent(createApp());
  await agent.post('/race/merge/reset').expect(204);
  const { id } = await sessionJson(agent);
  await Promise.all(Array.from({ length: 20 }, (_, i) => agent.post(`/race/merge/${i + 1}`).expect(204)));
  assert.deepEqual((await agent.get('/race/merge').expect(200)).body, { sent: 20, kept: 20 });
  const after = await sessionJson(agent);
  assert.equal(after.id, id);
  assert.equal(Object.keys(after.data).filter((key) => key.startsWith('merge_')).length, 20);
  await agent.post('/race/merge/reset').expect(204);
  assert.deepEqual((await agent.get('/race/merge').expect(200)).body, { sent: 20, kept: 0 }, 'reset removes the keys');
});

test('demo: user input is escaped in the page', async () => {
  const agent = request.agent(createApp());
  await agent.post('/login').type('form').send({ user: '<script>x</script>', password: 'demo' }).expect(303);
  const page = await agent.get('/').expect(200);
  assert.ok(!page.text.includes('<script>x</script>'));
  assert.match(page.text, /&#60;script&#62;x&#60;\/script&#62;/);
  const failed = await agent.post('/login').type('form').send({ user: '"><img src=x>', password: 'no' }).expect(401);
  assert.ok(!failed.text.includes('<img src=x>'));
  assert.match(failed.text, /&#34;&#62;&#60;img src=x&#62;/);
});

test('demo: unknown pages and errors are pages too', async (t) => {
  const res = await request(createApp()).get('/nope').expect(404);
  assert.match(res.text, /<h1>Not found<\/h1>/);
  assert.match(res.text, /<a href="\/session" id="session-link">/);

  // A store that fails: the rejected `await req.session.destroy()` reaches the
  // error handler (Express 4 does not catch it), which answers with a page.
  const { MemoryStore } = require('express-session-cn') as typeof import('../src/index.js');
  const store = new MemoryStore();
  const agent = request.agent(createApp({ store }));
  await agent.post('/login').type('form').send({ user: 'ann', password: 'demo' }).expect(303);
  store.destroy = (_id, callback) => callback?.(new Error('the store is down'));
  const logged = t.mock.method(console, 'error', () => undefined);
  const failed = await agent.post('/logout').expect(500);
  assert.match(failed.text, /<h1>Something went wrong<\/h1>/);
  assert.match(failed.text, /<a href="\/">Home<\/a>/);
  assert.equal((logged.mock.calls[0]?.arguments[0] as Error | undefined)?.message, 'the store is down');
});

test('demo: a port in use is one line on stderr, not a stack', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, 'localhost', resolve));
  const { port } = blocker.address() as net.AddressInfo;
  try {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'example', 'server.js')], {
      env: { ...process.env, PORT: String(port), REDIS_URL: '', NODE_V8_COVERAGE: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    assert.equal(stderr, `Port ${port} is already in use: stop the other server, or start on another port, e.g. PORT=${port + 1} npm start\n`);
  } finally {
    blocker.close();
  }
});
