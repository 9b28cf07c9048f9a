import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../src/keyspace/clock.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { NO_DEADLINE } from '../../src/keyspace/database.js';
import { HashValue } from '../../src/keyspace/hash.js';
import { RdbEncoder } from '../../src/persistence/rdb-writer.js';
import { RdbError, readRdbBuffer, readRdbFile, type LoadedHash, type LoadedValue } from '../../src/persistence/rdb-reader.js';
import { decodeListpack, encodeListpack } from '../../src/persistence/listpack.js';
import { saveSync } from '../../src/persistence/snapshot.js';
import { loadSnapshot } from '../../src/persistence/load.js';

const START = 1_800_000_000_000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-rdb-unit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The bytes one string takes in an RDB file. */
function encodeString(s: string, compression = true): Buffer {
  const enc = new RdbEncoder({ compression, checksum: false });
  enc.string(s);
  return Buffer.concat(enc.take());
}

function hex(b: Buffer): string {
  return b.toString('hex');
}

describe('string encoding, as rdbSaveRawString', () => {
  test('integers exactly when rdbTryIntegerEncoding would', () => {
    expect(hex(encodeString('12'))).toBe('c00c');
    expect(hex(encodeString('-128'))).toBe('c080');
    expect(hex(encodeString('127'))).toBe('c07f');
    expect(hex(encodeString('128'))).toBe('c18000');
    expect(hex(encodeString('-32768'))).toBe('c10080');
    expect(hex(encodeString('32768'))).toBe('c200800000');
    expect(hex(encodeString('2147483647'))).toBe('c2ffffff7f');
    expect(hex(encodeString('-2147483648'))).toBe('c200000080');
    // Beyond int32, or not the canonical text of a number: a plain string.
    expect(hex(encodeString('2147483648'))).toBe('0a' + Buffer.from('2147483648').toString('hex'));
    for (const s of ['007', '-0', '+1', ' 1', '1 ', '1.5', '0x10', '']) {
      expect(hex(encodeString(s)), s).toBe(Buffer.from([s.length, ...Buffer.from(s, 'latin1')]).toString('hex'));
    }
    expect(hex(encodeString('0'))).toBe('c000');
  });

  test('LZF only above 20 bytes, when on, and when it saves space', () => {
    const c21 = 'a'.repeat(21);
    expect(encodeString(c21)[0]).toBe(0xc3);
    expect(encodeString(c21, false)[0]).toBe(21);
    expect(encodeString('a'.repeat(20))[0]).toBe(20);
    const random = Array.from({ length: 40 }, (_, i) => String.fromCharCode((i * 97 + 13) & 0xff)).join('');
    expect(encodeString(random)[0]).toBe(40);
  });

  test('lengths: 6, 14 and 32 bits', () => {
    const len = (n: number) => {
      const enc = new RdbEncoder({ compression: false, checksum: false });
      enc.length(n);
      return hex(Buffer.concat(enc.take()));
    };
    expect(len(63)).toBe('3f');
    expect(len(64)).toBe('4040');
    expect(len(16383)).toBe('7fff');
    expect(len(16384)).toBe('8000004000');
    expect(len(2 ** 32)).toBe('810000000100000000');
  });
});

describe('listpack', () => {
  test('integers in the smallest encoding, strings by length', () => {
    const lp = encodeListpack(['0', '127', '128', '-4096', '4095', '32767', '8388607', '2147483647', '9223372036854775807', 'x', 'y'.repeat(64), '-0', '007']);
    expect(lp.readUInt32LE(0)).toBe(lp.length);
    expect(lp.readUInt16LE(4)).toBe(13);
    expect(lp[6]).toBe(0); // 7-bit uint
    expect(lp[lp.length - 1]).toBe(0xff);
    expect(decodeListpack(lp)).toEqual(['0', '127', '128', '-4096', '4095', '32767', '8388607', '2147483647', '9223372036854775807', 'x', 'y'.repeat(64), '-0', '007']);
  });

  test('round trips any strings', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 5000 }), fc.integer().map(String), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String))), (els) => {
        expect(decodeListpack(encodeListpack(els))).toEqual(els);
      }),
      { numRuns: 100 },
    );
  });
});

/** A keyspace on a manual clock with `databases` databases. */
function keyspace(databases = 4): Keyspace {
  return new Keyspace(new ManualClock(START), databases);
}

