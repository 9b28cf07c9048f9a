import { afterAll, beforeAll, expect, test } from 'vitest';
import { bundleCli, startBundled, type BundledServer } from '../helpers/bundle.js';
import { startRedis, type ReferenceRedis } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, encodeCommand } from '../helpers/resp.js';

/**
 * What maxmemory bounds, end to end (src/server/memory.ts): the data, as users size it
 * from Redis. A lapse CLI process (bundled, as installed) and Debian's redis-server,
 * both at `maxmemory 100mb` with allkeys-lru, are sent the same 1 KB values, 2.5x that
 * much: lapse must keep within 15% of the keys Redis keeps. And the process's RSS, read
 * from /proc while keys are written and evicted, must stay within the process's own
 * baseline (INFO lapse_baseline_memory) plus 2.5x maxmemory: V8's young generation (up
 * to 32 MB), its heap's growth over the live data (20%) and garbage come on top of the
 * data. Then session values (230 bytes), 3x maxmemory: the same bound, used_memory within
 * maxmemory, and reads keep working while it evicts. The figures are printed (the report
 * quotes them).
 */

const MB = 1024 * 1024;
const MAXMEMORY = 100 * MB;
const LIMITS = ['--maxmemory', '100mb', '--maxmemory-policy', 'allkeys-lru'];
/** lapse keeps this share of Redis's key count, or more (and not more than 1 + this). */
const KEY_TOLERANCE = 0.15;
/** RSS <= baseline + RSS_FACTOR x maxmemory. */
const RSS_FACTOR = 2.5;

let cli = '';
const servers: BundledServer[] = [];
let redis: ReferenceRedis | undefined;

beforeAll(() => {
  cli = bundleCli();
});

afterAll(async () => {
  for (const s of servers) await s.stop();
  await redis?.stop();
});

function text(raw: Buffer): string {
  const r = decodeReply(raw)!.reply;
  if (r.type !== 'bulk' && r.type !== 'verbatim') throw new Error(`not text: ${raw.toString('latin1')}`);
  return r.value.toString('latin1');
}

function infoField(info: string, name: string): number {
  const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
  if (!m) throw new Error(`no ${name}`);
  return Number(m[1]);
}

async function dbsize(c: RawClient): Promise<number> {
  return Number(/^:(\d+)/.exec((await c.call('DBSIZE')).toString())![1]);
}

/** SETs `count` keys of `value`, 1000 commands written at a time; calls each() after every batch. */
async function fill(c: RawClient, count: number, key: (i: number) => string, value: string, each: (i: number) => Promise<void> | void = () => {}): Promise<void> {
  const BATCH = 1000;
  for (let i = 0; i < count; i += BATCH) {
    const batch: Buffer[] = [];
    for (let j = i; j < Math.min(count, i + BATCH); j++) batch.push(encodeCommand(['SET', key(j), value]));
    c.write(Buffer.concat(batch));
    await each(i);
    for (let j = 0; j < batch.length; j++) {
      const reply = await c.readReplyBytes(10_000);
      if (reply[0] !== 0x2b) throw new Error(`SET answered ${reply.toString('latin1')}`);
    }
  }
}

const mb = (n: number) => +(n / MB).toFixed(1);

