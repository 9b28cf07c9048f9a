import { describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { decodeReply } from '../helpers/resp.js';

/**
 * MEMORY USAGE on lists, sets and sorted sets of every encoding, against Redis 7.0: the
 * same keys built the same way on both (OBJECT ENCODING compared exactly, so each figure
 * is of the same encoding on both sides), answered with an integer by both (MEMORY USAGE
 * takes a key of any type: never WRONGTYPE), nil for a missing key, Redis's errors for a
 * bad SAMPLES. The sizes are each server's own; they are compared within stated bands
 * (see the lines), and lapse's figure is held to its heap by
 * test/unit/collection-memory.test.ts.
 */

const p = pairSuite();

const range = (n: number, f: (i: number) => string[]): string[] => Array.from({ length: n }, (_, i) => f(i)).flat();

/** Commands building `key` with n elements, at most 1000 per command. */
function build(command: string, key: string, n: number, f: (i: number) => string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < n; i += 1000) out.push([command, key, ...range(Math.min(1000, n - i), (j) => f(i + j))]);
  return out;
}

/** Keys of every type and encoding: [key, encoding, elements, commands]. */
const KEYS: [string, string, number, string[][]][] = [
  ['list:5', 'quicklist', 5, build('RPUSH', 'list:5', 5, (i) => [`element-${i}`])],
  ['list:200', 'quicklist', 200, build('RPUSH', 'list:200', 200, (i) => [`element-${i}`])],
  ['list:5000', 'quicklist', 5000, build('RPUSH', 'list:5000', 5000, (i) => [`element-${i}`])],
  ['intset:5', 'intset', 5, build('SADD', 'intset:5', 5, (i) => [String(i)])],
  ['intset:200', 'intset', 200, build('SADD', 'intset:200', 200, (i) => [String(i)])],
  ['intset:5000', 'hashtable', 5000, build('SADD', 'intset:5000', 5000, (i) => [String(i)])],
  ['set:5', 'hashtable', 5, build('SADD', 'set:5', 5, (i) => [`member-${i}`])],
  ['set:200', 'hashtable', 200, build('SADD', 'set:200', 200, (i) => [`member-${i}`])],
  ['set:5000', 'hashtable', 5000, build('SADD', 'set:5000', 5000, (i) => [`member-${i}`])],
  ['zset:5', 'listpack', 5, build('ZADD', 'zset:5', 5, (i) => [String(i), `member-${i}`])],
  ['zset:100', 'listpack', 100, build('ZADD', 'zset:100', 100, (i) => [String(i), `member-${i}`])],
  ['zset:200', 'skiplist', 200, build('ZADD', 'zset:200', 200, (i) => [String(i), `member-${i}`])],
  ['zset:5000', 'skiplist', 5000, build('ZADD', 'zset:5000', 5000, (i) => [String(i), `member-${i}`])],
];

function integerOf(b: Buffer): number {
  const r = decodeReply(b)!.reply;
  if (r.type !== 'integer') throw new Error(`not an integer: ${show(b)}`);
  return Number(r.value);
}

async function buildAll(): Promise<void> {
  for (const [key, encoding, , commands] of KEYS) {
    for (const c of commands) await p.exact(...c);                     // exact: the counts added
    const enc = await p.exact('OBJECT', 'ENCODING', key);              // exact: the same encoding on both
    expect(show(enc)).toBe(show(Buffer.from(`$${encoding.length}\r\n${encoding}\r\n`)));
  }
}

/** Both servers' MEMORY USAGE key SAMPLES 0 (every element counted, on both). */
async function usage(key: string): Promise<[number, number]> {
  const [r, l] = await p.both(['MEMORY', 'USAGE', key, 'SAMPLES', '0']);
  return [integerOf(r), integerOf(l)];
}

