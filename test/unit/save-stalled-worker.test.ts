import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker, type MessagePort } from 'node:worker_threads';
import { afterAll, expect, test, vi } from 'vitest';
import { ManualClock } from '../../src/keyspace/clock.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { readRdbFile } from '../../src/persistence/rdb-reader.js';
import { saveSync } from '../../src/persistence/snapshot.js';
import { rng } from '../helpers/rng.js';

/**
 * SAVE on two threads with a snapshot worker that starts and then does nothing: it
 * never reads the entries this thread sends nor writes a byte (a worker that hung, or
 * died, which a thread blocked in SAVE cannot see). SAVE gives up on it after its stall
 * time and, since the worker never said a word, saves on its own thread: a complete
 * file, no store left in snapshot mode. Before, with more than SAVE's 4 MB of entries
 * ahead of the worker, SAVE waited for it for ever, and the server with it.
 */
vi.mock('../../src/persistence/worker-file.js', () => ({
  spawnWorkerModule: (_name: string, workerData: unknown, transferList: (ArrayBuffer | MessagePort)[] = []) =>
    new Worker('setInterval(() => {}, 60_000)', { eval: true, workerData, transferList }),
}));

const START = 1_800_000_000_000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-save-stalled-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** n sessions whose 240-byte values LZF cannot shrink (so that each entry is as long). */
function sessions(n: number): Keyspace {
  const ks = new Keyspace(new ManualClock(START), 1);
  const db = ks.dbs[0]!;
  const rnd = rng(7);
  for (let i = 0; i < n; i++) {
    const value = Array.from({ length: 240 }, () => String.fromCharCode(33 + Math.floor(rnd() * 90))).join('');
    db.set(`sess:${i.toString(36).padStart(8, '0')}`, value, START + 60_000 + i);
  }
  return ks;
}

function saved(ks: Keyspace, name: string): { keys: number; offloaded: boolean; fileKeys: number; verified: boolean; ms: number } {
  const t0 = performance.now();
  const result = saveSync(ks, { dir: tmp, filename: name, compression: true, checksum: true, usedMemory: 1 }, 'always', 300);
  const ms = performance.now() - t0;
  const summary = readRdbFile(path.join(tmp, name), { key: () => undefined });
  return { ...result, fileKeys: summary.keys, verified: summary.checksumVerified, ms };
}

test('more than 4 MB of entries ahead of a worker that takes none: SAVE gives up on it and saves alone', () => {
  // 40,000 sessions of ~255 bytes: this thread's half is ~5 MB of entries.
  const ks = sessions(40_000);
  const r = saved(ks, 'ahead.rdb');
  expect(r).toMatchObject({ keys: 40_000, offloaded: false, fileKeys: 40_000, verified: true });
  expect(r.ms).toBeLessThan(10_000);
  // The store's snapshot was ended: another can begin.
  const slab = ks.dbs[0]!.store.slab;
  expect(() => slab.beginSnapshot(() => undefined)).not.toThrow();
  slab.endSnapshot();
  ks.close();
}, 30_000);

test('a worker that never writes the file: SAVE gives up on it at the end and saves alone', () => {
  const ks = sessions(200);
  const r = saved(ks, 'end.rdb');
  expect(r).toMatchObject({ keys: 200, offloaded: false, fileKeys: 200, verified: true });
  ks.close();
}, 30_000);
