/**
 * The demo app (example/app.js) in a real browser: Debian's chromium driven
 * by playwright-core (never a downloaded browser). The demo requires the
 * package by name, i.e. the build in dist/ (npm test builds first). The test
 * walks the pages as a new user would and checks what they see.
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
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';

const { createApp } = require('../../example/app.js') as {
  createApp: (options?: { idleTimeout?: number; maxLifetime?: number }) => Express;
};

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
  test('a real browser runs the demo', { skip: available ? false : MISSING, timeout: 90_000 }, async (t) => {
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      timeout: 20_000,
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
    try {
      await t.test('cookie and countdowns, parallel updates, failed login, login, logout', () =>
        withDemo(browser, createApp(), walkThrough));
      await t.test('maxLifetime ends a busy session when its countdown runs out', () =>
        withDemo(browser, createApp({ idleTimeout: 60_000, maxLifetime: 5_000 }), lifetimeRunsOut));
      await t.test('a screenshot of the home page, when SCREENSHOT names the file', { skip: !process.env.SCREENSHOT }, () =>
        withDemo(browser, createApp(), async (_context, page, origin) => {
          await page.setViewportSize({ width: 900, height: 1000 });
          await page.goto(`${origin}/`);
          await page.screenshot({ path: process.env.SCREENSHOT!, fullPage: true });
        }));
    } finally {
      await browser.close();
    }
  });
}

type Walk = (context: BrowserContext, page: Page, origin: string) => Promise<void>;

/** Runs `walk` against the app on a free loopback port, in a fresh browser context (no cookies). */
async function withDemo(browser: Browser, app: Express, walk: Walk): Promise<void> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const context = await browser.newContext();
  try {
    await walk(context, await context.newPage(), origin);
  } finally {
    await context.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function sessionCookie(context: BrowserContext, origin: string) {
  return (await context.cookies(origin)).find((c) => c.name === 'connect.sid');
}

/**
 * Waits until a race has ended, counted or failed: a failed run (an update the
 * server refused) then fails the test with the page's own message, not a timeout.
 */
async function raceResult(page: Page, mode: 'merge' | 'overwrite'): Promise<void> {
  const result = page.locator(`#${mode}-result[data-kept], #${mode}-result:text-matches("failed")`);
  await result.waitFor({ timeout: 20_000 });
  assert.notEqual(await result.getAttribute('data-kept'), null, await text(page, `#${mode}-result`));
}

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).textContent()) ?? '').trim();
}

/** Clicks something that navigates, and waits for the new page: its response. */
async function follow(page: Page, selector: string): Promise<Response> {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  assert.ok(response, `${selector} navigated`);
  return response;
}

/**
 * The expiry the page shows is the one of the cookie this response sent: the
 * same text as the Expires of the Set-Cookie header the browser received, and
 * the browser now holds that cookie (Chromium shifts its expiry by the
 * difference between the server's Date header and its own clock).
 */
async function assertShownExpiryIsTheCookies(context: BrowserContext, page: Page, response: Response | null): Promise<number> {
  const header = (await response?.headerValue('set-cookie'))?.split('\n').find((line) => line.startsWith('connect.sid='));
  assert.ok(header, 'the response set the session cookie');
  const shown = await text(page, '#expires');
  assert.equal(/Expires=([^;]+)/.exec(header)?.[1], shown, 'the page shows the expiry of the cookie it came with');
  assert.equal(await text(page, '#set-cookie'), `Set-Cookie: ${header.replace(/^connect\.sid=[^;]*/, 'connect.sid=…')}`);
  const cookie = await sessionCookie(context, new URL(page.url()).origin);
  assert.ok(cookie && header.startsWith(`connect.sid=${cookie.value};`), 'the browser holds the cookie');
  assert.ok(Math.abs(cookie.expires - Date.parse(shown) / 1000) < 10, `the browser's cookie expires about ${shown}`);
  return Date.parse(shown);
}

async function sessionPage(page: Page): Promise<{ id: string; data: Record<string, unknown>; response: Response }> {
  const response = await follow(page, '#session-link');
  return { id: await text(page, '#sid'), data: JSON.parse(await text(page, '#data')) as Record<string, unknown>, response };
}

