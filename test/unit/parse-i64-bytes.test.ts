import { expect, test } from 'vitest';
import fc from 'fast-check';
import { parseI64, parseI64Bytes } from '../../src/util/numbers.js';

/**
 * parseI64Bytes (INCR reads its counter from the stored bytes with it) answers as
 * parseI64 does for the same text, at any offset in a buffer: Redis's string2ll rules
 * (no leading zeros or '+', "-0" refused, int64 range), exact beyond 2^53 as bigints.
 */
const chars = fc.constantFrom('0', '1', '5', '9', '-', '+', ' ', 'a', '0', '7');
const text = fc.oneof(
  fc.array(chars, { maxLength: 22 }).map((a) => a.join('')),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
  fc.integer().map(String),
);

test('the same answer as parseI64 for the same text, wherever the bytes lie', () => {
  fc.assert(
    fc.property(text, fc.nat({ max: 7 }), (s, at) => {
      const bytes = Buffer.alloc(at + s.length + 3, 0x37);
      bytes.write(s, at, 'latin1');
      expect(parseI64Bytes(bytes, at, at + s.length)).toEqual(parseI64(s));
    }),
    { numRuns: 2000 },
  );
  for (const s of ['', '-', '0', '-0', '00', '+1', '-1', '999999999999999', '-999999999999999', '1000000000000000', '9223372036854775807', '-9223372036854775808', '9223372036854775808']) {
    expect(parseI64Bytes(Buffer.from(s, 'latin1'), 0, s.length), s).toEqual(parseI64(s));
  }
});
