// Real Redis and PostgreSQL servers for integration tests and the demo app.
// Each start function launches its own server on a free loopback port with a
// temporary data directory, and its stop() ends only that process and removes
// only that directory. Where the server binary is missing the functions return
// `{ skip: reason }` so the caller can skip with a clear message; under
// `CI=true` a missing binary is an error instead (CI must run these tests).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Why a server could not be started on this machine. */
export interface Skip {
  skip: string;
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>`, for `createClient({ url })`. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth, no password). */
  connectionString: string;
  host: string;
  port: number;
  user: string;
  database: string;
  stop(): Promise<void>;
}

export function isSkip(value: unknown): value is Skip {
  return typeof value === 'object' && value !== null && typeof (value as Skip).skip === 'string';
}

/** A missing server is a skip on a developer machine and a failure under CI=true. */
function missing(reason: string): Skip {
  if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: integration servers are required)`);
  return { skip: reason };
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function findExecutable(name: string, extraDirs: readonly string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', ...extraDirs];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** The newest Debian-style `/usr/lib/postgresql/<version>/bin`, if any. */
function postgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(root, v, 'bin'));
}

// Servers and directories this process made and has not cleaned up yet: killed
// and removed if the process exits without stop() (a crashed run must not leave
// them behind).
const running = new Set<ChildProcess>();
const directories = new Set<string>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  directories.add(dir);
  return dir;
}

async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  directories.delete(dir);
}

interface Launched {
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

function launch(file: string, args: string[], options: { uid?: number; gid?: number; cwd?: string } = {}): Launched {
  const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
    child.once('error', (err) => {
      collect(Buffer.from(`\n${err.message}`));
      running.delete(child);
      resolve();
    });
  });
  return { child, output: () => output, exited };
}

/** Sends `signal`, waits for the exit, and falls back to SIGKILL after `graceMs`. */
async function terminate(launched: Launched, signal: NodeJS.Signals, graceMs = 5000): Promise<void> {
  const { child } = launched;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
  });
  const killed = await Promise.race([launched.exited.then(() => false), gaveUp]);
  clearTimeout(timer);
  if (killed) {
    child.kill('SIGKILL');
    await launched.exited;
  }
}

/** Retries `probe` until it resolves true, the process exits, or `timeoutMs` passes. */
async function waitUntilReady(what: string, launched: Launched, probe: () => Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void launched.exited.then(() => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`${what} exited before it was ready:\n${launched.output()}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} was not ready after ${timeoutMs} ms:\n${launched.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One Redis inline command over a fresh connection; resolves the first reply line. */
function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(1000, () => socket.destroy(new Error('timeout')));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.end();
        resolve(reply.split('\r\n')[0]!);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed without a reply')));
  });
}

/**
 * Starts `redis-server` on a free loopback port, without persistence, in a
 * temporary directory, and resolves once it answers PING.
 */
export async function startRedis(): Promise<RedisServer | Skip> {
  const binary = findExecutable('redis-server');
  if (!binary) return missing('redis-server not found: apt-get install redis-server');
  const dir = await makeTempDir('esc-redis-');
  const port = await freePort();
  const launched = launch(binary, [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no', '--logfile', '',
  ]);
  const stop = async (): Promise<void> => {
    await terminate(launched, 'SIGTERM');
    await removeTempDir(dir);
  };
  try {
    await waitUntilReady('redis-server', launched, async () => (await redisCommand(port, 'PING')) === '+PONG');
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

/** uid and gid of a system user, read from /etc/passwd. */
function systemUser(name: string): { uid: number; gid: number } | undefined {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid && gid) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

function run(file: string, args: string[], options: { uid?: number; gid?: number; cwd?: string }): Promise<void> {
  const launched = launch(file, args, options);
  return launched.exited.then(() => {
    if (launched.child.exitCode !== 0) {
      throw new Error(`${path.basename(file)} failed (${launched.child.exitCode ?? launched.child.signalCode}):\n${launched.output()}`);
    }
  });
}

/** One query through `pg` (a devDependency without types installed). */
async function canQuery(connectionString: string): Promise<boolean> {
  const pg = require('pg') as { Client: new (config: { connectionString: string }) => { connect(): Promise<void>; query(sql: string): Promise<unknown>; end(): Promise<void> } };
  const client = new pg.Client({ connectionString });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Initialises a throwaway PostgreSQL cluster (trust auth, fsync off) in a
 * temporary directory and starts it on a free loopback port. PostgreSQL refuses
 * to run as root, so as root both initdb and postgres run as the `postgres`
 * system user.
 */
export async function startPostgres(): Promise<PostgresServer | Skip> {
  const binDirs = postgresBinDirs();
  const initdb = findExecutable('initdb', binDirs);
  const postgres = initdb && existsSync(path.join(path.dirname(initdb), 'postgres'))
    ? path.join(path.dirname(initdb), 'postgres')
    : findExecutable('postgres', binDirs);
  if (!initdb || !postgres) return missing('PostgreSQL server not found (initdb, postgres): apt-get install postgresql');

  let owner: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    owner = systemUser('postgres');
    if (!owner) return missing('running as root and there is no `postgres` system user to run PostgreSQL as');
  }

  const dir = await makeTempDir('esc-pg-');
  const dataDir = path.join(dir, 'data');
  const spawnOptions = { ...owner, cwd: dir };
  let launched: Launched | undefined;
  const stop = async (): Promise<void> => {
    // SIGINT is PostgreSQL's "fast" shutdown: disconnect clients, then exit.
    if (launched) await terminate(launched, 'SIGINT', 10000);
    await removeTempDir(dir);
  };
  try {
    if (owner) await chown(dir, owner.uid, owner.gid);
    await run(initdb, ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], spawnOptions);
    const port = await freePort();
    launched = launch(postgres, [
      '-D', dataDir, '-h', '127.0.0.1', '-p', String(port), '-k', dir, '-F',
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'TimeZone=UTC',
    ], spawnOptions);
    const connectionString = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitUntilReady('postgres', launched, () => canQuery(connectionString));
    return { connectionString, host: '127.0.0.1', port, user: 'postgres', database: 'postgres', stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
