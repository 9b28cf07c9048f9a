/**
 * An exact software model of the C `long double` arithmetic that Redis's INCRBYFLOAT
 * does on x86-64: the x87 80-bit extended format (64-bit mantissa with an explicit
 * leading bit, exponents down to 2^-16445 with subnormals, overflow at 2^16384),
 * round-to-nearest-even everywhere, as glibc's strtold, the FPU's addition and
 * printf("%.17Lf") do. JavaScript doubles give other answers (0.1 + 0.2), so the
 * arithmetic here is exact BigInt arithmetic followed by one rounding.
 *
 * Only what INCRBYFLOAT needs: parse (Redis's string2ld), add, print (Redis's
 * ld2string in LD_STR_HUMAN mode).
 */

/** A long double. Finite values are (-1)^neg * mant * 2^exp with 0 <= mant < 2^64. */
export interface LongDouble {
  readonly neg: boolean;
  readonly kind: LongDoubleKind;
  readonly mant: bigint;
  readonly exp: number;
}

export const enum LongDoubleKind {
  Finite,
  Infinite,
  NaN,
}

const MANT_BITS = 64;
/** Exponent of the lowest mantissa bit of the smallest subnormal: 2^-16445. */
const MIN_EXP = -16445;
/** Finite values are below 2^16384. */
const MAX_BITS = 16384;
/** Redis's MAX_LONG_DOUBLE_CHARS: string2ld refuses strings this long or longer. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;
/** Digits printed after the point by "%.17Lf". */
const PRINT_DIGITS = 17;
const TEN_TO_PRINT_DIGITS = 10n ** BigInt(PRINT_DIGITS);
/** Decimal exponents beyond which a nonzero decimal surely overflows / underflows. */
const DEC_OVERFLOW = 4933;
const DEC_UNDERFLOW = -4952;
/** Exponents are clamped to this while parsing; anything larger is out of range anyway. */
const EXP_CLAMP = 100_000_000;

function finite(neg: boolean, mant: bigint, exp: number): LongDouble {
  return { neg, kind: LongDoubleKind.Finite, mant, exp };
}

function zero(neg: boolean): LongDouble {
  return finite(neg, 0n, 0);
}

function infinity(neg: boolean): LongDouble {
  return { neg, kind: LongDoubleKind.Infinite, mant: 0n, exp: 0 };
}

export const LONG_DOUBLE_ZERO: LongDouble = zero(false);

const NAN: LongDouble = { neg: false, kind: LongDoubleKind.NaN, mant: 0n, exp: 0 };

/** Number of bits of a positive bigint. */
function bitLength(q: bigint): number {
  if (q <= 0xffffffffn) return 32 - Math.clz32(Number(q));
  const hex = q.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0]!, 16)));
}

/**
 * The long double nearest to (q + sticky) * 2^exp, where `sticky` says that nonzero
 * bits lie below q's last bit (they break ties upward). Callers that pass sticky give
 * q at least MANT_BITS + 2 bits, so the rounding bit is inside q. Results too large
 * become infinity; results too small become (signed) zero, or subnormals.
 */
