// The benchmark's scenarios, once each, on the in-process store modes: both
// implementations must answer them alike and as each scenario expects (a
// benchmark of a broken path is worthless). Fast: no timing, one request each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import session = require('../src/index.js');

interface Scenario {
  id: string;
  expect: { setCookie: boolean; stored: string };
}
interface Observed {
  statusCode: number;
  setCookie: boolean;
  grown: number;
}
const { scenarios } = require('../bench/scenarios.js') as { scenarios: Scenario[] };
const { prepareScenario, runChecked } = require('../bench/in-process.js') as {
  prepareScenario(session: unknown, scenario: Scenario, storeMode: string): Promise<unknown>;
  runChecked(prepared: unknown, scenario: Scenario, label: string): Promise<Observed>;
};
const expressSession = require('express-session') as unknown;

for (const storeMode of ['memory', 'async']) {
  test(`bench scenarios on the ${storeMode} store: both implementations answer alike`, async () => {
    for (const scenario of scenarios) {
      const observed = [];
      for (const [name, implementation] of [['express-session-cn', session], ['express-session', expressSession]] as const) {
        const prepared = await prepareScenario(implementation, scenario, storeMode);
        observed.push(await runChecked(prepared, scenario, `${name} ${scenario.id} (${storeMode})`));
      }
      assert.deepEqual(observed[0], observed[1], `${scenario.id} (${storeMode})`);
    }
  });
}