test('1 KB values at maxmemory 100mb, allkeys-lru: lapse keeps within 15% of the keys Redis keeps; RSS within baseline + 2.5x maxmemory', async () => {
  const KEYS = 250_000;
  const value = 'v'.repeat(1000);
  const key = (i: number) => `key:${String(i).padStart(12, '0')}`;
  redis = await startRedis(LIMITS);
  const r = await RawClient.connect(redis.port);
  await fill(r, KEYS, key, value);
  const redisKeys = await dbsize(r);
  r.close();
  await redis.stop();
  redis = undefined;

  const s = await startBundled(cli, LIMITS);
  servers.push(s);
  const c = await RawClient.connect(s.port);
  const baseline = infoField(text(await c.call('INFO', 'memory')), 'lapse_baseline_memory');
  let peakRss = s.rss();
  await fill(c, KEYS, key, value, (i) => {
    if (i % 10_000 === 0) peakRss = Math.max(peakRss, s.rss());
  });
  for (let k = 0; k < 10; k++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    peakRss = Math.max(peakRss, s.rss());
  }
  const lapseKeys = await dbsize(c);
  const memory = text(await c.call('INFO', 'memory'));
  const figures = {
    redisKeys, lapseKeys, ratio: +(lapseKeys / redisKeys).toFixed(3),
    lapseUsedMB: mb(infoField(memory, 'used_memory')), datasetMB: mb(infoField(memory, 'used_memory_dataset')),
    baselineMB: mb(baseline), peakRssMB: mb(peakRss),
    peakRssOverBaselineInMaxmemory: +((peakRss - baseline) / MAXMEMORY).toFixed(2),
  };
  console.log('maxmemory 100mb, 1 KB values:', JSON.stringify(figures));
  expect(redisKeys).toBeLessThan(KEYS / 2); // both evicted
  expect(lapseKeys).toBeGreaterThanOrEqual(redisKeys * (1 - KEY_TOLERANCE));
  expect(lapseKeys).toBeLessThanOrEqual(redisKeys * (1 + KEY_TOLERANCE));
  expect(infoField(memory, 'used_memory')).toBeLessThanOrEqual(MAXMEMORY);
  expect(peakRss).toBeLessThanOrEqual(baseline + RSS_FACTOR * MAXMEMORY);
  c.close();
  await s.stop();
}, 120_000);

test('230-byte sessions, 3x maxmemory: RSS within baseline + 2.5x maxmemory, used_memory within maxmemory, reads keep working', async () => {
  const KEYS = 700_000;
  const VALUE = 's'.repeat(230);
  const key = (i: number) => `sess:${String(i).padStart(32, '0')}`;
  const s = await startBundled(cli, LIMITS);
  servers.push(s);
  const c = await RawClient.connect(s.port);
  const reader = await RawClient.connect(s.port);
  const baseline = infoField(text(await c.call('INFO', 'memory')), 'lapse_baseline_memory');
  let peakRss = s.rss();
  let slowestRead = 0;
  await fill(c, KEYS, key, VALUE, async (i) => {
    // While the batch is processed, a session written earlier is read back.
    const t = performance.now();
    const got = await reader.call('GET', key(Math.max(0, i - 5000)));
    slowestRead = Math.max(slowestRead, performance.now() - t);
    expect(got.toString('latin1')).toBe(`$230\r\n${VALUE}\r\n`);
    if (i % 50_000 === 0) peakRss = Math.max(peakRss, s.rss());
  });
  for (let k = 0; k < 10; k++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    await c.call('PING');
    peakRss = Math.max(peakRss, s.rss());
  }
  const memory = text(await c.call('INFO', 'memory'));
  const stats = text(await c.call('INFO', 'stats'));
  const keys = await dbsize(c);
  const figures = {
    keysWritten: KEYS, keysHeld: keys, evicted: infoField(stats, 'evicted_keys'),
    usedMemoryMB: mb(infoField(memory, 'used_memory')), datasetMB: mb(infoField(memory, 'used_memory_dataset')),
    baselineMB: mb(baseline), peakRssMB: mb(peakRss), settledRssMB: mb(s.rss()),
    peakRssOverBaselineInMaxmemory: +((peakRss - baseline) / MAXMEMORY).toFixed(2), slowestReadMs: +slowestRead.toFixed(1),
  };
  console.log('maxmemory 100mb, sessions:', JSON.stringify(figures));
  expect(infoField(memory, 'used_memory')).toBeLessThanOrEqual(MAXMEMORY);
  expect(peakRss).toBeLessThanOrEqual(baseline + RSS_FACTOR * MAXMEMORY);
  expect(keys + figures.evicted).toBe(KEYS);
  expect(figures.evicted).toBeGreaterThan(KEYS / 2);
  // The newest sessions are all there.
  for (let j = KEYS - 100; j < KEYS; j++) expect((await reader.call('GET', key(j))).length).toBe(238);
  c.close();
  reader.close();
  await s.stop();
}, 180_000);

