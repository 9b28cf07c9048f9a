import { cString } from './c-string.js';

/**
 * Number parsing with Redis's exact acceptance rules. Arguments arrive as latin1 strings.
 *
 * Redis parses integers with string2ll(): an optional '-', then either a single "0" or a
 * digit 1-9 followed by digits; no '+', no spaces, no leading zeros, at most 20 chars,
 * and within [-2^63, 2^63-1]. JavaScript numbers are exact only up to 2^53, so values
 * beyond that come back as bigint; callers that do arithmetic near the int64 limits
 * (INCRBY, EXPIRE) use the exact helpers below.
 */

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;
export const UINT64_MAX = 18446744073709551615n;

/** int64 as number when |v| <= 2^53-1, bigint otherwise; undefined if not a valid int64. */
export function parseI64(s: string): number | bigint | undefined {
  const len = s.length;
  if (len === 0 || len > 20) return undefined;
  let i = 0;
  let negative = false;
  if (s.charCodeAt(0) === 0x2d /* - */) {
    negative = true;
    i = 1;
    if (len === 1) return undefined;
  }
  const first = s.charCodeAt(i);
  if (first === 0x30 /* 0 */) {
    // "0" is the only number allowed to start with a zero; "-0" is rejected like in Redis.
    return len === 1 ? 0 : undefined;
  }
  if (first < 0x31 || first > 0x39) return undefined;
  if (len - i <= 15) {
    let v = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i) - 0x30;
      if (c < 0 || c > 9) return undefined;
      v = v * 10 + c;
    }
    return negative ? -v : v;
  }
  for (let j = i; j < len; j++) {
    const c = s.charCodeAt(j);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const big = BigInt(s);
  if (big > INT64_MAX || big < INT64_MIN) return undefined;
  if (big <= 9007199254740991n && big >= -9007199254740991n) return Number(big);
  return big;
}

/**
 * parseI64 over bytes [start, end) of a stored value, without making a string of them
 * when they can be a safe integer (at most 15 digits): INCR reads its counter this way.
 */
