import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { decimalDigits, writeDigitsBefore } from '../../src/util/numbers.js';

/** Integers a reply writes as decimals: lengths, counts, counters, up to 2^53 - 1. */
const safeNat = fc.oneof(
  fc.nat(),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 999_999_999, 1e9, 9_999_999_999, 1e10, 1e15, Number.MAX_SAFE_INTEGER),
);

describe('decimal digits without strings', () => {
  test('decimalDigits counts what String() prints, writeDigitsBefore writes it', () => {
    fc.assert(
      fc.property(safeNat, fc.nat(8), (n, pad) => {
        const text = String(n);
        expect(decimalDigits(n)).toBe(text.length);
        const bytes = new Uint8Array(pad + 20).fill(0x2a);
        const end = pad + text.length;
        expect(writeDigitsBefore(bytes, end, n)).toBe(pad);
        expect(Buffer.from(bytes).toString('latin1')).toBe('*'.repeat(pad) + text + '*'.repeat(20 - text.length));
      }),
      { numRuns: 3000 },
    );
  });
});
