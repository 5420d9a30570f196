import { test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import session = require('../src/index.js');
import { generateSessionId } from '../src/session-id-generator.js';
import { hmacKey, VerifiedValues, type VerifiedId } from '../src/signature.js';
import signature = require('cookie-signature');

/** A MemoryStore whose get records the ids it is asked for. */
function storeRecordingGets(): { store: session.MemoryStore; gets: string[] } {
  const gets: string[] = [];
  const store = new session.MemoryStore();
  const get = store.get.bind(store);
  store.get = (sid, cb) => {
    gets.push(sid);
    get(sid, cb);
  };
  return { store, gets };
}

test('default ids: 32 characters of base64url (24 random bytes), all distinct', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const id = generateSessionId();
    assert.match(id, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(Buffer.from(id, 'base64url').length, 24);
    ids.add(id);
  }
  assert.equal(ids.size, 1000);
});

const verified = (id: string, signedValue: string): VerifiedId => ({ id, signedValue, secretIndex: 0 });

test('VerifiedValues is bounded: the oldest value goes first', () => {
  const cache = new VerifiedValues(3);
  for (const n of [1, 2, 3, 4]) cache.add(`v${n}`, verified(`id${n}`, `v${n}`));
  assert.equal(cache.get('v1'), undefined);
  assert.equal(cache.get('v4')?.id, 'id4');
  assert.equal(cache.get('v2')?.id, 'id2');
});

test('a cached, valid cookie does not make a tampered one valid, and the re-sent cookie is byte-identical', async () => {
  const { store, gets } = storeRecordingGets();
  const app = express();
  app.use(session({ secret: 'k', resave: false, saveUninitialized: false, rolling: true, store, cookie: { maxAge: 60_000 } }));
  app.get('/', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.send(String(req.session.views));
  });
  const first = await request(app).get('/').expect(200, '1');
  const cookie = (first.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
  const value = decodeURIComponent(cookie.slice('connect.sid='.length));
  assert.ok(signature.unsign(value.slice(2), 'k'));

  // Returning twice: the second time the value is known, and rolling re-sends it unchanged.
  await request(app).get('/').set('Cookie', cookie).expect(200, '2');
  const third = await request(app).get('/').set('Cookie', cookie).expect(200, '3');
  assert.equal((third.headers['set-cookie'] as unknown as string[])[0].split(';')[0], cookie);

  // Same id, one signature character changed: rejected, never looked up.
  const sid = value.slice(2, value.lastIndexOf('.'));
  const last = cookie.at(-1) === 'A' ? 'B' : 'A';
  const tampered = `${cookie.slice(0, -1)}${last}`;
  gets.length = 0;
  await request(app).get('/').set('Cookie', tampered).expect(200, '1');
  assert.deepEqual(gets, [], 'a tampered value is not looked up in the store');
  assert.ok(sid.length > 0);
});

test('hmacKey: a string secret becomes a key object that signs exactly as the string does', () => {
  for (const secret of ['k', 'keyboard cat', 'ünïcödé 🔑', 'x'.repeat(200)]) {
    const key = hmacKey(secret);
    assert.notEqual(typeof key, 'string');
    assert.equal(signature.sign('some-session-id', key), signature.sign('some-session-id', secret));
  }
  const buffer = Buffer.from('raw bytes');
  assert.equal(hmacKey(buffer), buffer, 'other secrets are used as they are');
});

test('a Cookie header value verified once is known by its exact text; other spellings are verified in full', async () => {
  const { store, gets } = storeRecordingGets();
  const app = express();
  app.use((req, _res, next) => {
    // cookie-parser's place: a value that is only the header's text, never decoded.
    const literal = req.get('x-literal');
    if (literal) (req as unknown as { cookies: Record<string, string> }).cookies = { 'connect.sid': literal };
    next();
  });
  app.use(session({ secret: 'k', resave: false, saveUninitialized: false, store }));
  app.get('/', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.send(String(req.session.views));
  });
  const first = await request(app).get('/').expect(200, '1');
  const cookie = (first.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
  const encoded = cookie.slice('connect.sid='.length);
  assert.match(encoded, /^s%3A/);

  await request(app).get('/').set('Cookie', cookie).expect(200, '2');
  await request(app).get('/').set('Cookie', cookie).expect(200, '3'); // known by its text now
  // The same value quoted, or with a lower-case escape: decoded and verified, same session.
  await request(app).get('/').set('Cookie', `connect.sid="${encoded}"`).expect(200, '4');
  await request(app).get('/').set('Cookie', `connect.sid=${encoded.replace('%3A', '%3a')}`).expect(200, '5');
  assert.equal(new Set(gets).size, 1);

  // The header's text handed over as an already-decoded value is not the signed value: no session.
  gets.length = 0;
  await request(app).get('/').set('x-literal', encoded).expect(200, '1');
  assert.deepEqual(gets, []);
});

test('VerifiedValues: sent values are bounded too, oldest out first', () => {
  const cache = new VerifiedValues(2);
  cache.addSent('h1', verified('id1', 's:1'));
  cache.addSent('h2', verified('id2', 's:2'));
  cache.addSent('h3', verified('id3', 's:3'));
  assert.equal(cache.getSent('h1'), undefined);
  assert.deepEqual(cache.getSent('h3'), { id: 'id3', signedValue: 's:3', secretIndex: 0 });
  assert.equal(cache.get('h3'), undefined, 'the two kinds of key are kept apart');
});
