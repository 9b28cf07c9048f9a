import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { parseCDouble } from '../../src/util/numbers.js';

/**
 * parseCDouble reads a plain integer of up to 15 digits without its regular expression;
 * the result must be what the general path (strtod's grammar, then Number()) gives.
 */
describe('parseCDouble', () => {
  test('integers of up to 15 digits, signed or not, leading zeros, as Number() reads them (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('', '+', '-'), fc.stringMatching(/^[0-9]{1,15}$/), (sign, digits) => {
        const s = sign + digits;
        if (s.length > 15) return;
        expect(Object.is(parseCDouble(s), Number(s))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test('everything else still goes the general way', () => {
    expect(Object.is(parseCDouble('-0'), -0)).toBe(true);
    expect(parseCDouble('1234567890123456')).toBe(1234567890123456);
    expect(parseCDouble('12345678901234567890')).toBe(12345678901234567890);
    expect(parseCDouble('1.5')).toBe(1.5);
    expect(parseCDouble('-2e3')).toBe(-2000);
    expect(parseCDouble('0x10')).toBe(16);
    expect(parseCDouble('-inf')).toBe(-Infinity);
    expect(parseCDouble('+')).toBeNaN();
    expect(parseCDouble('-')).toBeNaN();
    expect(parseCDouble('')).toBeNaN();
    expect(parseCDouble('1 ')).toBeNaN();
    expect(parseCDouble(' 1')).toBeNaN();
    expect(parseCDouble('12a')).toBeNaN();
    expect(parseCDouble('nan')).toBeNaN();
  });
});
