import { afterAll, beforeAll, expect, test } from 'vitest';
import { bundleCli, startBundled, type BundledServer } from '../helpers/bundle.js';
import { RawClient } from '../helpers/raw-client.js';
import { encodeCommand } from '../helpers/resp.js';

/**
 * Memory comes back by itself (src/server/reclaim.ts): a lapse CLI process (bundled, as
 * installed) is written hundreds of MB, then FLUSHALL; 10 s later its RSS must be within
 * 2x of what it was fresh, with no MEMORY PURGE, both when the server then goes quiet
 * and when a client keeps sending commands (a PING every 10 ms: never quiet). The RSS
 * curves, the collections lapse ran and their pauses, and the slowest PING are printed
 * (the report quotes them; pauses are not asserted: timing is for benchmarks).
 */

const MB = 1024 * 1024;
const BIG = Buffer.alloc(MB, 'b');
const SMALL = Buffer.alloc(1000, 's');

let cli = '';
const servers: BundledServer[] = [];

beforeAll(() => {
  cli = bundleCli();
});

afterAll(async () => {
  for (const s of servers) await s.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(): Promise<{ s: BundledServer; c: RawClient; fresh: number }> {
  const s = await startBundled(cli);
  servers.push(s);
  const c = await RawClient.connect(s.port);
  await c.call('PING');
  await sleep(500);
  return { s, c, fresh: s.rss() };
}

/** SETs count values, `batch` commands written at a time, every reply read. */
async function fill(c: RawClient, prefix: string, count: number, value: Buffer, batch: number): Promise<void> {
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    c.write(Buffer.concat(Array.from({ length: n }, (_, j) => encodeCommand(['SET', `${prefix}:${i + j}`, value]))));
    for (let j = 0; j < n; j++) {
      const reply = await c.readReplyBytes(30_000);
      if (reply[0] !== 0x2b) throw new Error(`SET answered ${reply.toString('latin1')}`);
    }
  }
}

async function memoryInfo(c: RawClient): Promise<Record<string, string>> {
  const text = (await c.call('INFO', 'memory')).toString('latin1');
  return Object.fromEntries(text.split('\r\n').filter((l) => l.includes(':')).map((l) => l.split(':') as [string, string]));
}

const mb = (n: number) => +(n / MB).toFixed(1);

test('quiet after a FLUSHALL of ~600 MB (1 MiB and 1 KB values): RSS within 2x of fresh 10 s later', async () => {
  const { s, c, fresh } = await start();
  await fill(c, 'big', 300, BIG, 10);
  await fill(c, 'small', 300_000, SMALL, 1000);
  const filled = s.rss();
  expect((await c.call('FLUSHALL')).toString()).toBe('+OK\r\n');
  const curve: number[] = [];
  for (let second = 1; second <= 10; second++) {
    await sleep(1000);
    curve.push(mb(s.rss()));
  }
  const info = await memoryInfo(c);
  console.log('reclaim, quiet:', JSON.stringify({ freshMB: mb(fresh), filledMB: mb(filled), rssEachSecondMB: curve,
    collections: Number(info.lapse_reclaim_gcs), maxPauseMs: Number(info.lapse_reclaim_max_pause_ms),
    usedMemoryMB: mb(Number(info.used_memory)) }));
  expect(filled).toBeGreaterThan(fresh + 400 * MB);
  expect(curve.at(-1)! * MB).toBeLessThanOrEqual(2 * fresh);
  expect(Number(info.lapse_reclaim_gcs)).toBeGreaterThanOrEqual(1);
  // used_memory is back to what the empty server counts (its own structures, the client).
  expect(Number(info.used_memory)).toBeLessThan(Number(info.used_memory_startup) + 4 * MB);
  c.close();
}, 90_000);

test('busy after a FLUSHALL of 600 MB (a PING every 10 ms): RSS within 2x of fresh 10 s later', async () => {
  const { s, c, fresh } = await start();
  await fill(c, 'big', 600, BIG, 10);
  const filled = s.rss();
  expect((await c.call('FLUSHALL')).toString()).toBe('+OK\r\n');
  const curve: number[] = [];
  let slowestPing = 0;
  const started = Date.now();
  let nextSample = started + 1000;
  while (Date.now() - started < 10_000) {
    const t = performance.now();
    expect((await c.call('PING')).toString()).toBe('+PONG\r\n');
    slowestPing = Math.max(slowestPing, performance.now() - t);
    if (Date.now() >= nextSample) {
      curve.push(mb(s.rss()));
      nextSample += 1000;
    }
    await sleep(10);
  }
  const rss = s.rss();
  const info = await memoryInfo(c);
  console.log('reclaim, busy:', JSON.stringify({ freshMB: mb(fresh), filledMB: mb(filled), rssEachSecondMB: curve,
    collections: Number(info.lapse_reclaim_gcs), maxPauseMs: Number(info.lapse_reclaim_max_pause_ms),
    slowestPingMs: +slowestPing.toFixed(1) }));
  expect(filled).toBeGreaterThan(fresh + 400 * MB);
  expect(rss).toBeLessThanOrEqual(2 * fresh);
  // Not asserted here, as in the quiet case, that the Reclaimer collected: with the PINGs
  // allocating, V8 may finish a full GC of its own first (a clean-clone CI run at stop 37:
  // collections 0, RSS 87 MB one second after the FLUSHALL), and the memory is back either
  // way, which is the goal. The quiet case proves the Reclaimer's own collection.
  c.close();
}, 90_000);
