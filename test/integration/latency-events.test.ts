import v8 from 'node:v8';
import vm from 'node:vm';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Redis as IORedis } from 'ioredis';
import { createServer, type LapseServer } from '../../src/index.js';

/**
 * The latency monitor's events for lapse's own work (lapse alone: Redis has no such
 * work to compare): `expire-cycle` (a run of the expiry wheel), `eviction-cycle`,
 * `bgsave-turn` (a turn of the fork-less BGSAVE) and `gc` (a garbage-collection pause V8
 * reports), each recorded once it reaches latency-monitor-threshold (1 ms here), with
 * LATENCY DOCTOR's statistics for them.
 */
let lapse: LapseServer;
let client: IORedis;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-latency-'));
beforeAll(async () => {
  lapse = createServer({ port: 0, bind: '127.0.0.1', dir });
  const { port } = await lapse.listen();
  client = new IORedis({ port, host: '127.0.0.1' });
  await client.config('SET', 'latency-monitor-threshold', '1');
});
afterAll(async () => {
  client.disconnect();
  await lapse.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function fill(prefix: string, n: number, value: string, px?: number): Promise<void> {
  for (let i = 0; i < n; i += 5000) {
    const pipe = client.pipeline();
    for (let j = i; j < Math.min(n, i + 5000); j++) {
      if (px === undefined) pipe.set(`${prefix}${j}`, value);
      else pipe.set(`${prefix}${j}`, value, 'PX', px);
    }
    await pipe.exec();
  }
}

async function events(): Promise<Map<string, number[]>> {
  const latest = (await client.call('LATENCY', 'LATEST')) as [string, number, number, number][];
  return new Map(latest.map(([name, time, last, max]) => [name, [time, last, max]]));
}

async function waitForEvent(name: string, timeoutMs = 20_000): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const e = (await events()).get(name);
    if (e !== undefined) return e;
    if (Date.now() > until) throw new Error(`no ${name} event; have ${JSON.stringify([...(await events()).keys()])}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('expire-cycle: the wheel reclaiming 200,000 keys due at once', async () => {
  await fill('exp:', 200_000, 'x', 300);
  const [time, last, max] = await waitForEvent('expire-cycle');
  expect(Math.abs(time! - Date.now() / 1000)).toBeLessThan(30);
  expect(last).toBeGreaterThanOrEqual(1);
  expect(max).toBeGreaterThanOrEqual(last!);
  for (let i = 0; i < 200 && (await client.dbsize()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(await client.dbsize()).toBe(0);
});

test('bgsave-turn: turns of a BGSAVE of 200,000 keys', async () => {
  await fill('save:', 200_000, 'v'.repeat(100));
  await client.bgsave();
  await waitForEvent('bgsave-turn');
  const history = (await client.call('LATENCY', 'HISTORY', 'bgsave-turn')) as number[][];
  expect(history.length).toBeGreaterThanOrEqual(1);
  for (const [, ms] of history) expect(ms).toBeGreaterThanOrEqual(1);
});

test('eviction-cycle: maxmemory lowered under the dataset, with a tenacity that evicts at once', async () => {
  await client.config('SET', 'maxmemory-policy', 'allkeys-random');
  await client.config('SET', 'maxmemory-eviction-tenacity', '100');
  const used = Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
  await client.config('SET', 'maxmemory', String(Math.floor(used / 2)));
  await waitForEvent('eviction-cycle');
  await client.config('SET', 'maxmemory', '0');
  expect(await client.dbsize()).toBeLessThan(200_000);
});

test('gc: a full collection of the heap that holds the keys', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  await fill('gc:', 100_000, 'g'.repeat(200));
  gc();
  await waitForEvent('gc');
});

test('LATENCY DOCTOR reports each of them; advice only for what Redis advises on', async () => {
  const report = String(await client.call('LATENCY', 'DOCTOR'));
  for (const name of ['expire-cycle', 'bgsave-turn', 'eviction-cycle', 'gc']) {
    expect(report).toMatch(new RegExp(`\\d+\\. ${name}: \\d+ latency spikes \\(average \\d+ms, mean deviation \\d+ms, period \\d+\\.\\d\\d sec\\)\\. Worst all time event \\d+ms\\.`));
  }
  expect(report).toContain("try to set the 'hz' configuration parameter to 100");
  expect(report).toContain('Sudden changes to the \'maxmemory\' setting');
  // Off: no more samples, and the GC observer is gone.
  await client.config('SET', 'latency-monitor-threshold', '0');
  await client.call('LATENCY', 'RESET');
  await fill('after:', 20_000, 'z'.repeat(200));
  expect(await client.call('LATENCY', 'LATEST')).toEqual([]);
});
