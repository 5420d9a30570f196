'use strict';
// The demo's pages: plain HTML strings. Anything that comes from the user or
// the session goes through escape().

/** HTML-escapes a value for text and attribute positions. */
function escape(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const APP = 'express-session-cn demo';

/** A page: `{ title, body }`, body already HTML (the layout adds the title as its heading). */
function page(title, body) {
  return { title, body };
}

function home(data, { password }) {
  const views = data.views;
  const account = data.user
    ? `<p>Signed in as <strong id="user">${escape(data.user)}</strong>.</p>
<form method="post" action="/logout"><button id="logout">Log out</button></form>
<p class="note">Logging out calls <code>await req.session.destroy()</code>: the session is deleted from the
store, and <code>clearCookieOnDestroy</code> tells the browser to drop its cookie.</p>`
    : `<form method="post" action="/login" class="login">
  <label>Name <input name="user" id="name" autocomplete="username" required></label>
  <label>Password <input name="password" id="password" type="password" autocomplete="current-password"></label>
  <button id="login">Log in</button>
</form>
<p class="note">Any name, with the password <code>${escape(password)}</code>. Logging in calls
<code>await req.session.regenerate({ keep: ['views'] })</code>: a new session id (no session fixation) that
keeps your page count and nothing else, then <code>await req.session.save()</code> before the redirect.</p>`;
  return page(APP, `<p>A drop-in replacement for express-session. This app uses it with the Promise API, an absolute session
lifetime (<code>maxLifetime</code>), <code>regenerate({ keep })</code>, <code>clearCookieOnDestroy</code> and
<code>concurrency: 'merge'</code>.</p>
<p>You have viewed this page <strong id="views">${escape(views)}</strong> time${views === 1 ? '' : 's'} in this session.</p>
<h2>Log in</h2>
${account}
<h2>Try next</h2>
<ul>
  <li><a href="/race">Parallel updates</a>: 20 requests change one session at once, and none is lost.</li>
  <li><a href="/session">This session</a>: its id, its data, and the cookie this response sent.</li>
</ul>`);
}

function sessionPage(data, id) {
  const json = JSON.stringify(data, null, 2);
  return page('This session', `<dl>
  <dt>Session id</dt><dd><code id="sid">${escape(id)}</code></dd>
  <dt>Data (as the store keeps it)</dt><dd><pre id="data">${escape(json)}</pre></dd>
</dl>
<p class="note">The cookie's <code>createdAt</code> is when the session began: <code>maxLifetime</code> counts
from there, however active you are. Logging in starts a new session, and with it a new lifetime.</p>`);
}

function loginFailed(user) {
  const who = user ? ` for <strong>${escape(user)}</strong>` : '';
  return page('Login failed', `<p id="login-failed">That did not work${who}: the demo needs a name and the password it shows on the home page.
Nothing about your session changed.</p>
<p><a id="back" href="/">Back to the login form</a></p>`);
}

function loggedOut() {
  return page('Logged out', `<p id="logged-out">Your session is gone from the store, and your browser was told to delete the cookie.
This page sent no new one: a session starts again only when there is something to keep.</p>
<p><a href="/">Home</a></p>`);
}

function race(count) {
  const button = (mode, label) =>
    `<p><button id="race-${mode}" data-mode="${mode}" data-count="${count}">${label}</button>
<output id="${mode}-result" for="race-${mode}"></output></p>`;
  return page('Parallel updates', `<p>The button sends ${count} requests at the same time to this session. Each waits a little (like a database
call would), then sets a key of its own (<code>merge_01</code>, <code>merge_02</code>, …). Afterwards the page
asks the server how many of the keys the session kept.</p>
${button('merge', `Send ${count} updates with <code>concurrency: 'merge'</code>`)}
<p class="note">With <code>'merge'</code> each request writes only the keys it changed onto the latest stored
session, one commit after the other: every update is kept.</p>
${button('overwrite', `Send ${count} updates with <code>'overwrite'</code> (what express-session does)`)}
<p class="note">With <code>'overwrite'</code> each request saves its whole copy of the session: requests
that overlapped overwrite each other, and their keys are lost.</p>
<p>See the keys on <a href="/session">the session page</a>.</p>`);
}

function notFound() {
  return page('Not found', `<p>There is no such page in this demo. <a href="/">Home</a></p>`);
}

function serverError() {
  return page('Something went wrong', `<p>The server could not finish this request (the details are in its console). <a href="/">Home</a></p>`);
}

/**
 * The page around the content: navigation, and what this response's session
 * cookie says. `status.expires` and `status.ends` are ms since the epoch.
 */
function layout({ title, body }, status) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title === APP ? APP : `${title} · ${APP}`)}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:0 auto;padding:0 1rem 2rem;color:#222}
nav{display:flex;gap:1.2rem;padding:.8rem 0;border-bottom:1px solid #ddd;margin-bottom:1rem}
code,pre{background:#f4f4f4;padding:.1rem .3rem;border-radius:3px;font-size:.9em}
pre{padding:.6rem;overflow:auto}
.status{background:#f0f6ff;border:1px solid #c8dcf5;border-radius:6px;padding:.6rem .9rem;font-size:.95em}
.status p{margin:.2rem 0}
.status table{border-collapse:collapse;margin:.3rem 0}
.status th,.status td{text-align:left;padding:.15rem 1rem .15rem 0;vertical-align:baseline}
.status th{font-weight:normal;color:#555;white-space:nowrap}
.countdown{font-size:1.15em;font-variant-numeric:tabular-nums;white-space:nowrap}
.note{color:#555;font-size:.93em}
.login{display:flex;gap:.8rem;flex-wrap:wrap;align-items:end}
.login label{display:flex;flex-direction:column;font-size:.9em}
button{font:inherit;padding:.3rem .8rem}
output{display:block;margin-top:.3rem;font-weight:600}
</style></head>
<body>
<nav><a href="/">Home</a><a href="/race">Parallel updates</a><a href="/session" id="session-link">This session</a></nav>
<h1>${escape(title)}</h1>
${cookieStatus(status)}
${body}
<script src="/demo.js"></script>
</body></html>`;
}

function cookieStatus({ setCookie, expires, ends, lifetimes }) {
  if (!setCookie) {
    return `<div class="status" id="cookie-status"><p id="no-cookie">This response sent no session cookie:
nothing is stored for you yet.</p></div>`;
  }
  // The value is the signed session id: keep it out of the page (the cookie is HttpOnly for a reason).
  const shown = setCookie.replace(/^([^=]*=)[^;]*/, '$1…');
  const row = (id, label, at, text) => at === undefined ? '' : `<tr><th>${label}</th>
<td><strong class="countdown" id="${id}-countdown" data-until="${at}">${escape(countdown(at - Date.now()))}</strong></td>
<td><time id="${id}" datetime="${new Date(at).toISOString()}">${escape(new Date(at).toUTCString())}</time></td><td>${text}</td></tr>`;
  return `<div class="status" id="cookie-status">
<p>The session cookie sent with this page:</p>
<table>
${row('expires', 'expires', expires, `idle timeout (${minutes(lifetimes.idleTimeout)}), renewed by every response`)}
${row('ends', 'session ends', ends, `<code>maxLifetime</code> (${minutes(lifetimes.maxLifetime)}), however active you are`)}
</table>
<p><code id="set-cookie">Set-Cookie: ${escape(shown)}</code></p>
</div>`;
}

/** "in 2:59", as demo.js keeps writing it. */
function countdown(ms) {
  if (ms <= 0) return 'expired';
  const seconds = Math.ceil(ms / 1000);
  return `in ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

function minutes(ms) {
  const value = ms / 60000;
  return Number.isInteger(value) ? `${value} min` : `${ms / 1000} s`;
}

module.exports = { escape, home, sessionPage, loginFailed, loggedOut, race, notFound, serverError, layout };
