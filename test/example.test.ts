import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';

// The demo requires the package by name, i.e. the build in dist/ (npm test builds first).
const { createApp } = require('../example/app.js') as { createApp: (options?: object) => Express };

function sessionCookie(res: request.Response): string | undefined {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  return header?.find((c) => c.startsWith('connect.sid='))?.split(';')[0];
}

test('demo: the view counter persists, login regenerates the id, logout ends the session', async () => {
  const agent = request.agent(createApp());

  const first = await agent.get('/').expect(200);
  assert.match(first.text, /id="views">1</);
  const firstCookie = sessionCookie(first);
  assert.ok(firstCookie, 'first visit sets the session cookie');
  assert.match((await agent.get('/').expect(200)).text, /id="views">2</);

  const before = (await agent.get('/session.json').expect(200)).body as { id: string };
  const login = await agent.post('/login').type('form').send({ user: 'ann' }).expect(303);
  assert.equal(login.headers.location, '/');
  const afterLogin = (await agent.get('/session.json').expect(200)).body as { id: string; data: { user?: string; views?: number } };
  assert.notEqual(afterLogin.id, before.id, 'login gives a new session id');
  assert.equal(afterLogin.data.user, 'ann');
  assert.equal(afterLogin.data.views, 2, 'the counter survives the login');

  await agent.post('/logout').expect(303);
  const afterLogout = (await agent.get('/session.json').expect(200)).body as { id: string; data: { user?: string } };
  assert.notEqual(afterLogout.id, afterLogin.id);
  assert.equal(afterLogout.data.user, undefined);
});

test('demo: login without a name is refused and changes nothing', async () => {
  const agent = request.agent(createApp());
  await agent.get('/').expect(200);
  const res = await agent.post('/login').type('form').send({ user: '  ' }).expect(400);
  assert.equal(sessionCookie(res), undefined);
});

test('demo: user input is escaped in the page', async () => {
  const agent = request.agent(createApp());
  await agent.post('/login').type('form').send({ user: '<script>x</script>' }).expect(303);
  const page = await agent.get('/').expect(200);
  assert.ok(!page.text.includes('<script>x</script>'));
  assert.match(page.text, /&#60;script&#62;x&#60;\/script&#62;/);
});
