/* eslint-env browser */
// The demo's only script: the countdowns, and the parallel-updates buttons.
'use strict';

/** "in 2:59" (as the server writes it first). */
function countdown(ms) {
  if (ms <= 0) return 'expired: reload and you get a new, empty session';
  const seconds = Math.ceil(ms / 1000);
  return `in ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

function tick() {
  for (const element of document.querySelectorAll('[data-until]')) {
    element.textContent = countdown(Number(element.dataset.until) - Date.now());
  }
}
tick();
setInterval(tick, 1000);

/** Fires `count` updates at once, then asks the server how many keys the session kept. */
async function race(button) {
  const { mode, count } = button.dataset;
  const output = document.getElementById(`${mode}-result`);
  button.disabled = true;
  output.textContent = `Sending ${count} requests at once…`;
  try {
    await check(fetch(`/race/${mode}/reset`, { method: 'POST' }));
    const updates = [];
    for (let n = 1; n <= Number(count); n++) updates.push(check(fetch(`/race/${mode}/${n}`, { method: 'POST' })));
    await Promise.all(updates);
    const { sent, kept } = await (await check(fetch(`/race/${mode}`))).json();
    const lost = sent - kept;
    output.textContent = `${kept} of ${sent} updates kept` + (lost === 0 ? ': none lost.' : `: ${lost} lost.`);
    output.dataset.kept = String(kept);
  } catch (err) {
    output.textContent = `The run failed: ${err.message}`;
  } finally {
    button.disabled = false;
  }
}

async function check(pending) {
  const response = await pending;
  if (!response.ok) throw new Error(`${response.url} answered ${response.status}`);
  return response;
}

for (const button of document.querySelectorAll('button[data-mode]')) {
  button.addEventListener('click', () => race(button));
}
