import { parseI64 } from '../util/numbers.js';

/**
 * How a packed list node (keyspace/list.ts) holds its elements in one latin1 string: each
 * element is an entry that can be read from its first char forwards or from its last
 * char backwards (so both ends of a node can be popped), in one of two forms:
 *
 * - text: [length][bytes][length reversed]. The length is base 128, low digits first,
 *   the high bit (0x80) set on every char but the last; a length under 112 is one char
 *   (0..111), 112 and more take two chars or more. Reversed, the last char of an entry
 *   is then either below 112 (a one-char length) or 0x80 and above.
 * - integer: [tag][k bytes][tag] with tag = 112 + k (113..118), for an element that is
 *   the canonical decimal text of an integer of 3 to 15 chars within +-2^47: the value
 *   in k bytes, little-endian two's complement. Its first and last chars (113..118)
 *   cannot start or end a text entry. A 10-digit id takes 6 chars instead of 12, as
 *   Redis's listpack stores it in 6 bytes.
 */

const INT_TAG = 112;
const MAX_INT_BYTES = 6;
/** 2^47: integers in (-2^47, 2^47) fit 6 bytes and are exact doubles all along. */
const INT_LIMIT = 2 ** 47;

/** One-char strings 0..127. */
const CHARS: readonly string[] = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i));

/**
 * The integer an element is packed as, or undefined to pack it as text: canonical
 * decimal (what parseI64 accepts: no '+', no leading zero, no "-0"), 3 to 15 chars, and
 * within +-2^47 (shorter texts would not shrink).
 */
export function packedInteger(s: string): number | undefined {
  const n = s.length;
  if (n < 3 || n > 15) return undefined;
  const c = s.charCodeAt(0);
  if (c !== 0x2d && (c < 0x31 || c > 0x39)) return undefined;
  const v = parseI64(s);
  if (typeof v !== 'number' || v <= -INT_LIMIT || v >= INT_LIMIT) return undefined;
  return v;
}

function lengthPrefix(n: number): string {
  if (n < INT_TAG) return CHARS[n]!;
  if (n < 16384) return String.fromCharCode(0x80 | (n & 0x7f), n >>> 7);
  let s = '';
  while (n >= 128) {
    s += String.fromCharCode(0x80 | (n & 0x7f));
    n = Math.floor(n / 128);
  }
  return s + String.fromCharCode(n);
}

function lengthSuffix(n: number): string {
  if (n < INT_TAG) return CHARS[n]!;
  if (n < 16384) return String.fromCharCode(n >>> 7, 0x80 | (n & 0x7f));
  let s = '';
  while (n >= 128) {
    s = String.fromCharCode(0x80 | (n & 0x7f)) + s;
    n = Math.floor(n / 128);
  }
  return String.fromCharCode(n) + s;
}

/** The entry of element s, as parts to join: [head, body, tail]. */
export function entryParts(s: string, out: string[], at: number): void {
  const v = packedInteger(s);
  if (v === undefined) {
    out[at] = lengthPrefix(s.length);
    out[at + 1] = s;
    out[at + 2] = lengthSuffix(s.length);
    return;
  }
  let k = 1;
  while (k < MAX_INT_BYTES && (v < -(2 ** (8 * k - 1)) || v >= 2 ** (8 * k - 1))) k++;
  let u = v < 0 ? v + 2 ** (8 * k) : v;
  let body = '';
  for (let i = 0; i < k; i++) {
    const b = u % 256;
    body += String.fromCharCode(b);
    u = (u - b) / 256;
  }
  const tag = CHARS[INT_TAG + k]!;
  out[at] = tag;
  out[at + 1] = body;
  out[at + 2] = tag;
}

/** Whether the entry at p is an integer entry: its byte count, else 0. */
function intBytes(c: number): number {
  return c > INT_TAG && c <= INT_TAG + MAX_INT_BYTES ? c - INT_TAG : 0;
}

/** The position just past the entry that starts at p. */
export function entryEnd(s: string, p: number): number {
  const c = s.charCodeAt(p);
  const k = intBytes(c);
  if (k !== 0) return p + k + 2;
  if (c < 0x80) return p + c + 2; // a one-char length: [len][bytes][len]
  const start = textStart(s, p);
  // The reversed length after the text takes as many chars as the length before it.
  return start + textLength(s, p) + (start - p);
}

/** Where the text of the text entry at p starts: past its length's chars. */
function textStart(s: string, p: number): number {
  while (s.charCodeAt(p) >= 0x80) p++;
  return p + 1;
}

/** The length of the text entry at p (its base-128 digits, low first). */
function textLength(s: string, p: number): number {
  let len = 0;
  let mul = 1;
  for (;;) {
    const d = s.charCodeAt(p++);
    len += (d & 0x7f) * mul;
    if (d < 0x80) return len;
    mul *= 128;
  }
}

/** The position where the entry ending just before `end` starts. */
export function entryStart(s: string, end: number): number {
  const c = s.charCodeAt(end - 1);
  const k = intBytes(c);
  if (k !== 0) return end - k - 2;
  if (c < 0x80) return end - 2 - c;
  let p = end;
  let len = 0;
  let mul = 1;
  for (;;) {
    const d = s.charCodeAt(--p);
    len += (d & 0x7f) * mul;
    if (d < 0x80) break;
    mul *= 128;
  }
  return p - len - (end - p);
}

/** The element of the entry that starts at p. */
export function entryValue(s: string, p: number): string {
  const c = s.charCodeAt(p);
  const k = intBytes(c);
  if (k !== 0) return String(entryInteger(s, p + 1, k));
  if (c < 0x80) return s.slice(p + 1, p + 1 + c);
  const start = textStart(s, p);
  return s.slice(start, start + textLength(s, p));
}

function entryInteger(s: string, p: number, k: number): number {
  let u = 0;
  let mul = 1;
  for (let i = 0; i < k; i++, mul *= 256) u += s.charCodeAt(p + i) * mul;
  const half = 2 ** (8 * k - 1);
  return u >= half ? u - 2 * half : u;
}

/**
 * Whether the entry at p holds `value`, without making its string; `asInteger` is
 * packedInteger(value), computed once by the caller for a whole scan.
 */
export function entryEquals(s: string, p: number, value: string, asInteger: number | undefined): boolean {
  const c = s.charCodeAt(p);
  const k = intBytes(c);
  if (k !== 0) return asInteger !== undefined && entryInteger(s, p + 1, k) === asInteger;
  if (asInteger !== undefined) return false;
  if (c < 0x80) return c === value.length && s.startsWith(value, p + 1);
  return textLength(s, p) === value.length && s.startsWith(value, textStart(s, p));
}

/**
 * Where the text of the entry at p lies: its start and end offsets in s, written to
 * out[at] and out[at + 1]; false (and nothing written) for an integer entry, whose
 * element is not stored as text.
 */
export function entryTextBounds(s: string, p: number, out: number[], at: number): boolean {
  const c = s.charCodeAt(p);
  if (intBytes(c) !== 0) return false;
  if (c < 0x80) {
    out[at] = p + 1;
    out[at + 1] = p + 1 + c;
    return true;
  }
  const start = textStart(s, p);
  out[at] = start;
  out[at + 1] = start + textLength(s, p);
  return true;
}