function hashOf(pairs: [string, string][]): HashValue {
  const h = new HashValue();
  for (const [f, v] of pairs) h.set(f, v);
  return h;
}

/** Everything a keyspace holds, comparable: db -> key -> [value, expire time, field TTLs]. */
function dump(ks: Keyspace): unknown {
  const out: Record<string, unknown> = {};
  for (const db of ks.dbs) {
    for (const e of db.entries()) {
      const v = db.valueOf(e);
      // Fields sorted: a hash with field TTLs comes back in Redis 7.4's order (by TTL).
      const value = typeof v === 'string' ? v : [...(v as HashValue).entries()].map(([f, x]) => [f, x, (v as HashValue).fieldDeadline(f)]).sort();
      out[`${db.index}/${db.keyOf(e)}`] = [value, db.deadlineOf(e) === NO_DEADLINE ? null : String(db.expireTime(e))];
    }
  }
  return out;
}

function save(ks: Keyspace, name: string, options: { compression?: boolean; checksum?: boolean } = {}): string {
  saveSync(ks, { dir: tmp, filename: name, compression: options.compression ?? true, checksum: options.checksum ?? true, usedMemory: 1 });
  return path.join(tmp, name);
}

function load(file: string, databases = 4): Keyspace {
  const ks = keyspace(databases);
  loadSnapshot(ks, file, () => {}, { checksum: true });
  return ks;
}

function checkRdb(file: string): string {
  return execFileSync('redis-check-rdb', [file], { encoding: 'latin1' });
}

