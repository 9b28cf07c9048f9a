import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { hashBytes, hashString, keyEqualsBytes, randomHashSeed } from '../../src/keyspace/store/key-hash.js';
import { rng } from '../helpers/rng.js';

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

/** Byte strings of length 0..80, often with bytes 0x80..0xff. */
const byteStrings = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 80 }),
  fc.uint8Array({ minLength: 0, maxLength: 80, min: 0x80, max: 0xff }),
);

describe('MurmurHash3 x86_32', () => {
  // Published test vectors of the reference implementation (seed, input, hash).
  test.each([
    [0, '', 0],
    [1, '', 0x514e28b7],
    [0xffffffff, '', 0x81f16f39],
    [0, '\0\0\0\0', 0x2362f9de],
    [0x9747b28c, 'aaaa', 0x5a97808a],
    [0, 'abc', 0xb3dd93fa],
    [0x9747b28c, 'Hello, world!', 0x24884cba],
    [0x9747b28c, 'The quick brown fox jumps over the lazy dog', 0x2fa826cd],
  ])('seed %i, %j -> %i', (seed, key, want) => {
    expect(hashString(seed, key)).toBe(want);
    const bytes = Buffer.from(key, 'latin1');
    expect(hashBytes(seed, bytes, 0, bytes.length)).toBe(want);
  });
});

describe('hashString and hashBytes agree', () => {
  test('same unsigned 32-bit value for the same bytes, any seed, any offset into a larger buffer', () => {
    fc.assert(
      fc.property(byteStrings, fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), fc.nat(7), fc.nat(7), (bytes, seed, before, after) => {
        const buffer = new Uint8Array(before + bytes.length + after).fill(0xa5);
        buffer.set(bytes, before);
        const h = hashString(seed, latin1(bytes));
        expect(h).toBe(hashBytes(seed, buffer, before, before + bytes.length));
        expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test('every length 0..80 with high bytes', () => {
    const random = rng(7);
    for (let length = 0; length <= 80; length++) {
      const bytes = Uint8Array.from({ length }, () => 0x80 + Math.floor(random() * 128));
      expect(hashString(12345, latin1(bytes))).toBe(hashBytes(12345, bytes, 0, length));
    }
  });
});

describe('seeds', () => {
  test('different seeds give different hashes', () => {
    fc.assert(
      fc.property(byteStrings, fc.integer(), fc.integer(), (bytes, a, b) => {
        fc.pre(a !== b);
        // A collision for one key is possible (2^-32 per pair): demand that 8 related keys do not all collide.
        const key = latin1(bytes);
        let same = 0;
        for (let i = 0; i < 8; i++) if (hashString(a, key + String.fromCharCode(i)) === hashString(b, key + String.fromCharCode(i))) same++;
        expect(same).toBeLessThan(8);
      }),
      { numRuns: 500 },
    );
  });

  test('randomHashSeed gives int32 values that differ between calls', () => {
    const seeds = new Set(Array.from({ length: 16 }, randomHashSeed));
    expect(seeds.size).toBeGreaterThan(1);
    for (const s of seeds) expect(s).toBe(s | 0);
  });
});

describe('distribution', () => {
  /** Max bucket load for 100k sequential keys into 2^17 buckets, by the low bits and by the reversed (high) bits. */
  function maxLoads(seed: number): { low: number; high: number } {
    const low = new Uint16Array(1 << 17);
    const high = new Uint16Array(1 << 17);
    for (let i = 0; i < 100_000; i++) {
      const h = hashString(seed, `key:${i}`);
      low[h & 0x1ffff]!++;
      high[h >>> 15]!++;
    }
    return { low: low.reduce((a, b) => Math.max(a, b)), high: high.reduce((a, b) => Math.max(a, b)) };
  }

  test('"key:0".."key:99999" into 2^17 buckets: max load small on the low and on the high bits', () => {
    // Poisson(0.76) over 131072 buckets: the expected max is ~7; 12 would be a bad hash.
    for (const seed of [0, 1, 0x9747b28c, -1]) {
      const { low, high } = maxLoads(seed);
      expect(low).toBeLessThanOrEqual(12);
      expect(high).toBeLessThanOrEqual(12);
    }
  });

  test('avalanche: flipping any one input bit flips each output bit with probability ~1/2', () => {
    const random = rng(3);
    const flips = new Float64Array(32);
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      const length = 1 + Math.floor(random() * 40);
      const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
      const before = hashBytes(99, bytes, 0, length);
      const bit = Math.floor(random() * length * 8);
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      const diff = before ^ hashBytes(99, bytes, 0, length);
      for (let b = 0; b < 32; b++) if ((diff >>> b) & 1) flips[b]!++;
    }
    for (let b = 0; b < 32; b++) {
      expect(flips[b]! / trials).toBeGreaterThan(0.45);
      expect(flips[b]! / trials).toBeLessThan(0.55);
    }
  });
});

describe('keyEqualsBytes', () => {
  test('true exactly when the string holds the same bytes', () => {
    fc.assert(
      fc.property(byteStrings, byteStrings, fc.nat(5), (a, b, offset) => {
        const buffer = new Uint8Array(offset + b.length);
        buffer.set(b, offset);
        expect(keyEqualsBytes(latin1(a), buffer, offset, offset + b.length)).toBe(Buffer.from(a).equals(Buffer.from(b)));
        expect(keyEqualsBytes(latin1(b), buffer, offset, offset + b.length)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  test('length is checked: a prefix is not equal', () => {
    const bytes = Buffer.from('session:abc', 'latin1');
    expect(keyEqualsBytes('session:ab', bytes, 0, bytes.length)).toBe(false);
    expect(keyEqualsBytes('session:abc', bytes, 0, bytes.length - 1)).toBe(false);
    expect(keyEqualsBytes('', bytes, 3, 3)).toBe(true);
  });
});
