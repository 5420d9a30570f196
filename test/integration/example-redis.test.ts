// The demo as `npm start` runs it (example/server.js in its own process), with
// REDIS_URL pointing at a real Redis: sessions go to Redis, not to memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createClient } from 'redis';
import { freePort, isSkip, startRedis } from './servers.js';

const SERVER = path.join(__dirname, '..', '..', 'example', 'server.js');

async function startDemo(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, ...env, PORT: String(port), NODE_V8_COVERAGE: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('demo on http://')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`demo exited with ${code}: ${output}`)));
  });
  assert.match(output, /\(Redis\)/, 'the demo says it uses Redis');
  return { child, url: `http://localhost:${port}` };
}

test('npm start with REDIS_URL keeps the demo sessions in Redis', async (t) => {
  const redis = await startRedis();
  if (isSkip(redis)) {
    t.skip(redis.skip);
    return;
  }
  const client = createClient({ url: redis.url });
  let demo: { child: ChildProcess; url: string } | undefined;
  try {
    await client.connect();
    demo = await startDemo({ REDIS_URL: redis.url });

    const first = await fetch(`${demo.url}/`);
    assert.equal(first.status, 200);
    const cookie = first.headers.get('set-cookie')?.split(';')[0];
    assert.ok(cookie, 'the first visit sets the session cookie');
    const second = await fetch(`${demo.url}/`, { headers: { cookie } });
    assert.match(await second.text(), /id="views">2</);

    const state = (await (await fetch(`${demo.url}/session.json`, { headers: { cookie } })).json()) as { id: string };
    const stored = await client.get(`demo:${state.id}`);
    assert.ok(stored, 'the session is a key in Redis');
    assert.equal((JSON.parse(stored) as { views: number }).views, 2);

    // The parallel-updates button, against Redis: 20 updates at once, none lost.
    const post = (url: string) => fetch(`${demo!.url}${url}`, { method: 'POST', headers: { cookie } });
    assert.equal((await post('/race/merge/reset')).status, 204);
    const updates = await Promise.all(Array.from({ length: 20 }, (_, i) => post(`/race/merge/${i + 1}`)));
    assert.deepEqual(updates.map((res) => res.status), Array(20).fill(204));
    const race = await (await fetch(`${demo.url}/race/merge`, { headers: { cookie } })).json();
    assert.deepEqual(race, { sent: 20, kept: 20 });
    const raced = JSON.parse((await client.get(`demo:${state.id}`))!) as Record<string, unknown>;
    assert.equal(Object.keys(raced).filter((key) => key.startsWith('merge_')).length, 20);
  } finally {
    if (demo) {
      demo.child.kill();
      await once(demo.child, 'exit');
    }
    await client.quit().catch(() => undefined);
    await redis.stop();
  }
});
