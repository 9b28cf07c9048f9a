import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  addLongDouble,
  formatLongDoubleHuman,
  isFiniteLongDouble,
  parseLongDouble,
  type LongDouble,
} from '../../src/util/long-double.js';

/** INCRBYFLOAT's arithmetic: parse both, add, print; or the error Redis would give. */
function incrbyfloat(value: string, incr: string): string {
  const a = parseLongDouble(value);
  const b = parseLongDouble(incr);
  if (a === undefined || b === undefined) return 'not a valid float';
  const sum = addLongDouble(a, b);
  return isFiniteLongDouble(sum) ? formatLongDoubleHuman(sum) : 'NaN or Infinity';
}

/** Exact value of a finite long double as a fraction num / 2^shift (shift >= 0). */
function exact(v: LongDouble): { num: bigint; shift: bigint } {
  const m = v.neg ? -v.mant : v.mant;
  return v.exp >= 0 ? { num: m << BigInt(v.exp), shift: 0n } : { num: m, shift: BigInt(-v.exp) };
}

describe('known results (from Redis 7.0 on x86-64)', () => {
  const cases: [string, string, string][] = [
    ['0.1', '0.2', '0.3'],
    ['10.5', '0.1', '10.6'],
    ['0', '0.000003814697265625', '0.00000381469726562'], // a tie in the 18th digit, to even
    ['0', '0.000011444091796875', '0.00001144409179688'], // a tie, to even (up)
    ['1e20', '0', '100000000000000000000'],
    ['0', '-1e-20', '0'], // "-0.00000000000000000" trims to "-0", printed as "0"
    ['0', '-0.00000000000000001', '-0.00000000000000001'],
    ['3.0e3', '0', '3000'],
    ['5.0e3', '1', '5001'],
    ['0x10', '1', '17'],
    ['.5', '.5', '1'],
    ['5.', '1', '6'],
    ['+1', '1', '2'],
    ['0', '3.14159265358979323846264338327950288', '3.14159265358979324'],
    ['1.1', '2.2', '3.3'],
    ['0.7', '0.1', '0.8'],
    ['1e17', '0.1', '100000000000000000.1015625'],
    ['12345678901234567', '0.5', '12345678901234567.5'],
    ['9223372036854775807', '1', '9223372036854775808'],
    ['18446744073709551615', '0', '18446744073709551615'],
    ['18446744073709551617', '0', '18446744073709551616'], // 65 bits: a tie, to even
    ['0', '1e-17', '0.00000000000000001'],
    ['0', '5e-18', '0'],
    ['0', '1.5e-17', '0.00000000000000002'],
    ['0', '2.5e-17', '0.00000000000000002'],
    ['-5', '5', '0'],
    ['1e30', '-1e30', '0'],
    ['0xAbC.dEfp-3', '1', '344.608856201171875'],
    ['0x1.8p1', '1', '4'],
    ['0', '0x1p-16445', '0'], // the smallest subnormal
    ['0', '0x1.00000000000000008p-16446', '0'],
    ['1e4932', '1e4932', 'NaN or Infinity'],
    ['inf', '1', 'NaN or Infinity'],
    ['inf', '-inf', 'NaN or Infinity'],
    ['1', '-INFINITY', 'NaN or Infinity'],
  ];
  for (const [a, b, expected] of cases) {
    test(`${a} + ${b}`, () => {
      expect(incrbyfloat(a, b)).toBe(expected);
    });
  }

  test('1e308 + 1e308 prints every integer digit', () => {
    expect(incrbyfloat('1e308', '1e308')).toBe(
      '19999999999999999999337175931169129132112019969483113441559409598984346973767612374420025384377707864089' +
        '3494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877' +
        '829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096',
    );
  });

  test('1e4932 is finite and prints 4933 digits', () => {
    const text = incrbyfloat('0', '1e4932');
    expect(text.length).toBe(4933);
    expect(text.startsWith('10000000000000000000060189493879638913')).toBe(true);
  });
});

