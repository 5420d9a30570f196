import { test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import session = require('../src/index.js');

test('a counter persists across requests through the cookie', async () => {
  const app = express();
  app.use(session({ secret: 'keyboard cat', resave: false, saveUninitialized: false }));
  app.get('/', (req, res) => {
    req.session.views = ((req.session.views as number | undefined) ?? 0) + 1;
    res.send(String(req.session.views));
  });
  const agent = request.agent(app);
  assert.equal((await agent.get('/')).text, '1');
  assert.equal((await agent.get('/')).text, '2');
});
