import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { bundleCli } from '../helpers/bundle.js';
import { freePort } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply, encodeCommand } from '../helpers/resp.js';

/**
 * The memory bound, end to end: a lapse CLI process (plain JavaScript, as installed) with
 * `maxmemory 100mb` and allkeys-lru is sent about three times that much in session
 * values (230 bytes each); its RSS, read from /proc, must settle within 1.5x of
 * maxmemory, used_memory within maxmemory, and reads must keep working while it evicts.
 * The figures are printed (the report quotes them).
 */

const MB = 1024 * 1024;
const MAXMEMORY = 100 * MB;
const VALUE = 's'.repeat(230);
/** ~3x maxmemory of what the keys cost (~430 bytes each in lapse, key and entry included). */
const KEYS = 700_000;
const BATCH = 1000;

let child: ChildProcess;
let port = 0;
let output = '';

beforeAll(async () => {
  const cli = bundleCli();
  port = await freePort();
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-bound-'));
  child = spawn(process.execPath, [cli, '--port', String(port), '--bind', '127.0.0.1', '--save', '',
    // set-proc-title no: the title would replace the command line the test reads.
    '--maxmemory', '100mb', '--maxmemory-policy', 'allkeys-lru', '--set-proc-title', 'no'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const until = Date.now() + 15_000;
  while (!output.includes('Ready to accept connections')) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`lapse did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
});

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
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

/** The server process's resident set, from /proc (the server is the CLI's child: see src/respawn.ts). */
function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

test('RSS settles within 1.5x of maxmemory 100mb while ~3x that is written; reads keep working', async () => {
  const c = await RawClient.connect(port);
  const reader = await RawClient.connect(port);
  const serverInfo = text(await c.call('INFO', 'server'));
  const pid = infoField(serverInfo, 'process_id');
  expect(pid).not.toBe(child.pid); // maxmemory made the CLI restart node with V8 flags
  expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1')).toContain('--max-semi-space-size=2');
  const startRss = rssOf(pid);
  let peakRss = startRss;
  let slowestRead = 0;
  const started = Date.now();
  for (let i = 0; i < KEYS; i += BATCH) {
    const batch: Buffer[] = [];
    for (let j = i; j < i + BATCH; j++) batch.push(encodeCommand(['SET', `sess:${String(j).padStart(32, '0')}`, VALUE]));
    c.write(Buffer.concat(batch));
    // While the batch is processed, a session written earlier is read back.
    const t = performance.now();
    const recent = Math.max(0, i - 5 * BATCH);
    const got = await reader.call('GET', `sess:${String(recent).padStart(32, '0')}`);
    slowestRead = Math.max(slowestRead, performance.now() - t);
    expect(got.toString('latin1')).toBe(`$230\r\n${VALUE}\r\n`);
    for (let j = 0; j < BATCH; j++) {
      const reply = await c.readReplyBytes(10_000);
      if (reply[0] !== 0x2b) throw new Error(`SET answered ${reply.toString('latin1')}`);
    }
    if (i % (50 * BATCH) === 0) peakRss = Math.max(peakRss, rssOf(pid));
  }
  const fillSeconds = (Date.now() - started) / 1000;
  // Let it settle: the last collections run, then RSS is read a few times.
  let settledRss = 0;
  for (let k = 0; k < 10; k++) {
    await new Promise((r) => setTimeout(r, 200));
    await c.call('PING');
    settledRss = rssOf(pid);
    peakRss = Math.max(peakRss, settledRss);
  }
  const memory = text(await c.call('INFO', 'memory'));
  const stats = text(await c.call('INFO', 'stats'));
  const keys = Number(/keys=(\d+)/.exec(text(await c.call('INFO', 'keyspace')))![1]);
  const used = infoField(memory, 'used_memory');
  const figures = {
    keysWritten: KEYS,
    keysHeld: keys,
    evicted: infoField(stats, 'evicted_keys'),
    usedMemoryMB: +(used / MB).toFixed(1),
    startupMB: +(infoField(memory, 'used_memory_startup') / MB).toFixed(1),
    datasetMB: +(infoField(memory, 'used_memory_dataset') / MB).toFixed(1),
    startRssMB: +(startRss / MB).toFixed(1),
    peakRssMB: +(peakRss / MB).toFixed(1),
    settledRssMB: +(settledRss / MB).toFixed(1),
    settledRssOverMaxmemory: +(settledRss / MAXMEMORY).toFixed(2),
    slowestReadMs: +slowestRead.toFixed(1),
    fillSeconds,
  };
  console.log('memory bound:', JSON.stringify(figures));
  expect(used).toBeLessThanOrEqual(MAXMEMORY);
  expect(settledRss).toBeLessThan(1.5 * MAXMEMORY);
  expect(keys + figures.evicted).toBe(KEYS);
  expect(figures.evicted).toBeGreaterThan(KEYS / 2);
  // The newest sessions are all there.
  for (let j = KEYS - 100; j < KEYS; j++) {
    expect((await reader.call('GET', `sess:${String(j).padStart(32, '0')}`)).length).toBe(238);
  }
  c.close();
  reader.close();
}, 120_000);
