'use strict';
// The targets, ours ÷ express-session 1.19.0 measured side by side in one run,
// in one place, and how a checked target is printed (PASS / MISS).

/** In-process: the session layer's time, ours ÷ express-session, at most this, per store mode and scenario. */
const IN_PROCESS = {
  memory: { default: 0.6 },
  async: { S2: 0.5, S5: 0.5, S6: 0.5, default: 0.6 },
};

/**
 * Over HTTP, returning visitor: requests per second, ours ÷ express-session at
 * least `vsSession`, and ours ÷ the baseline app (no session; for Redis, one raw
 * GET and no session) at least `vsBaseline`.
 */
const HTTP = {
  memory: { vsSession: 1.5 },
  async: { vsSession: 1.5, vsBaseline: 0.75 },
  redis: { vsSession: 1.5, vsBaseline: 0.85 },
};

const inProcessLimit = (mode, scenarioId) => IN_PROCESS[mode][scenarioId] ?? IN_PROCESS[mode].default;

/** A checked target: `value` against `limit` with `op` ('<=' or '>='). NaN (not measured) is a miss. */
function check(label, value, op, limit) {
  const pass = op === '<=' ? value <= limit : value >= limit;
  return { label, value, op, limit, pass };
}

const mark = (target) => (target.pass ? 'PASS' : 'MISS');
/** Two decimals, or four where two would print the limit itself (1.4996 is a miss of ≥ 1.5, not "1.50"). */
const shown = (target) => target.value.toFixed(Number(target.value.toFixed(2)) === target.limit ? 4 : 2);
const format = (target) => `${mark(target)}  ${target.label}: ${shown(target)}× (target ${target.op === '<=' ? '≤' : '≥'} ${target.limit}×)`;

/** The Markdown table of every checked target. */
function targetsTable(targets) {
  return [
    '| target | measured | limit | result |',
    '|---|---|---|---|',
    ...targets.map((t) => `| ${t.label} | ${shown(t)}× | ${t.op === '<=' ? '≤' : '≥'} ${t.limit}× | ${mark(t)} |`),
  ].join('\n');
}

module.exports = { IN_PROCESS, HTTP, inProcessLimit, check, mark, format, targetsTable };
