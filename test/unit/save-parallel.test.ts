import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, expect, test } from 'vitest';
import { ManualClock } from '../../src/keyspace/clock.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { NO_DEADLINE } from '../../src/keyspace/database.js';
import { HashValue } from '../../src/keyspace/hash.js';
import { readRdbFile } from '../../src/persistence/rdb-reader.js';
import { saveSync } from '../../src/persistence/snapshot.js';
import { SaveError } from '../../src/persistence/atomic-file.js';

/**
 * SAVE on two threads (snapshot.ts saveParallel): the snapshot worker encodes every other
 * string key held in slab segments and writes the stream, this thread encodes the rest
 * and writes the file. The file holds exactly what a one-thread SAVE writes (in another
 * order of keys), its checksum holds, redis-check-rdb accepts it, and a disk that fails
 * mid-save leaves no temp file and no store in snapshot mode.
 */
const START = 1_800_000_000_000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-save-parallel-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function sample(): Keyspace {
  const ks = new Keyspace(new ManualClock(START), 4);
  for (let i = 0; i < 30_000; i++) {
    const db = ks.dbs[i % 3]!;
    const value = i % 7 === 0 ? String(i * 13) : `{"user":${i},"cookie":{"path":"/"},"pad":"${' '.repeat(i % 150)}"}`;
    db.set(`sess:${i.toString(36)}`, value, i % 5 === 0 ? NO_DEADLINE : START + 60_000 + i);
  }
  const db0 = ks.dbs[0]!;
  db0.set('large', 'L'.repeat(300 * 1024));
  db0.set('gone', 'already expired', START - 1);
  const h = new HashValue();
  for (let i = 0; i < 50; i++) h.set(`f${i}`, `v${i}`);
  ks.dbs[1]!.set('hash', h, START + 5_000);
  db0.setExpireTime(db0.set('far', 'x'), 9223372036854775806n);
  return ks;
}

/** The file's entries as sorted lines, and what the reader says of it. */
function entries(file: string): { lines: string[]; keys: number; checksumVerified: boolean } {
  const lines: string[] = [];
  const summary = readRdbFile(file, {
    key(db, key, value, expire) {
      lines.push(JSON.stringify([db, key, value, expire === null ? null : String(expire)]));
    },
  });
  lines.sort();
  return { lines, keys: summary.keys, checksumVerified: summary.checksumVerified };
}

function save(ks: Keyspace, name: string, offload: 'always' | 'never'): string {
  const result = saveSync(ks, { dir: tmp, filename: name, compression: true, checksum: true, usedMemory: 1 }, offload);
  expect(result).toEqual({ keys: 30_003, offloaded: offload === 'always' });
  return path.join(tmp, name);
}

test('the same entries as a one-thread SAVE; checksum and redis-check-rdb agree', () => {
  const ks = sample();
  const parallel = entries(save(ks, 'parallel.rdb', 'always'));
  const single = entries(save(ks, 'single.rdb', 'never'));
  expect(parallel.keys).toBe(30_003);
  expect(parallel.checksumVerified).toBe(true);
  expect(parallel.lines).toEqual(single.lines);
  expect(execFileSync('redis-check-rdb', [path.join(tmp, 'parallel.rdb')], { encoding: 'latin1' })).toContain('RDB looks OK');
  ks.close();
});

test('a save of tens of MB, on both threads and on one: every buffer handed back and written into again, the same entries', () => {
  // Enough for many rounds of each buffer: the main thread sends its entries (2,000
  // hashes, ~7 MB) in 1 MB buffers the worker hands back, the worker writes its batches
  // into buffers this thread hands back after writing them, and a one-thread SAVE
  // writes its chunks 4 MB at a time and reuses them. A buffer reused while still in use
  // would show as a different entry, a bad checksum or a file redis-check-rdb refuses.
  const ks = new Keyspace(new ManualClock(START), 2);
  let seed = 7;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < 120_000; i++) {
    let value = '';
    while (value.length < 200 + (i % 60)) value += next().toString(16);
    ks.dbs[i % 2]!.set(`sess:${i}`, value, i % 3 === 0 ? NO_DEADLINE : START + 60_000 + i);
  }
  for (let i = 0; i < 2_000; i++) {
    const h = new HashValue();
    for (let f = 0; f < 200; f++) h.set(`field:${f}`, next().toString(36));
    ks.dbs[i % 2]!.set(`hash:${i}`, h);
  }
  const options = { dir: tmp, compression: true, checksum: true, usedMemory: 1 };
  expect(saveSync(ks, { ...options, filename: 'big-parallel.rdb' }, 'always')).toEqual({ keys: 122_000, offloaded: true });
  expect(saveSync(ks, { ...options, filename: 'big-single.rdb' }, 'never')).toEqual({ keys: 122_000, offloaded: false });
  const parallel = entries(path.join(tmp, 'big-parallel.rdb'));
  const single = entries(path.join(tmp, 'big-single.rdb'));
  expect(parallel.checksumVerified).toBe(true);
  expect(single.checksumVerified).toBe(true);
  expect(parallel.lines.length).toBe(122_000);
  expect(parallel.lines).toEqual(single.lines);
  expect(execFileSync('redis-check-rdb', [path.join(tmp, 'big-parallel.rdb')], { encoding: 'latin1' })).toContain('RDB looks OK');
  ks.close();
}, 60_000);

test('a store already in a snapshot (another save): SAVE runs on this thread, and ends only the snapshots it began', () => {
  const ks = sample();
  const busy = ks.dbs[2]!.store.slab;
  busy.beginSnapshot(() => undefined);
  const result = saveSync(ks, { dir: tmp, filename: 'busy.rdb', compression: true, checksum: true, usedMemory: 1 }, 'always');
  expect(result).toEqual({ keys: 30_003, offloaded: false });
  // db 0 and 1 were begun and ended by the attempt; db 2's snapshot is still the other save's.
  for (const i of [0, 1]) {
    expect(() => ks.dbs[i]!.store.slab.beginSnapshot(() => undefined)).not.toThrow();
    ks.dbs[i]!.store.slab.endSnapshot();
  }
  expect(() => busy.beginSnapshot(() => undefined)).toThrow(/a snapshot is running/);
  busy.endSnapshot();
  ks.close();
});

test('a disk that fails mid-save: SaveError, no temp file, the stores out of snapshot mode, the next SAVE works', () => {
  const ks = sample();
  const temp = path.join(tmp, `temp-${process.pid}.rdb`);
  fs.symlinkSync('/dev/full', temp);
  expect(() => save(ks, 'full.rdb', 'always')).toThrow(SaveError);
  expect(fs.existsSync(temp)).toBe(false);
  expect(fs.existsSync(path.join(tmp, 'full.rdb'))).toBe(false);
  // beginSnapshot throws while a snapshot is on.
  for (const db of ks.dbs) {
    expect(() => db.store.slab.beginSnapshot(() => undefined)).not.toThrow();
    db.store.slab.endSnapshot();
  }
  const again = entries(save(ks, 'full.rdb', 'always'));
  expect(again.keys).toBe(30_003);
  ks.close();
});