export function parseI64Bytes(bytes: Uint8Array, start: number, end: number): number | bigint | undefined {
  const len = end - start;
  const negative = len > 1 && bytes[start] === 0x2d; /* - */
  const digits = negative ? len - 1 : len;
  if (digits < 1 || digits > 15) return len > 15 ? parseI64(Buffer.from(bytes.buffer, bytes.byteOffset + start, len).toString('latin1')) : undefined;
  let i = negative ? start + 1 : start;
  const first = bytes[i]!;
  // "0" is the only number allowed to start with a zero; "-0" is rejected like in Redis.
  if (first === 0x30) return len === 1 ? 0 : undefined;
  let v = 0;
  for (; i < end; i++) {
    const c = bytes[i]! - 0x30;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  return negative ? -v : v;
}

/**
 * Redis's getLongFromObject: an int64 as a number (exact up to 2^53, which is all the
 * counts and indexes it is used for need), or undefined if s is not one.
 */
export function parseLong(s: string): number | undefined {
  const v = parseI64(s);
  return v === undefined ? undefined : Number(v);
}

/**
 * int64 as a number (inexact beyond 2^53, which only matters for arithmetic), or NaN if
 * the string is not a valid int64. For counts, indexes and offsets.
 */
export function parseIntArg(s: string): number {
  const v = parseI64(s);
  if (v === undefined) return NaN;
  return typeof v === 'number' ? v : Number(v);
}

/**
 * Parses an unsigned 64-bit cursor the way Redis's parseScanCursorOrReply does with
 * strtoul(): no leading whitespace, an optional sign, decimal digits, nothing after,
 * no overflow; a negative value wraps modulo 2^64 as strtoul does. C reads the argument
 * up to its first NUL, and strtoul of an empty string converts nothing yet stops at the
 * end, so "" and "7\0junk" are the cursors 0 and 7.
 */
export function parseCursor(arg: string): bigint | undefined {
  const s = cString(arg);
  if (s.length === 0) return 0n;
  let i = 0;
  let negative = false;
  const c0 = s.charCodeAt(0);
  if (c0 === 0x2b || c0 === 0x2d) {
    negative = c0 === 0x2d;
    i = 1;
  }
  if (i === s.length) return undefined;
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const v = BigInt(s.slice(i));
  if (v > UINT64_MAX) return undefined;
  return negative && v !== 0n ? (1n << 64n) - v : v;
}

const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_FLOAT = /^([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const SPECIAL = /^([+-]?)(inf|infinity|nan(?:\([0-9a-zA-Z_]*\))?)$/i;

/**
 * The whole string as C's strtod() reads it (decimal, hex float, inf, infinity, nan),
 * NaN if strtod would stop before the end. The caller decides what NaN means.
 */
export function parseCDouble(s: string): number {
  // The usual argument, an integer of up to 15 digits (exact in a double), read without
  // the regular expression: what DECIMAL_FLOAT and Number() make of it.
  const n = s.length;
  if (n > 0 && n <= 15) {
    const first = s.charCodeAt(0);
    let i = first === 0x2d /* - */ || first === 0x2b /* + */ ? 1 : 0;
    if (i < n) {
      let v = 0;
      for (; i < n; i++) {
        const d = s.charCodeAt(i) - 0x30;
        if (d < 0 || d > 9) break;
        v = v * 10 + d;
      }
      if (i === n) return first === 0x2d ? -v : v;
    }
  }
  if (DECIMAL_FLOAT.test(s)) return Number(s);
  let m = SPECIAL.exec(s);
  if (m) {
    if (m[2]!.toLowerCase().startsWith('nan')) return NaN;
    return m[1] === '-' ? -Infinity : Infinity;
  }
  m = HEX_FLOAT.exec(s);
  if (m) {
    const [, sign, digits, exp] = m;
    const dot = digits!.indexOf('.');
    const intPart = dot < 0 ? digits! : digits!.slice(0, dot);
    const fracPart = dot < 0 ? '' : digits!.slice(dot + 1);
    let v = 0;
    for (const ch of intPart) v = v * 16 + parseInt(ch, 16);
    let scale = 1 / 16;
    for (const ch of fracPart) {
      v += parseInt(ch, 16) * scale;
      scale /= 16;
    }
    v *= 2 ** (exp ? parseInt(exp, 10) : 0);
    return sign === '-' ? -v : v;
  }
  return NaN;
}

/** How many decimal digits a non-negative safe integer has. */
export function decimalDigits(n: number): number {
  // Comparisons, not divisions: a division by 10 in doubles is a divsd and a round per
  // digit, and replies call this for every length header.
  if (n < 10) return 1;
  if (n < 100) return 2;
  if (n < 1000) return 3;
  if (n < 10000) return 4;
  if (n < 100000) return 5;
  if (n < 1000000) return 6;
  if (n < 10000000) return 7;
  if (n < 100000000) return 8;
  if (n < 1000000000) return 9;
  let digits = 10;
  for (let x = n; x >= 1e10; x = Math.floor(x / 10)) digits++;
  return digits;
}

/**
 * Writes the decimal digits of a non-negative safe integer into bytes, the last one just
 * before `end` (decimalDigits(n) of them); returns where the first is. No string is made.
 */
export function writeDigitsBefore(bytes: Uint8Array, end: number, n: number): number {
  let p = end;
  let x = n;
  while (x > 0x7fffffff) {
    const q = Math.floor(x / 10);
    bytes[--p] = 0x30 + (x - q * 10);
    x = q;
  }
  // Below 2^31 in int32 arithmetic, where a division by the constant 10 compiles to a
  // multiplication (in doubles it was a divsd and a round per digit). Measured on a mix
  // of lengths and counters with decimalDigits: 30 -> 22 ns a number.
  for (let y = x | 0; ; ) {
    const q = (y / 10) | 0;
    bytes[--p] = 0x30 + (y - q * 10);
    if (q === 0) return p;
    y = q;
  }
}