const walkThrough: Walk = async (context, page, origin) => {
  // First visit: the cookie is set (HttpOnly, SameSite=Lax), the page counts 1
  // and shows the expiry of that very cookie, and the absolute end.
  const home = await page.goto(`${origin}/`);
  assert.equal(await text(page, '#views'), '1');
  const first = await sessionCookie(context, origin);
  assert.ok(first, 'the first visit sets connect.sid');
  assert.equal(first.httpOnly, true);
  assert.equal(first.sameSite, 'Lax');
  const firstExpiry = await assertShownExpiryIsTheCookies(context, page, home);
  // Counting down from the idle timeout (3 min) and maxLifetime (10 min); a slow machine may have ticked a few times.
  const seconds = (countdown: string) => {
    const [, minutes, rest] = /^in (\d+):(\d\d)$/.exec(countdown) ?? assert.fail(`a countdown, not ${JSON.stringify(countdown)}`);
    return Number(minutes) * 60 + Number(rest);
  };
  const idleLeft = seconds(await text(page, '#expires-countdown'));
  assert.ok(idleLeft <= 180 && idleLeft > 150, `idle countdown at ${idleLeft} s`);
  const lifetimeLeft = seconds(await text(page, '#ends-countdown'));
  assert.ok(lifetimeLeft <= 600 && lifetimeLeft > 570, `maxLifetime countdown at ${lifetimeLeft} s`);
  const documentCookie = await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie);
  assert.ok(!documentCookie.includes('connect.sid'), `scripts cannot read the cookie: document.cookie is ${JSON.stringify(documentCookie)}`);

  // The maxLifetime countdown moves while the user reads.
  const before = await text(page, '#ends-countdown');
  await page.waitForFunction(
    (initial) => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('ends-countdown').textContent !== initial,
    before,
    { timeout: 5_000 },
  );
  assert.match(await text(page, '#ends-countdown'), /^in \d+:\d\d$/);

  // A second later: the cookie is renewed (rolling), and the page shows the new expiry, not the loaded one.
  const reloaded = await page.reload();
  assert.equal(await text(page, '#views'), '2');
  const secondExpiry = await assertShownExpiryIsTheCookies(context, page, reloaded);
  assert.ok(secondExpiry > firstExpiry, 'the idle timeout was renewed');

  // The session page is linked from every page, and shows the id the cookie carries.
  const fresh = await sessionPage(page);
  const cookie = await sessionCookie(context, origin);
  assert.ok(cookie && decodeURIComponent(cookie.value).startsWith(`s:${fresh.id}.`), 'the cookie carries the id the page shows');
  assert.equal(fresh.data.views, 2);
  await assertShownExpiryIsTheCookies(context, page, fresh.response);

  // Parallel updates: 20 at once, none lost with 'merge'; 'overwrite' loses some.
  await page.click('nav a[href="/race"]');
  await page.click('#race-merge');
  await raceResult(page, 'merge');
  assert.equal(await text(page, '#merge-result'), '20 of 20 updates kept: none lost.');
  await page.click('#race-overwrite');
  await raceResult(page, 'overwrite');
  const overwriteKept = Number(await page.locator('#overwrite-result').getAttribute('data-kept'));
  assert.ok(overwriteKept < 20, `overwrite keeps fewer than 20 keys (kept ${overwriteKept})`);
  assert.match(await text(page, '#overwrite-result'), new RegExp(`^${overwriteKept} of 20 updates kept: ${20 - overwriteKept} lost\\.$`));
  const raced = await sessionPage(page);
  assert.equal(raced.id, fresh.id, 'all updates went to the same session');
  const mergeKeys = Object.keys(raced.data).filter((key) => key.startsWith('merge_'));
  assert.deepEqual(mergeKeys.sort(), Array.from({ length: 20 }, (_, i) => `merge_${String(i + 1).padStart(2, '0')}`));

  // A failed login: a friendly page with a way back, and nothing changed.
  await page.click('nav a[href="/"]');
  await page.fill('#name', 'ann');
  await page.fill('#password', 'wrong');
  await follow(page, '#login');
  assert.match(await text(page, '#login-failed'), /^That did not work for ann: the demo needs a name and the password/);
  assert.equal(await page.title(), 'Login failed · express-session-cn demo');
  await follow(page, '#back');
  await page.locator('#login').waitFor();
  assert.equal((await sessionPage(page)).id, fresh.id, 'a failed login keeps the session');

  // Login: a new id, the page count kept (regenerate({ keep: ['views'] })), the race keys not.
  await page.click('nav a[href="/"]');
  const viewsBefore = Number(await text(page, '#views'));
  await page.fill('#name', 'ann');
  await page.fill('#password', 'demo');
  const loggedInHome = await follow(page, '#login');
  assert.equal(await text(page, '#user'), 'ann');
  assert.equal(Number(await text(page, '#views')), viewsBefore + 1, 'the page count survived the login');
  await assertShownExpiryIsTheCookies(context, page, loggedInHome);
  const loggedIn = await sessionPage(page);
  assert.notEqual(loggedIn.id, fresh.id, 'login regenerates the session id');
  assert.equal(loggedIn.data.user, 'ann');
  assert.deepEqual(Object.keys(loggedIn.data).filter((key) => key !== 'cookie').sort(), ['user', 'views']);

  // Logout: the browser no longer holds a session cookie, and the page says so.
  await page.click('nav a[href="/"]');
  await follow(page, '#logout');
  assert.equal(new URL(page.url()).pathname, '/logged-out');
  assert.match(await text(page, '#logged-out'), /^Your session is gone from the store, and your browser was told to delete the cookie/);
  assert.match(await text(page, '#no-cookie'), /^This response sent no session cookie/);
  assert.equal(await sessionCookie(context, origin), undefined, 'logout cleared the cookie');
  const json = await (await page.request.get(`${origin}/session.json`)).json() as { id: string; data: { user?: string } };
  assert.notEqual(json.id, loggedIn.id);
  assert.equal(json.data.user, undefined);
};

const lifetimeRunsOut: Walk = async (context, page, origin) => {
  await page.goto(`${origin}/`);
  await page.fill('#name', 'bob');
  await page.fill('#password', 'demo');
  const loggedInHome = await follow(page, '#login');
  assert.equal(await text(page, '#user'), 'bob');
  // Capped by maxLifetime: the cookie expires with the session, not after the 1-minute idle timeout.
  assert.equal(await text(page, '#expires'), await text(page, '#ends'));
  await assertShownExpiryIsTheCookies(context, page, loggedInHome);
  await page.locator('#ends-countdown', { hasText: 'expired' }).waitFor({ timeout: 15_000 });
  assert.equal(await text(page, '#ends-countdown'), 'expired: reload and you get a new, empty session');
  await page.reload();
  await page.locator('#login').waitFor();
  assert.equal(await page.locator('#user').count(), 0, 'the user is logged out');
  assert.equal(await text(page, '#views'), '1', 'a new, empty session');
};
