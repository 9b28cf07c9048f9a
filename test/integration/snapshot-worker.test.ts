import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readRdbFile } from '../../src/persistence/rdb-reader.js';
import { bundleCli, startBundled, type BundledServer } from '../helpers/bundle.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeReply } from '../helpers/resp.js';

/**
 * BGSAVE hands string keys to a worker thread (snapshot-worker.js beside the compiled
 * snapshot module; INFO's lapse_bgsave_worker says so). A lapse bundled into one file
 * has no worker file: its saves run on the main thread instead, and still succeed. (The worker's own correctness is in
 * test/unit/snapshot-offload.test.ts.)
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const KEYS = 20_000;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function info(c: RawClient, field: string): Promise<string> {
  const reply = decodeReply(await c.call('INFO', 'persistence'))!.reply;
  const body = reply.type === 'bulk' ? reply.value.toString('latin1') : '';
  return new RegExp(`^${field}:(.*)\\r$`, 'm').exec(body)?.[1] ?? '';
}

/**
 * Starts `cli` on a scratch directory, writes KEYS sessions, runs BGSAVE, then one more
 * key and SAVE (which shares its work with the same worker when it can start one);
 * returns INFO's worker flag and the keys in each file.
 */
async function saveWith(cli: string): Promise<{ worker: string; keys: number; keysAfterSave: number; saveWorker: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-worker-save-'));
  dirs.push(dir);
  let server: BundledServer | null = null;
  let c: RawClient | null = null;
  try {
    server = await startBundled(cli, ['--dir', dir]);
    c = await RawClient.connect(server.port);
    for (let i = 0; i < KEYS; i++) c.send('SET', `session:${i}`, `{"user":${i},"cart":"${'x'.repeat(i % 200)}"}`);
    for (let i = 0; i < KEYS; i++) await c.readReply();
    expect((await c.call('BGSAVE')).toString()).toBe('+Background saving started\r\n');
    const until = Date.now() + 20_000;
    while ((await info(c, 'rdb_bgsave_in_progress')) !== '0') {
      if (Date.now() > until) throw new Error('BGSAVE did not finish');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await info(c, 'rdb_last_bgsave_status'), server.output()).toBe('ok');
    const keys = new Set<string>();
    readRdbFile(path.join(dir, 'dump.rdb'), { key: (_db: number, key: string) => void keys.add(key) });
    const worker = await info(c, 'lapse_bgsave_worker');
    expect((await c.call('SET', 'one', 'more')).toString()).toBe('+OK\r\n');
    expect((await c.call('SAVE')).toString()).toBe('+OK\r\n');
    const after = new Set<string>();
    expect(readRdbFile(path.join(dir, 'dump.rdb'), { key: (_db: number, key: string) => void after.add(key) }).checksumVerified).toBe(true);
    return { worker, keys: keys.size, keysAfterSave: after.size, saveWorker: await info(c, 'lapse_save_worker') };
  } finally {
    c?.close();
    await server?.stop();
  }
}

describe('BGSAVE and its worker thread', () => {
  test('the compiled CLI (dist/) saves its string keys on a worker thread', async () => {
    expect(await saveWith(path.join(ROOT, 'dist/cli.js'))).toEqual({ worker: '1', keys: KEYS, keysAfterSave: KEYS + 1, saveWorker: '1' });
  });

  test('the installed entry (bin/lapse.js, which runs dist/bundle/cli.js) finds the bundled workers beside it', async () => {
    expect(await saveWith(path.join(ROOT, 'bin/lapse.js'))).toEqual({ worker: '1', keys: KEYS, keysAfterSave: KEYS + 1, saveWorker: '1' });
  });

  test("the installed entry checks a large file's checksum at start-up on the bundled checksum worker", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-worker-load-'));
    dirs.push(dir);
    const cli = path.join(ROOT, 'bin/lapse.js');
    // 9,000 random values of 4 KB (LZF cannot shrink them): a 36 MB file, over the 32 MB
    // from which a worker computes the CRC.
    const first = await startBundled(cli, ['--dir', dir]);
    const c = await RawClient.connect(first.port);
    for (let i = 0; i < 9_000; i++) c.send('SET', `blob:${i}`, randomBytes(2048).toString('hex'));
    for (let i = 0; i < 9_000; i++) await c.readReply();
    expect((await c.call('SAVE')).toString()).toBe('+OK\r\n');
    c.close();
    await first.stop();
    expect(fs.statSync(path.join(dir, 'dump.rdb')).size).toBeGreaterThan(32 * 1024 * 1024);
    const second = await startBundled(cli, ['--dir', dir, '--loglevel', 'verbose']);
    try {
      const d = await RawClient.connect(second.port);
      expect((await d.call('DBSIZE')).toString()).toBe(':9000\r\n');
      expect((await d.call('STRLEN', 'blob:8999')).toString()).toBe(':4096\r\n');
      d.close();
      expect(second.output()).toContain('RDB checksum verified on a worker thread');
    } finally {
      await second.stop();
    }
  });

  test('a one-file bundle has no worker file: it saves on its main thread, every key in the file', async () => {
    const cli = bundleCli();
    dirs.push(path.dirname(cli));
    expect(await saveWith(cli)).toEqual({ worker: '0', keys: KEYS, keysAfterSave: KEYS + 1, saveWorker: '0' });
  });
});