describe('SAVE then load', () => {
  test('any strings and hashes, with TTLs, in several databases; redis-check-rdb accepts the file', () => {
    const value = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }).map((s) => Buffer.from(s, 'utf8').toString('latin1')), fc.integer().map(String));
    const hash = fc.uniqueArray(fc.tuple(fc.string({ unit: 'binary-ascii', maxLength: 80 }), value), { minLength: 1, maxLength: 150, selector: ([f]) => f });
    const item = fc.tuple(fc.nat(3), fc.string({ unit: 'binary-ascii', maxLength: 40 }), fc.oneof(value, hash), fc.option(fc.integer({ min: 1, max: 10_000_000 })));
    let run = 0;
    fc.assert(
      fc.property(fc.array(item, { maxLength: 40 }), fc.boolean(), (items, compression) => {
        const ks = keyspace();
        for (const [dbi, key, v, ttl] of items) {
          const db = ks.dbs[dbi]!;
          db.set(key, typeof v === 'string' ? v : hashOf(v), ttl === null ? NO_DEADLINE : START + ttl + 1);
        }
        const file = save(ks, `prop-${run++}.rdb`, { compression });
        expect(dump(load(file))).toEqual(dump(ks));
        if (run <= 5) expect(checkRdb(file)).toContain('RDB looks OK');
      }),
      { numRuns: 60 },
    );
  });

  test('hash fields keep their order (listpack and table forms)', () => {
    const ks = keyspace();
    const small = [['z', '1'], ['a', '2'], ['m', '3']] as [string, string][];
    const big = Array.from({ length: 300 }, (_, i) => [`f${(i * 7919) % 1000}`, `${i}`] as [string, string]);
    ks.dbs[0]!.set('small', hashOf(small));
    ks.dbs[0]!.set('big', hashOf(big));
    const back = load(save(ks, 'order.rdb'));
    const bdb = back.dbs[0]!;
    expect([...(bdb.valueOf(bdb.get('small')!) as HashValue).entries()]).toEqual(small);
    expect([...(bdb.valueOf(bdb.get('big')!) as HashValue).entries()]).toEqual(big);
  });

  test('exact expire times beyond 2^53 ms survive', () => {
    const ks = keyspace();
    const db = ks.dbs[0]!;
    const e = db.set('far', 'v');
    db.setExpireTime(e, 9223372036854775806n);
    const back = load(save(ks, 'far.rdb'));
    const e2 = back.dbs[0]!.get('far')!;
    expect(back.dbs[0]!.expireTime(e2)).toBe(9223372036854775806n);
  });

  test('keys and hash fields that expired meanwhile are dropped and counted', () => {
    const ks = keyspace();
    const db = ks.dbs[0]!;
    db.set('stays', 'a', START + 60_000);
    db.set('goes', 'b', START + 1_000);
    const h = hashOf([['f1', '1'], ['f2', '2']]);
    const hEntry = db.set('h', h);
    db.setFieldDeadline(hEntry, 'f1', START + 1_000);
    const gone = hashOf([['x', '1']]);
    const goneEntry = db.set('gone', gone);
    db.setFieldDeadline(goneEntry, 'x', START + 1_000);
    const file = save(ks, 'expiring.rdb');
    const later = new Keyspace(new ManualClock(START + 5_000), 4);
    const result = loadSnapshot(later, file, () => {}, { checksum: true })!;
    expect(result).toMatchObject({ loaded: 2, expired: 2 });
    const ldb = later.dbs[0]!;
    expect(ldb.get('goes')).toBeUndefined();
    expect((ldb.valueOf(ldb.get('h')!) as HashValue).get('f1')).toBeUndefined();
    expect((ldb.valueOf(ldb.get('h')!) as HashValue).get('f2')).toBe('2');
    expect(later.changesSinceSave).toBe(0);
  });

  test('hash field TTLs: version 12, with Redis 7.4 types 25 (listpack) and 24 (table); version 10 otherwise', () => {
    const ks = keyspace();
    const db = ks.dbs[0]!;
    const small = hashOf([['a', '1'], ['b', '2'], ['c', '3']]);
    const smallEntry = db.set('small', small);
    db.setFieldDeadline(smallEntry, 'c', START + 50_001);
    db.setFieldDeadline(smallEntry, 'a', START + 90_001);
    const big = hashOf(Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`] as [string, string]));
    const bigEntry = db.set('big', big);
    db.setFieldDeadline(bigEntry, 'f7', START + 70_001);
    const file = save(ks, 'fields.rdb');
    const bytes = fs.readFileSync(file);
    expect(bytes.subarray(0, 9).toString()).toBe('REDIS0012');
    const types: number[] = [];
    const seen: Record<string, LoadedValue> = {};
    readRdbBuffer(bytes, { key: (_db, key, value, _exp, offset) => { types.push(bytes[offset]!); seen[key] = value; } });
    expect(types.sort()).toEqual([24, 25]);
    const s = seen.small as LoadedHash;
    // Ordered by expire time, fields without one last, as Redis 7.4's listpackEx.
    expect(s.pairs).toEqual(['c', '3', 'a', '1', 'b', '2']);
    expect(s.fieldExpires).toEqual([START + 50_000, START + 90_000, 0]);
    expect(dump(load(file))).toEqual(dump(ks));
    // Without field TTLs: version 10, listpack (16) and plain hash (4).
    db.setFieldDeadline(smallEntry, 'c', NO_DEADLINE);
    db.setFieldDeadline(smallEntry, 'a', NO_DEADLINE);
    db.setFieldDeadline(bigEntry, 'f7', NO_DEADLINE);
    const plain = fs.readFileSync(save(ks, 'plain.rdb'));
    expect(plain.subarray(0, 9).toString()).toBe('REDIS0010');
    const plainTypes: number[] = [];
    readRdbBuffer(plain, { key: (_db, _key, _v, _exp, offset) => plainTypes.push(plain[offset]!) });
    expect(plainTypes.sort()).toEqual([16, 4].sort());
    expect(checkRdb(path.join(tmp, 'plain.rdb'))).toContain('RDB looks OK');
  });

  test('rdbchecksum no writes a zero checksum, which the reader accepts', () => {
    const ks = keyspace();
    ks.dbs[0]!.set('k', 'v');
    const bytes = fs.readFileSync(save(ks, 'nocrc.rdb', { checksum: false }));
    expect(bytes.subarray(bytes.length - 8).readBigUInt64LE(0)).toBe(0n);
    expect(readRdbBuffer(bytes, { key() {} }).checksumVerified).toBe(false);
  });
});

describe('refusing what cannot be loaded, naming the offset', () => {
  function sample(): Buffer {
    const ks = keyspace();
    const db = ks.dbs[0]!;
    db.set('string', 'x'.repeat(100));
    db.set('int', '12345', START + 100_000);
    db.set('hash', hashOf([['f', 'v']]));
    return fs.readFileSync(save(ks, 'sample.rdb'));
  }

  test('every truncation is an error, never a partial load', () => {
    const bytes = sample();
    for (let cut = 0; cut < bytes.length; cut++) {
      let keys = 0;
      expect(() => readRdbBuffer(bytes.subarray(0, cut), { key: () => keys++ }), `cut at ${cut}`).toThrow(RdbError);
    }
  });

  test('a flipped byte fails the checksum (or the parse), with the offset', () => {
    const bytes = sample();
    for (let i = 9; i < bytes.length - 8; i++) {
      const copy = Buffer.from(bytes);
      copy[i]! ^= 0x40;
      let error: unknown;
      try {
        readRdbBuffer(copy, { key() {} });
      } catch (e) {
        error = e;
      }
      expect(error, `byte ${i}`).toBeInstanceOf(RdbError);
      expect((error as RdbError).message).toMatch(/at offset \d+/);
    }
    const bad = Buffer.from(bytes);
    bad[22]! ^= 0x01; // inside the redis-ver AUX value: only the checksum notices
    expect(() => readRdbBuffer(bad, { key() {} })).toThrow(/Wrong RDB checksum.*at offset \d+/);
  });

  test('a version it cannot read, a wrong signature, a type lapse lacks', () => {
    const bytes = sample();
    const v13 = Buffer.from(bytes);
    v13.write('0013', 5, 'latin1');
    expect(() => readRdbBuffer(v13, { key() {} })).toThrow(/Can't handle RDB format version 0013/);
    const sig = Buffer.from(bytes);
    sig.write('RADIS', 0, 'latin1');
    expect(() => readRdbBuffer(sig, { key() {} })).toThrow(/Wrong signature/);
    // A list (type 1) right after the header: key "l", one element "a".
    const list = Buffer.concat([Buffer.from('REDIS0010', 'latin1'), Buffer.from([0xfe, 0x00, 0x01, 0x01, 0x6c, 0x01, 0x01, 0x61, 0xff]), Buffer.alloc(8)]);
    const loaded: unknown[] = [];
    readRdbBuffer(list, { key: (_db, k, v) => loaded.push([k, v]) });
    expect(loaded).toEqual([['l', { type: 'list', elements: ['a'] }]]);
    // Lists, sets and sorted sets are read now; a stream is not.
    const stream = Buffer.from(list);
    stream[11] = 15;
    expect(() => readRdbBuffer(stream, { key() {} })).toThrow(/stream value \(RDB type 15\).*at offset 11/);
  });

  test('expire times in seconds (old files), unknown AUX fields, LRU/LFU hints', () => {
    const body = Buffer.from([
      0xfa, 0x03, ...Buffer.from('foo'), 0x03, ...Buffer.from('bar'), // unknown AUX
      0xfe, 0x02, 0xfb, 0x02, 0x01,
      0xfd, 0x00, 0xe1, 0xf5, 0x05, // expire in seconds: 100000000 s
      0xf8, 0x05, // IDLE
      0x00, 0x01, 0x61, 0x01, 0x62,
      0xf9, 0x07, // FREQ
      0x00, 0x01, 0x63, 0xc0, 0x05,
      0xff,
    ]);
    const file = Buffer.concat([Buffer.from('REDIS0009', 'latin1'), body, Buffer.alloc(8)]);
    const keys: unknown[] = [];
    const aux: string[] = [];
    readRdbBuffer(file, { aux: (n, v) => aux.push(`${n}=${v}`), key: (db, k, v, e) => keys.push([db, k, v, e]) });
    expect(aux).toEqual(['foo=bar']);
    expect(keys).toEqual([[2, 'a', 'b', 100_000_000_000], [2, 'c', '5', null]]);
  });

  test('load: a duplicate key, a database beyond `databases`, a missing file', () => {
    const dup = Buffer.concat([Buffer.from('REDIS0010', 'latin1'), Buffer.from([0xfe, 0x00, 0x00, 0x01, 0x61, 0x01, 0x62, 0x00, 0x01, 0x61, 0x01, 0x63, 0xff]), Buffer.alloc(8)]);
    fs.writeFileSync(path.join(tmp, 'dup.rdb'), dup);
    expect(() => load(path.join(tmp, 'dup.rdb'))).toThrow("Duplicated key 'a' in DB 0 (at offset 16)");
    const far = Buffer.concat([Buffer.from('REDIS0010', 'latin1'), Buffer.from([0xfe, 0x09, 0x00, 0x01, 0x61, 0x01, 0x62, 0xff]), Buffer.alloc(8)]);
    fs.writeFileSync(path.join(tmp, 'far-db.rdb'), far);
    expect(() => load(path.join(tmp, 'far-db.rdb'), 4)).toThrow(/uses database 9, this server has 4.*at offset 9/);
    expect(loadSnapshot(keyspace(), path.join(tmp, 'none.rdb'), () => {}, { checksum: true })).toBeNull();
  });

  test('a RESIZEDB larger than the file could hold sizes nothing past what the file holds', () => {
    // RESIZEDB 2^30 keys (a 32-bit length: 0x80 then 4 bytes big-endian) ahead of one key,
    // in a file of a few dozen bytes: a hint from a damaged or hostile file. Reserving it
    // would make a table of 2^31 slots and 16 GiB of rows before the first key.
    const body = Buffer.from([0xfe, 0x00, 0xfb, 0x80, 0x40, 0x00, 0x00, 0x00, 0x80, 0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x61, 0x01, 0x62, 0xff]);
    const file = path.join(tmp, 'resizedb.rdb');
    fs.writeFileSync(file, Buffer.concat([Buffer.from('REDIS0010', 'latin1'), body, Buffer.alloc(8)]));
    const ks = keyspace();
    loadSnapshot(ks, file, () => {}, { checksum: false });
    const db = ks.dbs[0]!;
    expect(db.size).toBe(1);
    expect(db.valueOf(db.get('a')!)).toBe('b');
    // A key takes at least 3 bytes of a file: the table and rows are sized for at most
    // the file's bytes / 3 keys.
    expect(db.store.table.capacity).toBeLessThanOrEqual(64);
    expect(db.store.heldBytes).toBeLessThan(64 * 1024);
  });

  test('a failed load leaves the keyspace empty', () => {
    const bytes = sample();
    const file = path.join(tmp, 'cut.rdb');
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 20));
    const ks = keyspace();
    expect(() => loadSnapshot(ks, file, () => {}, { checksum: true })).toThrow(RdbError);
    expect(ks.totalKeys).toBe(0);
  });

  test('the file reader reads through its window', () => {
    const ks = keyspace(1);
    const db = ks.dbs[0]!;
    const big = 'z'.repeat(5 * 1024 * 1024 + 3);
    db.set('big', big);
    for (let i = 0; i < 20_000; i++) db.set(`k${i}`, `value-${i}-${'y'.repeat(i % 300)}`);
    const file = save(ks, 'window.rdb', { compression: false });
    const back = keyspace(1);
    loadSnapshot(back, file, () => {}, { checksum: true });
    expect(back.dbs[0]!.valueOf(back.dbs[0]!.get('big')!)).toBe(big);
    expect(back.totalKeys).toBe(20_001);
    expect(readRdbFile(file, { key() {} }).checksumVerified).toBe(true);
  });
});

describe('older encodings Redis wrote', () => {
  test('a ziplist hash (Redis 3.2 to 6.2) with every entry encoding', async () => {
    const { decodeZiplist, decodeZipmap } = await import('../../src/persistence/listpack.js');
    // Entries: prevlen, encoding, data. Strings of 6-bit and 14-bit length; int16, int32,
    // int64, int24, int8, and the 4-bit immediates.
    const entries: number[][] = [
      [0x00, 0x03, ...Buffer.from('abc')],
      [0x05, 0x40, 0x41, ...Buffer.alloc(65, 0x7a)],
      [0x44, 0xc0, 0x39, 0x30],
      [0x04, 0xd0, 0x15, 0xcd, 0x5b, 0x07],
      [0x06, 0xe0, ...Buffer.from(new BigInt64Array([-5000000000n]).buffer)],
      [0x0a, 0xf0, 0xff, 0xff, 0x7f],
      [0x05, 0xfe, 0x85],
      [0x03, 0xf1],
      [0x02, 0xfd],
    ];
    const body = Buffer.from(entries.flat());
    const header = Buffer.alloc(10);
    header.writeUInt32LE(10 + body.length + 1, 0);
    header.writeUInt32LE(0, 4);
    header.writeUInt16LE(entries.length, 8);
    const zl = Buffer.concat([header, body, Buffer.from([0xff])]);
    expect(decodeZiplist(zl)).toEqual(['abc', 'z'.repeat(65), '12345', '123456789', '-5000000000', '8388607', '-123', '0', '12']);
    // A zipmap (Redis 2.x): len "f", len "v", free 0, ... end.
    const zm = Buffer.from([0x01, 0x01, 0x66, 0x01, 0x00, 0x76, 0x02, 0x67, 0x67, 0x03, 0x01, 0x77, 0x77, 0x77, 0x00, 0xff]);
    expect(decodeZipmap(zm)).toEqual(['f', 'v', 'gg', 'www']);
  });
});

describe('duplicate fields and members, refused as Redis refuses them', () => {
  /** A file of one key of `type` holding `items` (a hash: field, value pairs; a zset: members with score 1). */
  const file = (type: number, items: string[]): Buffer => {
    const e = new RdbEncoder({ compression: false, checksum: true });
    e.header(10);
    e.selectDb(0);
    e.byte(type);
    e.string('k');
    e.length(type === 4 ? items.length / 2 : items.length);
    for (const item of items) {
      e.string(item);
      if (type === 5) e.binaryDouble(1);
    }
    e.eof();
    return Buffer.concat([...e.take(), ...e.takeFinal()]);
  };
  const message: Record<number, string> = { 2: 'Duplicate set members detected', 4: 'Duplicate hash fields detected', 5: 'Duplicate zset fields detected' };

  // Sizes on both sides of the pairwise check (16) and a table of thousands; the repeat
  // first with last, in the middle, and next to each other.
  test.each([2, 3, 16, 17, 40, 5_000])('%i members or fields', (n) => {
    const names = Array.from({ length: n }, (_, i) => `member:${i}`);
    for (const type of [2, 4, 5]) {
      const items = (list: string[]) => (type === 4 ? list.flatMap((f, i) => [f, `value:${i}`]) : list);
      let loaded = 0;
      readRdbBuffer(file(type, items(names)), { key: () => void loaded++ });
      expect(loaded).toBe(1);
      for (const [i, j] of [[0, n - 1], [n >> 1, (n >> 1) - 1], [n - 1, n - 2]] as const) {
        if (i === j || j < 0) continue;
        const repeated = names.slice();
        repeated[i] = repeated[j]!;
        expect(() => readRdbBuffer(file(type, items(repeated)), { key() {} }), `type ${type}, ${i} = ${j}`).toThrow(message[type]);
      }
    }
  });
});

test.each([2 ** 25, 2 ** 31])('a set whose count claims %i members, in a file of 20, fails as truncated without reserving room for the claim', (claimed) => {
  const e = new RdbEncoder({ compression: false, checksum: true });
  e.header(10);
  e.selectDb(0);
  e.byte(2);
  e.string('k');
  e.length(claimed);
  for (let i = 0; i < 20; i++) e.string(`m${i}`);
  const file = Buffer.concat([...e.take(), ...e.takeFinal()]);
  const before = process.memoryUsage().arrayBuffers;
  expect(() => readRdbBuffer(file, { key() {} })).toThrow(RdbError);
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
});

test('a set is checked as it is read, as Redis adds each member: a repeat before a truncation is reported as the repeat', () => {
  for (const count of [5, 40]) {
    const e = new RdbEncoder({ compression: false, checksum: true });
    e.header(10);
    e.selectDb(0);
    e.byte(2);
    e.string('k');
    e.length(count);
    for (let i = 0; i < count - 3; i++) e.string(`m${i}`);
    e.string('m0');
    const file = Buffer.concat([...e.take(), ...e.takeFinal()]);
    expect(() => readRdbBuffer(file, { key() {} })).toThrow('Duplicate set members detected');
  }
});

test('a sorted set is checked as it is read, as Redis adds each member: a repeat before a truncation is reported as the repeat', () => {
  for (const count of [5, 40]) {
    const e = new RdbEncoder({ compression: false, checksum: true });
    e.header(10);
    e.selectDb(0);
    e.byte(5);
    e.string('k');
    e.length(count);
    for (let i = 0; i < count - 3; i++) {
      e.string(`m${i}`);
      e.binaryDouble(i);
    }
    e.string('m0');
    e.binaryDouble(1);
    const file = Buffer.concat([...e.take(), ...e.takeFinal()]);
    expect(() => readRdbBuffer(file, { key() {} })).toThrow('Duplicate zset fields detected');
  }
});
