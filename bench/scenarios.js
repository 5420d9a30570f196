'use strict';
// The six scenarios, shared by every store mode: in-process all six, over HTTP
// those marked `http`. Each builds options for an implementation, prepares a
// cookie, says what the app does, and checks the outcome (a benchmark of a
// broken path is worthless).
const DAY = 24 * 60 * 60 * 1000;
const SECRET = 'benchmark secret';

const bigProfile = () => ({
  user: { id: 'u-123456', name: 'Ada Lovelace', email: 'ada@example.com', roles: ['admin', 'editor', 'viewer'] },
  cart: Array.from({ length: 24 }, (_, i) => ({ sku: `SKU-${1000 + i}`, qty: (i % 3) + 1, price: 9.99 + i, title: `Item number ${i} with a longer title` })),
  prefs: { theme: 'dark', lang: 'en-GB', tz: 'Europe/London', flags: Array.from({ length: 20 }, (_, i) => `flag-${i}`) },
});

const scenarios = [
  {
    id: 'S1', title: 'new visitor (saveUninitialized)', http: true,
    options: () => ({ secret: SECRET, resave: false, saveUninitialized: true, cookie: { maxAge: DAY } }),
    cookie: () => undefined,
    handle: () => {},
    expect: { setCookie: true, stored: 'grows' },
  },
  {
    id: 'S2', title: 'returning visitor, read-only (resave false)', http: true,
    options: () => ({ secret: SECRET, resave: false, saveUninitialized: false, cookie: { maxAge: DAY } }),
    seed: (req) => { req.session.views = 1; req.session.user = 'ada'; },
    handle: (req) => { if (req.session.user !== 'ada') throw new Error('S2: session not loaded'); },
    expect: { setCookie: false, stored: 'same' },
  },
  {
    id: 'S3', title: 'returning visitor, changes a value',
    options: () => ({ secret: SECRET, resave: false, saveUninitialized: false, cookie: { maxAge: DAY } }),
    seed: (req) => { req.session.views = 1; },
    handle: (req) => { if (!req.session.views) throw new Error('S3: session not loaded'); req.session.views++; },
    expect: { setCookie: true, stored: 'changed' },
  },
  {
    id: 'S4', title: 'rolling, with maxAge',
    options: () => ({ secret: SECRET, resave: false, saveUninitialized: false, rolling: true, cookie: { maxAge: DAY } }),
    seed: (req) => { req.session.views = 1; },
    handle: (req) => { if (!req.session.views) throw new Error('S4: session not loaded'); },
    expect: { setCookie: true, stored: 'same' },
  },
  {
    id: 'S5', title: 'tampered cookie',
    options: () => ({ secret: SECRET, resave: false, saveUninitialized: false, cookie: { maxAge: DAY } }),
    seed: (req) => { req.session.views = 1; },
    tamper: true,
    handle: (req) => { if (req.session.views) throw new Error('S5: tampered cookie loaded a session'); },
    expect: { setCookie: false, stored: 'same' },
  },
  {
    id: 'S6', title: 'read-only session of ~4 KB',
    options: () => ({ secret: SECRET, resave: false, saveUninitialized: false, cookie: { maxAge: DAY } }),
    seed: (req) => { Object.assign(req.session, bigProfile()); },
    handle: (req) => { if (!req.session.cart || req.session.cart.length !== 24) throw new Error('S6: session not loaded'); },
    expect: { setCookie: false, stored: 'same' },
  },
];

/** What a store holds for S2's session: the size of value the raw-GET baseline reads. */
const storedSessionExample = () => ({
  cookie: { originalMaxAge: DAY, expires: new Date(Date.now() + DAY).toISOString(), httpOnly: true, path: '/' },
  views: 1,
  user: 'ada',
});

module.exports = { scenarios, SECRET, bigProfile, storedSessionExample };
