import assert from 'node:assert/strict';
import { afterEach, beforeEach } from 'node:test';

/**
 * Collects, for each test of the file, what escapes to the process as an
 * uncaught exception or an unhandled rejection. With `failOnEscape`, a test
 * after which anything escaped fails; either way the list is returned for
 * the tests to look at.
 */
export function guardProcess(options: { failOnEscape: boolean }): unknown[] {
  const escaped: unknown[] = [];
  const onEscape = (err: unknown): void => {
    escaped.push(err);
  };
  beforeEach(() => {
    escaped.length = 0;
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
  });
  afterEach(() => {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    if (options.failOnEscape) assert.deepEqual(escaped, [], 'an error escaped to the process');
  });
  return escaped;
}
