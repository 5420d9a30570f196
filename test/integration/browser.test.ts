/**
 * The demo app (example/app.js) in a real browser: Debian's chromium driven
 * by playwright-core (never a downloaded browser). The demo requires the
 * package by name, i.e. the build in dist/ (npm test builds first).
 *
 * Without chromium the test is skipped with the install hint; under CI=true a
 * missing browser is a failure, so CI cannot pass without running it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Browser, BrowserContext, Page } from 'playwright-core';

const { createApp } = require('../../example/app.js') as { createApp: (options?: object) => Express };

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const MISSING = `chromium not found: apt-get install chromium (looked for ${CHROMIUM}; set CHROMIUM_PATH to override)`;

function isExecutable(path: string): boolean {
  try {
    fs.accessSync(path, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const available = isExecutable(CHROMIUM);
const inCI = process.env.CI === 'true';

if (!available && inCI) {
  test('a real browser runs the demo', () => {
    assert.fail(`${MISSING}; CI=true requires the browser test to run`);
  });
} else {
  test('a real browser runs the demo: cookie, counter, login, logout, HttpOnly', { skip: available ? false : MISSING, timeout: 30_000 }, async () => {
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    const server = http.createServer(createApp());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        timeout: 20_000,
        args: [
          '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
          '--disable-background-networking', '--disable-component-update', '--disable-sync',
        ],
      });
      const context = await browser.newContext();
      const page = await context.newPage();
      await run(context, page, origin);
      await context.close();
    } finally {
      await browser?.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
}

async function sessionCookie(context: BrowserContext, origin: string) {
  return (await context.cookies(origin)).find((c) => c.name === 'connect.sid');
}

async function text(page: Page, id: string): Promise<string> {
  return (await page.locator(`#${id}`).textContent()) ?? '';
}

async function run(context: BrowserContext, page: Page, origin: string): Promise<void> {
  // First visit: the cookie is set, HttpOnly and SameSite=Lax, and the page counts 1.
  await page.goto(`${origin}/`);
  assert.equal(await text(page, 'views'), '1');
  const first = await sessionCookie(context, origin);
  assert.ok(first, 'the first visit sets connect.sid');
  assert.equal(first.httpOnly, true);
  assert.equal(first.sameSite, 'Lax');
  assert.ok(first.expires > Date.now() / 1000, 'a persistent cookie (maxAge is set)');
  const firstSid = await text(page, 'sid');
  assert.ok(decodeURIComponent(first.value).startsWith(`s:${firstSid}.`), 'the cookie carries the id the page shows');

  // Reload: same session, the count goes on.
  await page.reload();
  assert.equal(await text(page, 'views'), '2');
  assert.equal(await text(page, 'sid'), firstSid);

  // HttpOnly: scripts cannot read the session cookie.
  const documentCookie = await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie);
  assert.ok(!documentCookie.includes('connect.sid'), `document.cookie is ${JSON.stringify(documentCookie)}`);

  // Login through the form: a new id (no fixation), the counter survives.
  await page.fill('#name', 'ann');
  await Promise.all([page.waitForURL(`${origin}/`), page.click('#login')]);
  await page.locator('#user').waitFor();
  assert.equal(await text(page, 'user'), 'ann');
  const loginSid = await text(page, 'sid');
  assert.notEqual(loginSid, firstSid, 'login regenerates the session id');
  assert.equal(await text(page, 'views'), '3');
  const afterLogin = await sessionCookie(context, origin);
  assert.ok(afterLogin);
  assert.notEqual(afterLogin.value, first.value, 'the browser holds the new cookie');
  assert.ok(decodeURIComponent(afterLogin.value).startsWith(`s:${loginSid}.`));

  // Logout: the user is gone and the session id changes again.
  await Promise.all([page.waitForURL(`${origin}/`), page.click('#logout')]);
  await page.locator('#login').waitFor();
  assert.equal(await page.locator('#user').count(), 0);
  const logoutSid = await text(page, 'sid');
  assert.notEqual(logoutSid, loginSid, 'logout gives a new session id');
  assert.equal(await text(page, 'views'), '1', 'a fresh session after logout');
  const afterLogout = await sessionCookie(context, origin);
  assert.ok(afterLogout && decodeURIComponent(afterLogout.value).startsWith(`s:${logoutSid}.`));

  // The server agrees: the cookie the browser now holds names the fresh session, without a user.
  const json = await (await page.request.get(`${origin}/session.json`)).json() as { id: string; data: { user?: string } };
  assert.equal(json.id, logoutSid);
  assert.equal(json.data.user, undefined);
}
