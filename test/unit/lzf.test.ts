import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { LzfCompressor, lzfDecompress, LzfDecoder, lzfDecompressInto, LzfError } from '../../src/persistence/lzf.js';

/** One compressor for every case, as an RDB encoder reuses one for all its strings. */
const compressor = new LzfCompressor();

function compress(input: Buffer, limit = input.length * 2 + 16): Buffer | null {
  const out = Buffer.alloc(Math.max(limit, 1));
  const n = compressor.compress(input, input.length, out, limit);
  return n === 0 ? null : out.subarray(0, n);
}

describe('LZF', () => {
  test('decompresses what Redis 7.0 wrote (a string from a dump.rdb)', () => {
    // SET k ('session:user=42;' * 8 + 'abcdefghij' * 5 + 'xyz'), SAVE: the LZF payload
    // after 0xc3, compressed length 39, original length 181.
    const redis = Buffer.from(
      '1073657373696f6e3a757365723d34323b73e0660f096162636465666768696ae01f090278797a',
      'hex',
    );
    const original = 'session:user=42;'.repeat(8) + 'abcdefghij'.repeat(5) + 'xyz';
    expect(lzfDecompress(redis, 0, redis.length, 181).toString('latin1')).toBe(original);
  });

  test('compresses as Redis 7.0\'s liblzf does, byte for byte', () => {
    // The payload above, and the 24-byte intset of SADD s 1 9223372036854775807, which
    // liblzf gives up on within Redis's limit of len - 4 (test/compat/lzf.test.ts compares
    // hundreds of values with a live redis-server).
    const original = Buffer.from('session:user=42;'.repeat(8) + 'abcdefghij'.repeat(5) + 'xyz', 'latin1');
    expect(compress(original, original.length - 4)!.toString('hex')).toBe(
      '1073657373696f6e3a757365723d34323b73e0660f096162636465666768696ae01f090278797a',
    );
    const intset = Buffer.from('080000000200000001000000000000000000000000000000', 'hex');
    intset.writeBigInt64LE(9223372036854775807n, 16);
    expect(compress(intset, intset.length - 4)).toBeNull();
    expect(compress(intset, intset.length * 2)).not.toBeNull();
  });

  test('round trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const input = Buffer.from(bytes);
        const c = compress(input);
        if (input.length === 0) return;
        expect(c).not.toBeNull();
        expect(lzfDecompress(c!, 0, c!.length, input.length).equals(input)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('round trips repetitive text (long references, overlapping copies, far offsets)', () => {
    const gen = fc.tuple(fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(7), { maxLength: 400 }));
    fc.assert(
      fc.property(gen, ([words, picks]) => {
        const text = picks.map((i) => words[i % words.length]).join('') + 'x'.repeat(picks.length);
        const input = Buffer.from(text, 'latin1');
        const c = compress(input);
        if (input.length === 0) return;
        expect(lzfDecompress(c!, 0, c!.length, input.length).equals(input)).toBe(true);
      }),
      { numRuns: 200 },
    );
    const big = Buffer.alloc(100_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251 < 120 ? 97 : (i * 7) & 0xff;
    const c = compress(big)!;
    expect(lzfDecompress(c, 0, c.length, big.length).equals(big)).toBe(true);
    const runs = Buffer.alloc(10_000, 0x61);
    const cr = compress(runs)!;
    expect(cr.length).toBeLessThan(200);
    expect(lzfDecompress(cr, 0, cr.length, runs.length).equals(runs)).toBe(true);
  });

  test('gives up (0) when the output would not fit the limit, as Redis asks (len - 4)', () => {
    const random = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 149 + 17) & 0xff));
    expect(compress(random, random.length - 4)).toBeNull();
    const text = Buffer.from('a'.repeat(64));
    expect(compress(text, text.length - 4)).not.toBeNull();
  });

  test('the same input compresses to the same bytes whatever came before', () => {
    const a = Buffer.from('hello hello hello hello hello world');
    const first = compress(a)!;
    compress(Buffer.from('world hello world hello olleh dlrow'.repeat(20)));
    expect(compress(a)!.equals(first)).toBe(true);
  });

  test('a table left over from earlier inputs gives the clean-table output (why INIT_HTAB 0 is safe)', () => {
    // Holding the compressor's base still makes earlier inputs' entries read as this
    // input's positions, as Redis's uninitialised stack table would; inputs from a small
    // alphabet so that 3-byte sequences recur within and across inputs.
    const carried = new LzfCompressor();
    const holdBase = () => ((carried as unknown as { base: number }).base = 1);
    const input = fc.uint8Array({ minLength: 3, maxLength: 600 }).map((b) => Buffer.from(b.map((x) => 0x61 + (x % 4))));
    fc.assert(
      fc.property(fc.array(input, { minLength: 2, maxLength: 12 }), (inputs) => {
        for (const v of inputs) {
          const out = Buffer.alloc(v.length * 2 + 16);
          holdBase();
          const n = carried.compress(v, v.length, out, out.length);
          const clean = new LzfCompressor();
          const expected = Buffer.alloc(out.length);
          const m = clean.compress(v, v.length, expected, expected.length);
          expect(out.subarray(0, n).equals(expected.subarray(0, m))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('decodes any valid stream as liblzf does: runs, references of every distance and length, at any offset, with views reused', () => {
    // Streams built from literal runs (1-32 bytes) and back-references (distance 1 to
    // what is written, length 3-264, so overlapping copies of distance 1-3, word moves,
    // fills and copyWithin all occur), decoded byte by byte as liblzf's loop does.
    const piece = fc.oneof(
      fc.record({ literal: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
      fc.record({ back: fc.nat(), distance: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8192 })), length: fc.integer({ min: 3, max: 264 }) }),
    );
    const decoder = new LzfDecoder();
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 40 }), fc.nat(15), fc.nat(15), (pieces, inputShift, outShift) => {
        const stream: number[] = [];
        const expected: number[] = [];
        for (const p of pieces) {
          if ('literal' in p) {
            stream.push(p.literal.length - 1, ...p.literal);
            expected.push(...p.literal);
            continue;
          }
          if (expected.length === 0) continue;
          const distance = Math.min(p.distance, expected.length);
          const len = p.length - 2;
          const off = distance - 1;
          if (len < 7) stream.push((len << 5) | (off >> 8), off & 0xff);
          else stream.push((7 << 5) | (off >> 8), len - 7, off & 0xff);
          for (let k = 0; k < p.length; k++) expected.push(expected[expected.length - distance]!);
        }
        if (stream.length === 0) return;
        // Unaligned input and output, inside larger buffers.
        const input = Buffer.alloc(inputShift + stream.length + 7, 0xee);
        input.set(stream, inputShift);
        const outHolder = Buffer.alloc(outShift + expected.length + 9, 0xdd);
        const out = outHolder.subarray(outShift);
        decoder.decompressInto(input, inputShift, inputShift + stream.length, out, expected.length);
        expect(Buffer.from(out.subarray(0, expected.length)).equals(Buffer.from(expected))).toBe(true);
        expect(out.subarray(expected.length).every((b) => b === 0xdd)).toBe(true);
        const again = Buffer.alloc(expected.length);
        lzfDecompressInto(input, inputShift, inputShift + stream.length, again, expected.length);
        expect(again.equals(Buffer.from(expected))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  test('refuses malformed streams', () => {
    const bad = (bytes: number[], len: number) => () => lzfDecompress(Buffer.from(bytes), 0, bytes.length, len);
    expect(bad([0x20, 0x00], 3)).toThrow(LzfError); // reference before the start
    expect(bad([0x05, 0x61], 6)).toThrow(LzfError); // literal run past the input
    expect(bad([0x00, 0x61], 2)).toThrow(LzfError); // decodes to fewer bytes than announced
    expect(bad([0x01, 0x61, 0x62], 1)).toThrow(LzfError); // more than announced
    expect(bad([0xe0], 10)).toThrow(LzfError); // reference cut short
  });
});
