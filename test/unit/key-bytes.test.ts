import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../src/keyspace/clock.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';

/**
 * KeyBytes (key-hash.ts): while a command runs, the connection tells the keyspace which
 * bytes its first argument was made from, and a store asked for that very string hashes
 * and compares the bytes instead of the string. Lookups, creations and replacements must
 * come out exactly as without it, whatever the keys (any latin1 bytes, shared prefixes,
 * lengths around the hash's 4-byte blocks), and for several keys of one command, each
 * used in argument order, out of order falling back to the strings.
 */

const keyArb = fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a).toString('latin1'));

describe('KeyBytes', () => {
  test('find, set and delete through the given bytes agree with the string path (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('set', 'get', 'del'), keyArb, fc.boolean()), { minLength: 1, maxLength: 60 }), (ops) => {
        const plain = new Keyspace(new ManualClock(1_700_000_000_000), 1).dbs[0]!;
        const keyspace = new Keyspace(new ManualClock(1_700_000_000_000), 1);
        const hinted = keyspace.dbs[0]!;
        const given = keyspace.keyBytes;
        let n = 0;
        for (const [op, key, viaBytes] of ops) {
          // The bytes sit inside a larger buffer, as in a read buffer, with other bytes around them.
          const buffer = Buffer.concat([Buffer.from('*2\r\n$3\r\nGET\r\n$9\r\n', 'latin1'), Buffer.from(key, 'latin1'), Buffer.from('\r\n')]);
          const start = 17;
          // A fresh string object of the same text: the one the parser would have made.
          const made = buffer.toString('latin1', start, start + key.length);
          const spans = new Int32Array(8);
          spans[2] = start;
          spans[3] = start + key.length;
          if (viaBytes) given.set(['GET', made], buffer, spans, 0);
          const value = `v${n++}`;
          if (op === 'set') {
            plain.set(key, value);
            hinted.set(made, value);
          } else if (op === 'get') {
            const a = plain.get(key);
            const b = hinted.get(made);
            expect(b === undefined, `get ${JSON.stringify(key)}`).toBe(a === undefined);
            if (a !== undefined) expect(hinted.valueOf(b!)).toBe(plain.valueOf(a));
          } else {
            expect(hinted.delete(made)).toBe(plain.delete(key));
          }
          given.clear();
          expect(hinted.size).toBe(plain.size);
        }
        for (const e of plain.entries()) {
          const key = plain.keyOf(e);
          const b = hinted.get(key);
          expect(b, `missing ${JSON.stringify(key)}`).toBeDefined();
          expect(hinted.valueOf(b!)).toBe(plain.valueOf(e));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('the bytes are used only while given: after clear() the string is hashed again', () => {
    const keyspace = new Keyspace(new ManualClock(1_700_000_000_000), 1);
    const db = keyspace.dbs[0]!;
    db.set('session:1', 'a');
    // Bytes that do not hold the given text can only come from a wrong caller; they show
    // which path a lookup took.
    keyspace.keyBytes.set(['GET', 'session:2'], Buffer.from('session:1', 'latin1'), Int32Array.of(0, 0, 0, 9), 0);
    expect(db.get('session:2')).toBeDefined();
    // Each argument is taken once, in order: a second lookup of it takes the string path.
    expect(db.get('session:2')).toBeUndefined();
    keyspace.keyBytes.clear();
    expect(db.get('session:2')).toBeUndefined();
    expect(db.get('session:1')).toBeDefined();
  });

  test('several keys of one command (MGET, DEL) through their bytes, in order, out of order, and with spans missing', () => {
    fc.assert(
      fc.property(fc.array(keyArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), fc.array(fc.boolean(), { maxLength: 9 }), (keys, order, hasSpan) => {
        const keyspace = new Keyspace(new ManualClock(1_700_000_000_000), 1);
        const db = keyspace.dbs[0]!;
        for (let i = 0; i < keys.length; i += 2) db.set(keys[i]!, `v${i}`);
        // The read: MGET and its keys, each argument's bytes in one buffer.
        const parts = ['MGET', ...keys].map((k) => Buffer.from(k, 'latin1'));
        const buffer = Buffer.concat(parts);
        const spans = new Int32Array(2 * (parts.length + 1));
        let at = 0;
        const argv = parts.map((p, i) => {
          spans[2 * i] = hasSpan[i] === false ? -1 : at;
          spans[2 * i + 1] = at + p.length;
          at += p.length;
          return p.toString('latin1');
        });
        keyspace.keyBytes.set(argv, buffer, spans, 0);
        // In order, then a few out of order.
        const lookups = [...argv.slice(1).map((_, i) => i + 1), ...order.map((o) => 1 + (o % keys.length))];
        for (const i of lookups) {
          const expected = keys.some((k, j) => j % 2 === 0 && k === argv[i]);
          const found = db.get(argv[i]!);
          expect(found !== undefined, `key ${i} ${JSON.stringify(argv[i])}`).toBe(expected);
        }
        keyspace.keyBytes.clear();
      }),
      { numRuns: 300 },
    );
  });
});
