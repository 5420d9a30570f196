import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { onNextTurn } from '../src/next-turn.js';

const nextImmediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('tasks run on the next turn, in order, with their arguments', async () => {
  const ran: unknown[] = [];
  const task = (a: number, b: string, c: undefined, d: boolean): void => {
    ran.push([a, b, c, d]);
  };
  onNextTurn(task, 1, 'one', undefined, true);
  onNextTurn(task, 2, 'two', undefined, false);
  assert.deepEqual(ran, [], 'nothing runs synchronously');
  await nextImmediate();
  assert.deepEqual(ran, [[1, 'one', undefined, true], [2, 'two', undefined, false]]);
});

test('a task queued by a running task runs in the same turn, after those already queued', async () => {
  const ran: string[] = [];
  onNextTurn(() => {
    ran.push('first');
    onNextTurn(() => ran.push('queued meanwhile'), 0, 0, 0, 0);
  }, 0, 0, 0, 0);
  onNextTurn(() => ran.push('second'), 0, 0, 0, 0);
  setImmediate(() => ran.push('an Immediate set before the turn'));
  await nextImmediate();
  assert.deepEqual(ran, ['first', 'second', 'queued meanwhile', 'an Immediate set before the turn']);
});

test('a task that throws does not stop the others; its error is uncaught, as from its own setImmediate', async () => {
  // In a child process: node:test treats an uncaught exception as a failure of its own.
  const script = `
    const { AsyncLocalStorage } = require('node:async_hooks');
    const { onNextTurn } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'next-turn.ts'))});
    const als = new AsyncLocalStorage();
    const ran = [];
    const uncaught = [];
    // Each error is thrown again in the context of the task that threw it.
    process.on('uncaughtException', (err) => uncaught.push(err.message + ' in ' + als.getStore()));
    als.run('a', () => onNextTurn(() => ran.push('a'), 0, 0, 0, 0));
    als.run('one', () => onNextTurn(() => { throw new Error('boom 1'); }, 0, 0, 0, 0));
    als.run('b', () => onNextTurn(() => ran.push('b'), 0, 0, 0, 0));
    als.run('two', () => onNextTurn(() => { throw new Error('boom 2'); }, 0, 0, 0, 0));
    setTimeout(() => console.log(JSON.stringify({ ran, uncaught })), 20);
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script]);
  assert.deepEqual(JSON.parse(stdout), { ran: ['a', 'b'], uncaught: ['boom 1 in one', 'boom 2 in two'] });
});

test('each task runs in the async context it was queued from', async () => {
  const als = new AsyncLocalStorage<string>();
  const seen: string[] = [];
  const task = (name: string): void => {
    seen.push(`${name}:${String(als.getStore())}`);
  };
  als.run('one', () => onNextTurn(task, 'first', 0, 0, 0));
  als.run('two', () => onNextTurn(task, 'second', 0, 0, 0));
  onNextTurn(task, 'third', 0, 0, 0);
  await nextImmediate();
  assert.deepEqual(seen, ['first:one', 'second:two', 'third:undefined']);
});