describe('MEMORY USAGE of lists, sets and sorted sets', () => {
  test('an integer for every type and encoding, with and without SAMPLES; nil for a missing key', async () => {
    await buildAll();
    for (const [key] of KEYS) {
      for (const args of [['MEMORY', 'USAGE', key], ['MEMORY', 'USAGE', key, 'SAMPLES', '0'], ['MEMORY', 'USAGE', key, 'SAMPLES', '1'],
        ['MEMORY', 'USAGE', key, 'samples', '10000'], ['MEMORY', 'USAGE', key, 'SAMPLES', '3', 'SAMPLES', '0']]) {
        const [r, l] = await p.both(args);
        // Both integers (never WRONGTYPE: MEMORY USAGE takes any type); the sizes are each server's.
        expect([show(r).slice(0, 2), show(l).slice(0, 2)], args.join(' ')).toEqual(['":', '":']);
        expect(integerOf(l), args.join(' ')).toBeGreaterThan(0);
      }
    }
    await p.exact('MEMORY', 'USAGE', 'missing');                        // exact: nil
    await p.exact('MEMORY', 'USAGE', 'missing', 'SAMPLES', '0');        // exact: nil
    // A collection emptied by its last removal is gone: nil on both.
    await p.exact('RPUSH', 'gone', 'a');                                // exact
    await p.exact('LPOP', 'gone');                                      // exact
    await p.exact('MEMORY', 'USAGE', 'gone');                           // exact: nil
  });

  test("a bad SAMPLES on a collection key: Redis's errors", async () => {
    await buildAll();
    for (const [key] of KEYS) {
      for (const args of [['MEMORY', 'USAGE', key, 'SAMPLES'], ['MEMORY', 'USAGE', key, 'SAMPLES', 'x'], ['MEMORY', 'USAGE', key, 'SAMPLES', '-1'],
        ['MEMORY', 'USAGE', key, 'SAMPLES', '1.5'], ['MEMORY', 'USAGE', key, 'SAMPLES', '9223372036854775808'],
        ['MEMORY', 'USAGE', key, 'FOO', '1'], ['MEMORY', 'USAGE', key, 'SAMPLES', '5', 'extra']]) {
        await p.exact(...args);                                        // exact: error text
      }
    }
  });

  test('the figures: large collections within [0.8, 1.6]x Redis; small ones mostly cost more in lapse', async () => {
    await buildAll();
    const figures = new Map<string, [number, number]>();
    for (const [key] of KEYS) figures.set(key, await usage(key));
    for (const [key, encoding, n] of KEYS) {
      const [redis, lapse] = figures.get(key)!;
      const ratio = lapse / redis;
      if (n >= 5000) {
        // Large: per element both pay a string and a slot in a table or tree (sds and
        // dict entry / quicklist listpack / skiplist node against V8 strings, Map
        // entries, packed nodes, B+tree leaves). lapse measured 1.05x (list) to 1.51x
        // (5,000 integers in a hashtable: V8's Map table is a power of two, 8,192 slots).
        expect(ratio, `${key} (${encoding}): redis ${redis}, lapse ${lapse}`).toBeGreaterThanOrEqual(0.8);
        expect(ratio, `${key} (${encoding}): redis ${redis}, lapse ${lapse}`).toBeLessThanOrEqual(1.6);
      } else {
        // Small: Redis packs most of them in one listpack or intset allocation; lapse
        // keeps V8 objects (an array and a string per element, ~24-40 bytes an element),
        // so mostly costs more: measured 1.3x (a 200-member hashtable set) to 13x (200
        // integers in an intset, 2 bytes each in Redis). The exception is a hashtable set
        // of 5, a dict in Redis 7.0 and a plain array in lapse (no index below 32
        // members): 0.95x. The upper band says how far, and fails if it grows further.
        expect(ratio, `${key} (${encoding}): redis ${redis}, lapse ${lapse}`).toBeGreaterThan(0.8);
        expect(ratio, `${key} (${encoding}): redis ${redis}, lapse ${lapse}`).toBeLessThanOrEqual(16);
      }
    }
    // More elements, more bytes, on both: the same order for every family.
    for (const family of [['list:5', 'list:200', 'list:5000'], ['intset:5', 'intset:200', 'intset:5000'],
      ['set:5', 'set:200', 'set:5000'], ['zset:5', 'zset:100', 'zset:200', 'zset:5000']]) {
      for (let i = 1; i < family.length; i++) {
        const [r0, l0] = figures.get(family[i - 1]!)!;
        const [r1, l1] = figures.get(family[i]!)!;
        expect(r1, `redis ${family[i]} > ${family[i - 1]}`).toBeGreaterThan(r0);
        expect(l1, `lapse ${family[i]} > ${family[i - 1]}`).toBeGreaterThan(l0);
      }
    }
  });

  test('a TTL adds nothing to the figure on either; a key of any type answers', async () => {
    await buildAll();
    const [r0, l0] = await usage('set:200');
    await p.exact('EXPIRE', 'set:200', '1000');                         // exact
    const [r1, l1] = await usage('set:200');
    expect(r1, 'redis: an expiry costs nothing in the value').toBe(r0);
    // Since issue 17 a deadline is a slot of the key's columns in lapse's store, counted in
    // every key's overhead (it was a 16-byte HeapNumber box beside the entry before).
    expect(l1, 'lapse: the deadline column is in the key overhead').toBe(l0);
    await p.exact('SET', 'str', 'v');                                   // exact
    await p.exact('HSET', 'hash', 'f', 'v');                            // exact
    for (const key of ['str', 'hash']) {
      const [r, l] = await p.both(['MEMORY', 'USAGE', key]);
      expect([r[0], l[0]], key).toEqual([0x3a, 0x3a]);                  // both integers
    }
  });
});