/**
 * used_memory, which maxmemory bounds, counts a large hash, whose fields and values live in ArrayBuffers (a
 * FieldTable's arena, refs and index: src/keyspace/field-table.ts) that the server's
 * live-memory figure leaves out with the clients' buffers and adds back through
 * BufferCount, and a large list, whose nodes are SharedArrayBuffers (keyspace/list.ts),
 * which that figure subtracts (Node counts them, V8 not) and BufferCount adds back
 * twice. A lapse CLI process (bundled, as installed: it re-anchors used_memory to the
 * heap at every full GC) and Debian's redis-server are sent the same 100,000 HSETs of
 * 200-byte values into one hash (or RPUSHes into one list); after MEMORY PURGE (lapse: a
 * full GC, so the next cron tick re-anchors) lapse's used_memory growth must be within
 * 0.7-1.6x of Redis's. Without the arenas counted, the re-anchored figure lost them
 * (growth ~4 MB instead of Redis's ~28); without the lists' shared bytes added back
 * twice, 0.8 MB. Then the key is deleted: used_memory comes back near where it started.
 */
const FIELDS = 100_000;

async function usedMemory(c: RawClient): Promise<number> {
  return infoField((await c.call('INFO', 'memory')).toString('latin1'), 'used_memory');
}

async function fillBig(c: RawClient, kind: 'hash' | 'list'): Promise<void> {
  const BATCH = 1000;
  for (let i = 0; i < FIELDS; i += BATCH) {
    const batch: Buffer[] = [];
    for (let j = i; j < i + BATCH; j++) {
      const value = `${j}:`.padEnd(200, 'v');
      batch.push(encodeCommand(kind === 'hash' ? ['HSET', 'big', `field:${String(j).padStart(8, '0')}`, value] : ['RPUSH', 'big', value]));
    }
    c.write(Buffer.concat(batch));
    for (let j = 0; j < BATCH; j++) {
      const reply = (await c.readReplyBytes(10_000)).toString('latin1');
      const want = kind === 'hash' ? ':1\r\n' : `:${i + j + 1}\r\n`;
      if (reply !== want) throw new Error(`${kind === 'hash' ? 'HSET' : 'RPUSH'} answered ${reply}`);
    }
  }
}

/** used_memory after MEMORY PURGE and a few cron ticks (lapse re-anchors at the tick after its GC). */
async function settledUsed(c: RawClient): Promise<number> {
  await c.call('MEMORY', 'PURGE');
  await new Promise((r) => setTimeout(r, 600));
  await c.call('MEMORY', 'PURGE');
  await new Promise((r) => setTimeout(r, 600));
  return usedMemory(c);
}

test.each([
  ['a hash of 100,000 fields of 200 bytes', 'hash', 'hashtable'],
  ['a list of 100,000 elements of 200 bytes', 'list', 'quicklist'],
] as const)('%s: used_memory grows as much as Redis\'s (0.7-1.6x), and comes back when it is deleted', async (label, kind, encoding) => {
  redis = await startRedis();
  const r = await RawClient.connect(redis.port);
  const redisBefore = await usedMemory(r);
  await fillBig(r, kind);
  const redisGrowth = (await usedMemory(r)) - redisBefore;
  r.close();
  await redis.stop();
  redis = undefined;

  const lapse = await startBundled(cli);
  servers.push(lapse);
  const c = await RawClient.connect(lapse.port);
  const before = await settledUsed(c);
  await fillBig(c, kind);
  expect((await c.call('OBJECT', 'ENCODING', 'big')).toString('latin1')).toBe(`$${encoding.length}\r\n${encoding}\r\n`);
  const growth = (await settledUsed(c)) - before;
  console.log(`used_memory growth for ${label}: lapse ${(growth / MB).toFixed(1)} MB, redis ${(redisGrowth / MB).toFixed(1)} MB`);
  expect(growth).toBeGreaterThan(0.7 * redisGrowth);
  expect(growth).toBeLessThan(1.6 * redisGrowth);
  expect((await c.call('DEL', 'big')).toString('latin1')).toBe(':1\r\n');
  const after = await settledUsed(c);
  expect(after - before).toBeLessThan(4 * MB);
  c.close();
  await lapse.stop();
}, 120_000);
