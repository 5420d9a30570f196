/**
 * Property: whatever an Express app does after ending its response (set a
 * header, write, end again, writeHead, status, send, throw, call next(err)),
 * the client receives, and the app observes, exactly what they do without the
 * session middleware, while the response is held for a save that succeeds
 * (MemoryStore, or a store that answers a few ms later).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import fc from 'fast-check';
import session = require('../src/index.js');
import { pipeline } from './helpers/raw-http.js';

type Command =
  | { kind: 'setHeader'; value: string }
  | { kind: 'write'; callback: boolean }
  | { kind: 'end'; chunk: string | undefined; callback: boolean }
  | { kind: 'writeHead'; status: number }
  | { kind: 'status'; status: number }
  | { kind: 'send'; body: string }
  | { kind: 'throw' }
  | { kind: 'next' };

interface Script {
  /** How the app ends its response first. */
  first: 'end' | 'send' | 'json';
  commands: Command[];
}

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('setHeader' as const), value: fc.constantFrom('1', 'a b') }),
  fc.record({ kind: fc.constant('write' as const), callback: fc.boolean() }),
  fc.record({ kind: fc.constant('end' as const), chunk: fc.constantFrom(undefined, 'late'), callback: fc.boolean() }),
  fc.record({ kind: fc.constant('writeHead' as const), status: fc.constantFrom(200, 500) }),
  fc.record({ kind: fc.constant('status' as const), status: fc.constantFrom(201, 404, 500) }),
  fc.record({ kind: fc.constant('send' as const), body: fc.constantFrom('', 'x'.repeat(300)) }),
  fc.constant({ kind: 'throw' as const }),
  fc.constant({ kind: 'next' as const }),
);
const script: fc.Arbitrary<Script> = fc.record({
  first: fc.constantFrom('end' as const, 'send' as const, 'json' as const),
  commands: fc.array(command, { maxLength: 6 }),
});

class LaterStore extends session.MemoryStore {
  override get(...args: Parameters<session.MemoryStore['get']>): void {
    setTimeout(() => super.get(...args), 2);
  }

  override set(...args: Parameters<session.MemoryStore['set']>): void {
    setTimeout(() => super.set(...args), 2);
  }
}

interface Observation {
  sync: string[];
  async: string[];
  client: { status: number; headers: Record<string, string>; body: string } | undefined;
  leftover: string;
}

function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return `${e.name} ${String(e.code)} ${e.message}`;
}

/** One app per variant; the script of the current run is read from `current`. */
function buildApp(store: session.MemoryStore | undefined, state: { current?: Script; log?: Observation }) {
  const app = express();
  app.set('env', 'test');
  if (store) app.use(session({ secret: 'property', resave: false, saveUninitialized: false, store }));
  app.get('/', (req, res, next) => {
    const { current, log } = state as Required<typeof state>;
    const sync = (entry: string) => log.sync.push(entry);
    const later = (entry: string) => log.async.push(entry);
    const callback = (name: string) => (err?: unknown) => later(`${name} callback ${err ? describeError(err) : 'no error'}`);
    const attempt = (name: string, fn: () => unknown) => {
      try {
        const value = fn();
        sync(`${name} returned ${value === res ? 'res' : JSON.stringify(value)}`);
      } catch (err) {
        sync(`${name} threw ${describeError(err)}`);
      }
    };
    if (req.session) (req.session as unknown as Record<string, unknown>).n = 1;
    res.on('error', (err) => later(`error event ${describeError(err)}`));
    res.on('close', () => setTimeout(() => later('closed'), 5));
    res.set('X-List', ['a', 'b']);
    if (current.first === 'end') res.end('body');
    else if (current.first === 'send') res.send('body');
    else res.json({ body: true });
    for (const step of current.commands) {
      sync(`state: headersSent ${res.headersSent}, writableEnded ${res.writableEnded}, statusCode ${res.statusCode}`);
      switch (step.kind) {
        case 'setHeader':
          attempt('setHeader', () => res.setHeader('X-Late', step.value));
          break;
        case 'write':
          attempt('write', () => (step.callback ? res.write('late', callback('write')) : res.write('late')));
          break;
        case 'end':
          attempt('end', () => (step.callback ? res.end(step.chunk, callback('end')) : res.end(step.chunk)));
          break;
        case 'writeHead':
          attempt('writeHead', () => res.writeHead(step.status));
          break;
        case 'status':
          attempt('status', () => res.status(step.status));
          break;
        case 'send':
          attempt('send', () => res.send(step.body));
          break;
        case 'throw':
          throw new Error('thrown');
        case 'next':
          next(new Error('passed to next'));
          return;
      }
    }
  });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    state.log!.sync.push(`handler: ${describeError(err)}; headersSent ${res.headersSent}`);
    if (!res.headersSent) res.status(500).send('handled');
  });
  return app;
}

interface Variant {
  state: { current?: Script; log?: Observation };
  server: http.Server;
  port: number;
}

const variants: Record<'plain' | 'memory' | 'later', Variant> = {} as never;

before(async () => {
  const stores = { plain: undefined, memory: new session.MemoryStore(), later: new LaterStore() };
  for (const [name, store] of Object.entries(stores)) {
    const state = {};
    const server = http.createServer(buildApp(store, state));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    variants[name as keyof typeof variants] = { state, server, port: (server.address() as AddressInfo).port };
  }
});

after(async () => {
  for (const { server } of Object.values(variants)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function observe(variant: Variant, run: Script): Promise<Observation> {
  const log: Observation = { sync: [], async: [], client: undefined, leftover: '' };
  variant.state.current = run;
  variant.state.log = log;
  const { responses, leftover } = await pipeline(variant.port, [{ path: '/' }]);
  while (!log.async.includes('closed')) await new Promise((resolve) => setTimeout(resolve, 2));
  if (responses[0]) {
    const { status, headers, body } = responses[0];
    for (const name of ['date', 'set-cookie', 'connection']) delete headers[name];
    log.client = { status, headers, body };
  }
  log.leftover = leftover;
  log.async.sort();
  return log;
}

test('after end(), the client and the app see what they see without the middleware', async () => {
  await fc.assert(
    fc.asyncProperty(script, async (run) => {
      const expected = await observe(variants.plain, run);
      assert.deepEqual(await observe(variants.memory, run), expected, 'MemoryStore');
      assert.deepEqual(await observe(variants.later, run), expected, 'a store that answers later');
    }),
    { numRuns: 40 },
  );
});
