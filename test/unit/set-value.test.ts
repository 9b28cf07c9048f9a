import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { compareIntTexts, isIntsetMember, SetValue } from '../../src/keyspace/set.js';
import { decodeIntset, encodeIntset } from '../../src/persistence/intset.js';
import { EncodingError } from '../../src/persistence/listpack.js';
import { RdbEncoder } from '../../src/persistence/rdb-writer.js';
import { RdbError, readRdbBuffer, type LoadedValue } from '../../src/persistence/rdb-reader.js';
import { createServer, type LapseServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { rng } from '../helpers/rng.js';
import type { Entry } from '../../src/keyspace/database.js';

describe('SetValue', () => {
  test('intset: canonical int64 texts only, kept in numeric order', () => {
    for (const m of ['0', '-1', '9223372036854775807', '-9223372036854775808', '42']) expect(isIntsetMember(m)).toBe(true);
    for (const m of ['', '-0', '007', '+1', ' 1', '1 ', '1.0', '9223372036854775808', '-9223372036854775809', 'a', '-']) {
      expect(isIntsetMember(m), JSON.stringify(m)).toBe(false);
    }
    const texts = ['10', '-10', '9', '-9', '0', '9223372036854775807', '-9223372036854775808', '9007199254740993', '9007199254740992'];
    const sorted = [...texts].sort(compareIntTexts);
    expect(sorted).toEqual([...texts].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0)));
    const s = new SetValue();
    for (const t of texts) expect(s.add(t)).toBe(true);
    expect(s.add('9007199254740993')).toBe(false); // beyond 2^53: not merged with its neighbour
    expect(s.encoding()).toBe('intset');
    expect(s.toArray()).toEqual(sorted);
    expect(s.has('9007199254740992')).toBe(true);
    expect(s.has('09')).toBe(false);
    expect(s.remove('-10')).toBe(true);
    expect(s.remove('-10')).toBe(false);
    expect(s.remove('x')).toBe(false);
    expect(s.size).toBe(texts.length - 1);
  });

  test('becomes a hashtable past the limit or with a non-integer, for good', () => {
    const s = new SetValue();
    for (let i = 0; i < 3; i++) s.add(String(i), { maxIntsetEntries: 3, arrays: null });
    expect(s.encoding()).toBe('intset');
    s.add('3', { maxIntsetEntries: 3, arrays: null });
    expect(s.encoding()).toBe('hashtable');
    s.remove('3');
    expect(s.encoding()).toBe('hashtable');
    const t = new SetValue();
    t.add('1');
    t.add('x');
    expect(t.encoding()).toBe('hashtable');
    expect(t.toArray()).toEqual(['1', 'x']);
  });

  test('a model check: random adds and removes agree with a JS Set; estimatedBytes follows', () => {
    const rand = rng(13);
    const s = new SetValue();
    const model = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const m = rand() < 0.02 ? `s${Math.floor(rand() * 50)}` : String(Math.floor(rand() * 700) - 350);
      if (rand() < 0.55) expect(s.add(m, { maxIntsetEntries: 400, arrays: null })).toBe(!model.has(m));
      else expect(s.remove(m)).toBe(model.has(m));
      if (rand() < 0.55) model.add(m);
      else model.delete(m);
      // Re-sync the model with what the last operation actually did.
      if (s.has(m)) model.add(m);
      else model.delete(m);
    }
    expect(s.size).toBe(model.size);
    expect(new Set(s.toArray())).toEqual(model);
    const fresh = new SetValue();
    for (const m of s.toArray()) fresh.add(m, { maxIntsetEntries: 400, arrays: null });
    expect(s.estimatedBytes).toBeGreaterThanOrEqual(fresh.estimatedBytes - 8 * s.size);
  });

  test('the hashtable form against a model: adds, removes, lookups and copies across its index (from 32 slots), squeezes and resizes', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), m: fc.integer({ min: 0, max: 400 }), n: fc.integer({ min: 1, max: 80 }) }),
      fc.record({ kind: fc.constant('remove' as const), m: fc.integer({ min: 0, max: 400 }), n: fc.integer({ min: 1, max: 120 }) }),
      fc.record({ kind: fc.constant('copy' as const), m: fc.constant(0), n: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.boolean(), (ops, counted) => {
        const arrays = counted ? { int32: (n: number) => new Int32Array(n), buffer: (n: number) => Buffer.allocUnsafeSlow(n) } : null;
        const encoding = { maxIntsetEntries: 8, arrays };
        let s = new SetValue();
        const model = new Set<string>();
        // Members that are integers first (an intset), then names, so both conversions happen.
        const name = (i: number) => (i < 6 ? String(i) : `m${i}`);
        for (const { kind, m, n } of ops) {
          if (kind === 'copy') {
            s = s.copy();
            continue;
          }
          for (let i = m; i < m + n; i++) {
            const x = name(i % 401);
            if (kind === 'add') expect(s.add(x, encoding)).toBe(!model.has(x));
            else expect(s.remove(x)).toBe(model.has(x));
            if (kind === 'add') model.add(x);
            else model.delete(x);
          }
          expect(s.size).toBe(model.size);
        }
        for (let i = 0; i < 410; i++) expect(s.has(name(i))).toBe(model.has(name(i)));
        expect(new Set(s.toArray())).toEqual(model);
        expect(s.toArray().length).toBe(model.size);
        // Positions: every live one holds a member of the model, once; a large set's are
        // bytes in its arena (what SMEMBERS copies into the reply).
        const positioned: string[] = [];
        for (let i = 0; i < s.slotCount; i++) {
          const m = s.memberAt(i);
          const start = s.memberStartAt(i);
          if (m === null) {
            expect(start).toBe(-1);
            continue;
          }
          positioned.push(m);
          if (start >= 0) expect(s.arenaBytes(i).toString('latin1', start, start + s.memberLengthAt(i))).toBe(m);
          else expect(s.size <= 32 || s.isIntset).toBe(true);
        }
        expect(positioned.length).toBe(model.size);
        expect(new Set(positioned)).toEqual(model);
        const scanned: string[] = [];
        let cursor = 0;
        if (!s.isIntset) {
          do cursor = s.scan(cursor, 7, (x) => scanned.push(x));
          while (cursor !== 0);
          expect(new Set(scanned)).toEqual(model);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('random() is uniform over live members even with tombstones', () => {
    const s = new SetValue();
    for (let i = 0; i < 200; i++) s.add(`m${i}`);
    for (let i = 0; i < 200; i += 2) s.remove(`m${i}`); // 100 live, tombstones among them
    const counts = new Map<string, number>();
    const draws = 100_000;
    for (let i = 0; i < draws; i++) {
      const m = s.random();
      counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    expect(counts.size).toBe(100);
    let chi = 0;
    for (const n of counts.values()) chi += (n - draws / 100) ** 2 / (draws / 100);
    expect(chi).toBeLessThan(148.2); // 99 degrees of freedom, P = 0.001
  });

  test('scan: every member present throughout is visited while others are removed and added', () => {
    const s = new SetValue();
    for (let i = 0; i < 5000; i++) s.add(`m${i}`);
    const seen = new Set<string>();
    let cursor = 0;
    let round = 0;
    do {
      cursor = s.scan(cursor, 20, (m) => seen.add(m));
      // Remove members from the far end and the middle (forcing squeezes), add new ones.
      for (let j = 0; j < 30; j++) s.remove(`m${2500 + round * 30 + j}`);
      s.add(`new${round}`);
      round++;
    } while (cursor !== 0 && round < 10_000);
    expect(cursor).toBe(0);
    for (let i = 0; i < 2500; i++) expect(seen.has(`m${i}`)).toBe(true);
  });
});

describe('intset blobs', () => {
  test('round trip, the narrowest width', () => {
    for (const [members, width] of [[['-5', '1', '300'], 2], [['-32769', '0'], 4], [['2147483648'], 8],
      [['-9223372036854775808', '9223372036854775807'], 8]] as [string[], number][]) {
      const blob = encodeIntset(members);
      expect(blob.readUInt32LE(0)).toBe(width);
      expect(blob.readUInt32LE(4)).toBe(members.length);
      expect(blob.length).toBe(8 + width * members.length);
      expect(decodeIntset(blob)).toEqual(members);
    }
  });

  test('corrupt blobs are refused: width, length, order, duplicates', () => {
    const good = encodeIntset(['1', '2', '3']);
    const badWidth = Buffer.from(good);
    badWidth.writeUInt32LE(3, 0);
    const badCount = Buffer.from(good);
    badCount.writeUInt32LE(4, 4);
    const unordered = Buffer.from(good);
    unordered.writeInt16LE(5, 8);
    const dup = Buffer.from(good);
    dup.writeInt16LE(2, 8);
    for (const blob of [badWidth, badCount, unordered, dup, good.subarray(0, 5), good.subarray(0, 11)]) {
      expect(() => decodeIntset(blob)).toThrow(EncodingError);
    }
  });

  test('an RDB with a corrupt intset or duplicate set members is refused with the offset', () => {
    const file = (body: (e: RdbEncoder) => void): Buffer => {
      const e = new RdbEncoder({ compression: false, checksum: true });
      e.header(10);
      e.selectDb(0);
      body(e);
      e.eof();
      return Buffer.concat([...e.take(), ...e.takeFinal()]);
    };
    const blob = encodeIntset(['1', '2']);
    blob.writeInt16LE(9, 8);
    const corrupt = file((e) => {
      e.byte(11);
      e.string('k');
      e.stringBytes(blob);
    });
    expect(() => readRdbBuffer(corrupt, { key() {} })).toThrow(RdbError);
    expect(() => readRdbBuffer(corrupt, { key() {} })).toThrow(/Corrupt set-intset: .*ascending/);
    const dup = file((e) => {
      e.byte(2);
      e.string('k');
      e.length(2);
      e.string('a');
      e.string('a');
    });
    expect(() => readRdbBuffer(dup, { key() {} })).toThrow('Duplicate set members detected');
    const empty = file((e) => {
      e.byte(2);
      e.string('k');
      e.length(0);
    });
    const seen: LoadedValue[] = [];
    readRdbBuffer(empty, { key: (_d, _k, v) => seen.push(v) });
    expect(seen).toEqual([]); // an empty set is skipped, as Redis does
  });
});

describe('set commands and the database', () => {
  async function withServer(fn: (s: LapseServer, c: RawClient) => Promise<void>): Promise<void> {
    const server = createServer({ port: 0, bind: '127.0.0.1' });
    const { port } = await server.listen();
    const client = await RawClient.connect(port);
    try {
      await fn(server, client);
    } finally {
      client.close();
      await server.close();
    }
  }

  test('a snapshot sees every key before a set command changes it; the memory figure follows each change', async () => {
    await withServer(async (server, c) => {
      const db = server.keyspace.dbs[0]!;
      const seen: string[] = [];
      db.observer = {
        beforeChange: (d, e: Entry) => {
          const v = d.valueOf(e);
          seen.push(`${d.keyOf(e)}=${typeof v === 'string' ? v : (v as SetValue).toArray().join(',')}`);
        },
        created: () => {},
        beforeClear: () => {},
        beforeSwap: () => {},
      };
      const exact = (): number => {
        let n = 0;
        for (const e of db.entries()) n += db.entryBytes(e);
        return n;
      };
      const steps: [string[], string[]][] = [
        [['SADD', 's', '1', '2', '3'], []],
        [['SADD', 's', 'x'], ['s=1,2,3']],
        [['SREM', 's', 'x'], ['s=1,2,3,x']],
        [['SPOP', 's'], ['s=1,2,3']],
        [['SADD', 'd', '9'], []],
        [['SINTERSTORE', 'd', 's', 's'], ['d=9']],
        [['SMOVE', 's', 'd', 'nope'], []],
      ];
      for (const [argv, before] of steps) {
        seen.length = 0;
        await c.call(...argv);
        expect(seen, argv.join(' ')).toEqual(before);
        expect(db.memory, `memory after ${argv.join(' ')}`).toBe(exact());
      }
      // Larger changes, checked for the memory figure only.
      const many = Array.from({ length: 3000 }, (_, i) => `member-${i}`);
      for (const argv of [['SADD', 'big', ...many], ['SPOP', 'big', '100'], ['SPOP', 'big', '2800'], ['SREM', 'big', ...many.slice(0, 50)],
        ['SUNIONSTORE', 'u', 'big', 's'], ['SDIFFSTORE', 'u', 'u', 'big'], ['SPOP', 'u', '1000'], ['SMOVE', 'd', 'big', '1']]) {
        await c.call(...argv);
        expect(db.memory, `memory after ${argv[0]}`).toBe(exact());
      }
      db.observer = null;
    });
  });
});