describe('parsing as Redis string2ld', () => {
  test('refused strings', () => {
    for (const s of [
      '', ' 1', '\t1', '\n1', '\v1', '\f1', '\r1', '1 ', '1x', 'x', '.', '+', '-', 'e5', '1e', '1e+', '1e-',
      '1.2.3', '0x', '0xg', '0x1p', '0x.p1', 'infin', 'infinityy', 'nan', 'NaN', '-nan', 'nan(1)', '1,5',
      '--1', '+-1', '1\0', '\0', '1\0x', '1' + '0'.repeat(5119),
      '1e5000', '-1e5000', '1e4933', '0x1p16384', '1e99999999999999999999', // overflow to infinity
      '1e-5000', '1e-4951', '0x1p-16446', '0x1.0000000000000001p-16446', // underflow to zero
    ]) {
      expect(parseLongDouble(s), JSON.stringify(s)).toBeUndefined();
    }
  });

  test('accepted strings', () => {
    for (const s of [
      '0', '-0', '+0', '1', '1.', '.1', '1e5', '1E+5', '1e-5', '0x1', '0X1P-2', '0x.8', 'inf', '-Inf', 'INFINITY',
      '0e99999999999', '0x0p99999999999', '0x1p-16445', '0x1.8p-16446', '0x1.00000000000000018p-16446',
      '1.' + '0'.repeat(5117), '1.18973149535723176502e4932', '3.6e-4951',
    ]) {
      expect(parseLongDouble(s), JSON.stringify(s)).toBeDefined();
    }
  });

  test('decimals are rounded correctly to 64 bits (ties to even)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 40n }),
        fc.integer({ min: -60, max: 60 }),
        (digits, e10) => {
          const v = parseLongDouble(`${digits}e${e10}`)!;
          // value = digits * 10^e10 = P / Q exactly; v = num / 2^shift.
          const P = e10 >= 0 ? digits * 10n ** BigInt(e10) : digits;
          const Q = e10 >= 0 ? 1n : 10n ** BigInt(-e10);
          const { num, shift } = exact(v);
          // |num/2^shift - P/Q| <= half an ulp (2^exp / 2), ties only to an even mantissa.
          const diff = num * Q - (P << shift); // scaled by Q * 2^shift
          const absDiff = diff < 0n ? -diff : diff;
          const ulpScaled = v.exp >= 0 ? Q << BigInt(v.exp) : Q; // 2^exp, scaled likewise
          expect(v.mant < 1n << 64n).toBe(true);
          expect(2n * absDiff <= ulpScaled).toBe(true);
          if (2n * absDiff === ulpScaled) expect(v.mant % 2n).toBe(0n);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('integers up to 64 bits are exact and print as themselves', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 64n) + 1n, max: (1n << 64n) - 1n }), (n) => {
        expect(incrbyfloat(n.toString(), '0')).toBe(n.toString());
      }),
      { numRuns: 2000 },
    );
  });
});

describe('addition', () => {
  test('sums of integers are exact while they fit in 64 bits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 62n), max: 1n << 62n }), fc.bigInt({ min: -(1n << 62n), max: 1n << 62n }), (a, b) => {
        expect(incrbyfloat(a.toString(), b.toString())).toBe((a + b).toString());
      }),
      { numRuns: 2000 },
    );
  });

  test('sums are rounded correctly (half an ulp at most, ties to even)', () => {
    const operand = fc
      .tuple(fc.bigInt({ min: 1n << 63n, max: (1n << 64n) - 1n }), fc.integer({ min: -200, max: 200 }), fc.boolean())
      .map(([m, e, neg]) => `${neg ? '-' : ''}0x${m.toString(16)}p${e}`);
    fc.assert(
      fc.property(operand, operand, (x, y) => {
        const a = parseLongDouble(x)!;
        const b = parseLongDouble(y)!;
        const s = addLongDouble(a, b);
        const ea = exact(a);
        const eb = exact(b);
        const es = exact(s);
        const shift = [ea.shift, eb.shift, es.shift].reduce((p, q) => (p > q ? p : q));
        const scale = (f: { num: bigint; shift: bigint }): bigint => f.num << (shift - f.shift);
        const diff = scale(es) - (scale(ea) + scale(eb));
        const absDiff = diff < 0n ? -diff : diff;
        if (s.mant === 0n) {
          expect(absDiff).toBe(0n);
          return;
        }
        const ulp = s.exp >= 0 ? 1n << (BigInt(s.exp) + shift) : 1n << (shift - BigInt(-s.exp));
        expect(2n * absDiff <= ulp).toBe(true);
        if (2n * absDiff === ulp) expect(s.mant % 2n).toBe(0n);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('printing as "%.17Lf", trimmed', () => {
  /** Reference: the exact decimal expansion of m / 2^k, rounded to 17 decimals by digits. */
  function reference(m: bigint, k: number): string {
    // m / 2^k = m * 5^k / 10^k exactly.
    let digits = (m * 5n ** BigInt(k)).toString().padStart(k + 1, '0');
    let int = digits.slice(0, digits.length - k);
    let frac = digits.slice(digits.length - k);
    if (frac.length > 17) {
      const kept = BigInt(int + frac.slice(0, 17));
      const rest = frac.slice(17);
      const half = '5' + '0'.repeat(rest.length - 1);
      const up = rest > half || (rest === half && kept % 2n === 1n);
      digits = (kept + (up ? 1n : 0n)).toString().padStart(18, '0');
      int = digits.slice(0, digits.length - 17);
      frac = digits.slice(digits.length - 17);
    }
    frac = frac.replace(/0+$/, '');
    return frac.length > 0 ? `${int}.${frac}` : int;
  }

  test('dyadic fractions', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), fc.integer({ min: 1, max: 120 }), (m, k) => {
        expect(incrbyfloat(`0x${m.toString(16)}p-${k}`, '0')).toBe(reference(m, k));
      }),
      { numRuns: 3000 },
    );
  });
});
