import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ManualClock } from '../../src/keyspace/clock.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { RdbError, readRdbFile } from '../../src/persistence/rdb-reader.js';
import { saveSync } from '../../src/persistence/snapshot.js';
import { crc64, crc64Value } from '../../src/persistence/crc64.js';
import { fileCrc } from '../../src/persistence/checksum-offload.js';

/**
 * A file's checksum computed by a worker while the file is parsed (checksum-offload.ts):
 * the same verdict as the inline checksum for a good file, a corrupt one, and files
 * where the worker's range is not the checksummed one (trailing bytes); a failed parse
 * stops the worker. `offloadChecksumFrom: 0` sends every file to the worker.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-checksum-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function saved(name: string, keys = 3000): string {
  const ks = new Keyspace(new ManualClock(1_700_000_000_000), 2);
  for (let i = 0; i < keys; i++) ks.dbs[i % 2]!.set(`sess:${i}`, `{"user":${i},"pad":"${'x'.repeat(i % 200)}"}`);
  saveSync(ks, { dir: tmp, filename: name, compression: true, checksum: true, usedMemory: 1 });
  ks.close();
  return path.join(tmp, name);
}

const count = { key() {} };

test('a good file: verified, by the worker, the same CRC as over the bytes', () => {
  const file = saved('good.rdb');
  const summary = readRdbFile(file, count, { offloadChecksumFrom: 0 });
  expect(summary).toMatchObject({ keys: 3000, checksumVerified: true, checksumBy: 'worker' });
  const bytes = fs.readFileSync(file);
  const fd = fs.openSync(file, 'r');
  try {
    expect(crc64Value(fileCrc(fd, bytes.length - 8))).toBe(crc64(bytes.subarray(0, bytes.length - 8)));
  } finally {
    fs.closeSync(fd);
  }
  // Below the threshold: inline, as before.
  expect(readRdbFile(file, count).checksumBy).toBe('thread');
});

test('a byte changed inside a value: the worker finds the wrong checksum', () => {
  const file = saved('corrupt.rdb');
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf('"pad":"xxxxxxxxxx');
  bytes[at + 8] = 0x79; // x -> y: still a valid file, only the checksum tells
  fs.writeFileSync(file, bytes);
  expect(() => readRdbFile(file, count, { offloadChecksumFrom: 0 })).toThrow(/Wrong RDB checksum/);
  expect(() => readRdbFile(file, count)).toThrow(/Wrong RDB checksum/);
});

test('bytes after the checksum: the worker read a different range, this thread checks it', () => {
  const file = saved('trailing.rdb');
  fs.appendFileSync(file, Buffer.from('trailing garbage'));
  const summary = readRdbFile(file, count, { offloadChecksumFrom: 0 });
  expect(summary).toMatchObject({ keys: 3000, checksumVerified: true, checksumBy: 'thread' });
});

test('a parse that fails stops the worker and throws', () => {
  const file = saved('truncated.rdb');
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
  expect(() => readRdbFile(file, count, { offloadChecksumFrom: 0 })).toThrow(RdbError);
});
