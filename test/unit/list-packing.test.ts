import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { entryEnd, entryEquals, entrySize, entryStart, entryValue, packedInteger, sendEntry, writeEntry } from '../../src/keyspace/list-packing.js';

/**
 * A list node's entries over bytes (list-packing.ts): each element written by writeEntry
 * reads back forwards and backwards, as the same text, from any offset and between any
 * neighbours, at the edges of its encodings: one-byte lengths (0..111), two-byte lengths
 * (112..16,383), three-byte ones (16,384 and up) and four (2^21 and up), and integers
 * packed in 1 to 6 bytes up to +-2^47, beside texts that look like integers but are not
 * canonical.
 */

/** Elements at the encodings' edges. */
const EDGES: string[] = [
  ...[0, 1, 2, 110, 111, 112, 113, 127, 128, 129, 16_383, 16_384, 16_385, 2 ** 21 - 1, 2 ** 21].map((n) => 'ab\xff\0'.repeat(n).slice(0, n)),
  '100', '-100', '127', '128', '-128', '-129', '32767', '32768', '-32768', '-32769', '8388607', '8388608', '2147483647', '2147483648',
  '-2147483649', '549755813887', '549755813888', '140737488355327', '-140737488355327', '140737488355328', '-140737488355328',
  '999999999999999', '1000000000000000', '007', '-0', '+123', '12.5', '1e5', '-', '00', '10', '-1', '0',
];

/** Text from sendEntry: the bytes it was given as latin1, or the integer's decimal text. */
function sent(b: Buffer, p: number): string {
  let out = '';
  sendEntry(b, p, {
    bulkBytes: (src, start, end) => {
      out = Buffer.from(src.subarray(start, end)).toString('latin1');
    },
    bulkInteger: (n) => {
      out = String(n);
    },
  }, null);
  return out;
}

/** Writes elements back to back after `pad` bytes of 0xee; returns the buffer and each entry's offset. */
function pack(elements: readonly string[], pad: number): { b: Buffer; at: number[]; end: number } {
  const sizes = elements.map((s) => entrySize(s, packedInteger(s)));
  const b = Buffer.alloc(pad + sizes.reduce((x, y) => x + y, 0) + pad, 0xee);
  const at: number[] = [];
  let p = pad;
  elements.forEach((s, i) => {
    at.push(p);
    expect(writeEntry(b, p, s, packedInteger(s))).toBe(sizes[i]); // writes as many bytes as entrySize says
    p += sizes[i]!;
  });
  return { b, at, end: p };
}

describe('list entries over bytes', () => {
  test('every edge case reads back forwards, backwards, by value and as sent', () => {
    for (const s of EDGES) {
      const { b, at, end } = pack(['x', s, 'y'], 3);
      const p = at[1]!;
      expect(entryEnd(b, p), `length ${s.length}`).toBe(at[2]);
      expect(entryStart(b, at[2]!), `length ${s.length}`).toBe(p);
      expect(entryStart(b, end)).toBe(at[2]);
      expect(entryValue(b, p) === s, `length ${s.length}`).toBe(true);
      expect(sent(b, p) === s, `length ${s.length}`).toBe(true);
      expect(entryEquals(b, p, s, packedInteger(s))).toBe(true);
      for (const other of [s + 'x', s.slice(1), 'x' + s.slice(1)]) {
        if (other !== s) expect(entryEquals(b, p, other, packedInteger(other))).toBe(false);
      }
    }
  });

  test('integers are packed only in canonical form, 3 to 15 chars, within +-2^47', () => {
    expect(packedInteger('100')).toBe(100);
    expect(packedInteger('-99')).toBe(-99);
    expect(packedInteger('140737488355327')).toBe(2 ** 47 - 1);
    expect(packedInteger('-14073748835532')).toBe(-14073748835532);
    for (const s of ['10', '-1', '007', '-0', '+123', '12.5', '140737488355328', '-140737488355327', '1000000000000000', '9223372036854775807']) {
      expect(packedInteger(s), s).toBeUndefined();
    }
    // The value in the fewest bytes that hold it, plus a tag at each end: a 10-digit id in
    // 6 or 7 bytes instead of 12.
    expect(entrySize('100', 100)).toBe(3);
    expect(entrySize('128', 128)).toBe(4);
    expect(entrySize('1234567890', packedInteger('1234567890'))).toBe(6);
    expect(entrySize('2147483648', packedInteger('2147483648'))).toBe(7);
    expect(entrySize('140737488355327', packedInteger('140737488355327'))).toBe(8);
    expect(entrySize('1000000000000000', undefined)).toBe(18);
  });

  test('random elements packed back to back read back from either end', () => {
    const element = fc.oneof(
      fc.string({ maxLength: 130 }).map((s) => Buffer.from(s, 'utf8').toString('latin1')),
      fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u).toString('latin1')),
      fc.integer({ min: -(2 ** 47) + 1, max: 2 ** 47 - 1 }).map(String),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
      fc.integer({ min: 112, max: 20_000 }).map((n) => 'z'.repeat(n)),
    );
    fc.assert(
      fc.property(fc.array(element, { maxLength: 40 }), fc.nat(9), (elements, pad) => {
        const { b, at, end } = pack(elements, pad);
        const forwards: string[] = [];
        for (let p = pad; p < end; p = entryEnd(b, p)) forwards.push(entryValue(b, p));
        expect(forwards).toEqual(elements);
        const backwards: string[] = [];
        for (let p = end; p > pad; ) {
          p = entryStart(b, p);
          backwards.push(sent(b, p));
        }
        expect(backwards.reverse()).toEqual(elements);
        elements.forEach((s, i) => expect(entryEquals(b, at[i]!, s, packedInteger(s))).toBe(true));
        // The bytes around the entries are untouched.
        for (let i = 0; i < pad; i++) expect(b[i] === 0xee && b[end + i] === 0xee).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