function round(neg: boolean, q: bigint, exp: number, sticky: boolean): LongDouble {
  if (q === 0n) return zero(neg);
  const len = bitLength(q);
  let shift = len - MANT_BITS;
  if (exp + shift < MIN_EXP) shift = MIN_EXP - exp;
  if (shift > 0) {
    if (shift > len + 1) return zero(neg); // below half of the smallest subnormal
    const s = BigInt(shift);
    const rest = q & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    q >>= s;
    exp += shift;
    if (rest > half || (rest === half && (sticky || (q & 1n) === 1n))) {
      q += 1n;
      if (q === 1n << BigInt(MANT_BITS)) {
        q >>= 1n;
        exp += 1;
      }
    }
    if (q === 0n) return zero(neg);
  }
  if (bitLength(q) + exp > MAX_BITS) return infinity(neg);
  return finite(neg, q, exp);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

function isCSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Outcome of strtold when it reads the whole string. */
type Strtold = LongDouble | 'partial' | 'overflow' | 'underflow';

/**
 * Parses a long double as Redis's string2ld: the whole string must be exactly one
 * strtold() number (decimal, hex float, inf, infinity; no leading space, no NUL), not
 * NaN, and neither overflowing to infinity nor underflowing to zero, and shorter than
 * 5120 bytes. Returns undefined when Redis would
 * answer "value is not a valid float". Infinity typed as such is accepted, as in Redis.
 */
export function parseLongDouble(s: string): LongDouble | undefined {
  const slen = s.length;
  if (slen === 0 || slen >= MAX_LONG_DOUBLE_CHARS || isCSpace(s.charCodeAt(0))) return undefined;
  // strtold stops at a NUL, and Redis wants every byte read.
  if (s.indexOf('\0') >= 0) return undefined;
  const r = strtold(s);
  if (typeof r === 'string') return undefined;
  if (r.kind === LongDoubleKind.NaN) return undefined;
  return r;
}

/** strtold over a whole string with no leading space; 'partial' if it would stop early. */
function strtold(s: string): Strtold {
  let i = 0;
  let neg = false;
  const c0 = s.charCodeAt(0);
  if (c0 === 0x2b || c0 === 0x2d) {
    neg = c0 === 0x2d;
    i = 1;
  }
  const letter = s.charCodeAt(i) | 0x20;
  if (letter === 0x69 /* i */ || letter === 0x6e /* n */) {
    const word = s.slice(i).toLowerCase();
    if (word === 'inf' || word === 'infinity') return infinity(neg);
    // "nan" and "nan(chars)" are NaN, which Redis refuses like any partial read.
    return word.startsWith('nan') ? NAN : 'partial';
  }
  if (s.charCodeAt(i) === 0x30 && (s.charCodeAt(i + 1) | 0x20) === 0x78) {
    const hex = parseHex(s, i + 2, neg);
    // "0x" with no hex digit after it: strtold reads the "0" and stops at the x.
    return hex === undefined ? 'partial' : hex;
  }
  return parseDecimal(s, i, neg);
}

/** Reads "[digits].[digits]e[+-]digits" from i to the end of s. */
function parseDecimal(s: string, i: number, neg: boolean): Strtold {
  const len = s.length;
  const intStart = i;
  while (i < len && isDigit(s.charCodeAt(i))) i++;
  const intEnd = i;
  let fracStart = i;
  if (i < len && s.charCodeAt(i) === 0x2e) {
    fracStart = ++i;
    while (i < len && isDigit(s.charCodeAt(i))) i++;
  }
  const fracDigits = i - fracStart;
  if (intEnd === intStart && fracDigits === 0) return 'partial';
  let exp10 = 0;
  if (i < len && (s.charCodeAt(i) | 0x20) === 0x65) {
    const e = parseExponent(s, i + 1);
    if (e === undefined) return 'partial';
    exp10 = e;
    i = len;
  }
  if (i !== len) return 'partial';
  const all = fracDigits === 0 ? s.slice(intStart, intEnd) : s.slice(intStart, intEnd) + s.slice(fracStart, fracStart + fracDigits);
  let lead = 0;
  while (lead < all.length && all.charCodeAt(lead) === 0x30) lead++;
  if (lead === all.length) return zero(neg);
  // The value is D * 10^e, with D the significant digits.
  const e = exp10 - fracDigits;
  const magnitude = all.length - lead + e; // 10^(magnitude-1) <= value < 10^magnitude
  if (magnitude - 1 >= DEC_OVERFLOW) return 'overflow';
  if (magnitude < DEC_UNDERFLOW) return 'underflow';
  const d = BigInt(all);
  let r: LongDouble;
  if (e >= 0) {
    r = round(neg, d * powerOfTen(e), 0, false);
  } else {
    const den = powerOfTen(-e);
    const shift = Math.max(0, bitLength(den) - bitLength(d) + MANT_BITS + 2);
    const num = d << BigInt(shift);
    const q = num / den;
    r = round(neg, q, -shift, q * den !== num);
  }
  return rangeChecked(r);
}

/**
 * 10^n for the exponents ordinary numbers use, computed once at module load (a constant
 * table: it was a cache filled on use, module state); others are computed.
 */
const CACHED_POWERS = 64;
const POWERS_OF_TEN: readonly bigint[] = Array.from({ length: CACHED_POWERS }, (_, n) => 10n ** BigInt(n));

function powerOfTen(n: number): bigint {
  return n < CACHED_POWERS ? POWERS_OF_TEN[n]! : 10n ** BigInt(n);
}

/** Reads "[+-]digits" to the end of s, clamped; undefined if not that. */
function parseExponent(s: string, i: number): number | undefined {
  const len = s.length;
  let negExp = false;
  const c = s.charCodeAt(i);
  if (c === 0x2b || c === 0x2d) {
    negExp = c === 0x2d;
    i++;
  }
  if (i >= len) return undefined;
  let v = 0;
  for (; i < len; i++) {
    const d = s.charCodeAt(i);
    if (!isDigit(d)) return undefined;
    if (v < EXP_CLAMP) v = v * 10 + (d - 0x30);
  }
  if (v > EXP_CLAMP) v = EXP_CLAMP;
  return negExp ? -v : v;
}

/**
 * Reads "hexdigits[.hexdigits][p[+-]digits]" from i to the end of s; undefined when no
 * hex digit follows "0x" (strtold then reads only the "0").
 */
function parseHex(s: string, i: number, neg: boolean): Strtold | undefined {
  const len = s.length;
  let digits = '';
  let fracDigits = 0;
  let sawDigit = false;
  for (; i < len && hexValue(s.charCodeAt(i)) >= 0; i++) {
    sawDigit = true;
    if (digits.length > 0 || s.charCodeAt(i) !== 0x30) digits += s[i];
  }
  if (i < len && s.charCodeAt(i) === 0x2e) {
    const dot = i;
    for (i++; i < len && hexValue(s.charCodeAt(i)) >= 0; i++) {
      sawDigit = true;
      fracDigits++;
      if (digits.length > 0 || s.charCodeAt(i) !== 0x30) digits += s[i];
    }
    if (!sawDigit) i = dot;
  }
  if (!sawDigit) return undefined;
  let exp2 = 0;
  if (i < len && (s.charCodeAt(i) | 0x20) === 0x70) {
    const e = parseExponent(s, i + 1);
    if (e === undefined) return 'partial';
    exp2 = e;
    i = len;
  }
  if (i !== len) return 'partial';
  if (digits.length === 0) return zero(neg);
  const e = exp2 - 4 * fracDigits;
  const bits = digits.length * 4;
  if (bits + e > MAX_BITS + 4) return 'overflow';
  if (bits + e < MIN_EXP - 4) return 'underflow';
  const h = BigInt('0x' + digits);
  const hLen = bitLength(h);
  if (hLen + e === MIN_EXP) {
    // The leading bit is half the smallest subnormal, so the value rounds to zero or
    // to that subnormal. glibc decides it from every bit except the one right below
    // the 64-bit mantissa, which it loses in this case (round_and_return with a shift
    // of exactly MANT_DIG); Redis sees glibc's answer.
    let rest = h - (1n << BigInt(hLen - 1));
    if (hLen > MANT_BITS) rest &= ~(1n << BigInt(hLen - MANT_BITS - 1));
    return rest === 0n ? 'underflow' : finite(neg, 1n, MIN_EXP);
  }
  return rangeChecked(round(neg, h, e, false));
}

/** A nonzero number that rounded to infinity or zero is strtold's ERANGE case. */
function rangeChecked(r: LongDouble): Strtold {
  if (r.kind === LongDoubleKind.Infinite) return 'overflow';
  if (r.mant === 0n) return 'underflow';
  return r;
}

/** a + b, rounded once, as the FPU adds long doubles. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.kind !== LongDoubleKind.Finite || b.kind !== LongDoubleKind.Finite) {
    if (a.kind === LongDoubleKind.NaN || b.kind === LongDoubleKind.NaN) return NAN;
    if (a.kind === LongDoubleKind.Infinite && b.kind === LongDoubleKind.Infinite) {
      return a.neg === b.neg ? a : NAN;
    }
    return a.kind === LongDoubleKind.Infinite ? a : b;
  }
  if (a.mant === 0n) return b.mant === 0n ? zero(a.neg && b.neg) : b;
  if (b.mant === 0n) return a;
  const exp = Math.min(a.exp, b.exp);
  const x = a.mant << BigInt(a.exp - exp);
  const y = b.mant << BigInt(b.exp - exp);
  const sum = (a.neg ? -x : x) + (b.neg ? -y : y);
  if (sum === 0n) return zero(false);
  return sum < 0n ? round(true, -sum, exp, false) : round(false, sum, exp, false);
}

export function isFiniteLongDouble(v: LongDouble): boolean {
  return v.kind === LongDoubleKind.Finite;
}

/**
 * A finite long double as Redis's ld2string(LD_STR_HUMAN) prints it: printf "%.17Lf"
 * (the exact binary value rounded to 17 decimals, ties to even), then trailing zeros
 * and a trailing point removed, and "-0" printed as "0".
 */
export function formatLongDoubleHuman(v: LongDouble): string {
  const sign = v.neg ? '-' : '';
  let text: string;
  if (v.exp >= 0) {
    text = (v.mant << BigInt(v.exp)).toString();
  } else {
    const shift = BigInt(-v.exp);
    const num = v.mant * TEN_TO_PRINT_DIGITS;
    let q = num >> shift;
    const rest = num - (q << shift);
    const half = 1n << (shift - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
    let digits = q.toString();
    if (digits.length <= PRINT_DIGITS) digits = '0'.repeat(PRINT_DIGITS + 1 - digits.length) + digits;
    const point = digits.length - PRINT_DIGITS;
    let end = digits.length;
    while (end > point && digits.charCodeAt(end - 1) === 0x30) end--;
    text = end > point ? digits.slice(0, point) + '.' + digits.slice(point, end) : digits.slice(0, point);
  }
  return text === '0' ? '0' : sign + text;
}
