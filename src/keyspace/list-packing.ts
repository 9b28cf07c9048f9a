import { parseI64 } from '../util/numbers.js';
import { latin1Slice, readLatin1, writeLatin1 } from '../util/latin1.js';

/**
 * How a list node (keyspace/list.ts) holds its elements in its bytes: each element is an
 * entry that can be read from its first byte forwards or from its last byte backwards
 * (so both ends of a node can be pushed and popped), in one of two forms:
 *
 * - text: [length][bytes][length reversed]. The length is base 128, low digits first,
 *   the high bit (0x80) set on every byte but the last; a length under 112 is one byte
 *   (0..111), 112 and more take two bytes or more. Reversed, the last byte of an entry
 *   is then either below 112 (a one-byte length) or 0x80 and above.
 * - integer: [tag][k bytes][tag] with tag = 112 + k (113..118), for an element that is
 *   the canonical decimal text of an integer of 3 to 15 chars within +-2^47: the value
 *   in k bytes, little-endian two's complement. Its first and last bytes (113..118)
 *   cannot start or end a text entry. A 10-digit id takes 6 or 7 bytes instead of 12, as
 *   Redis's listpack stores it in 6 bytes.
 *
 * Elements are latin1 strings (one char per byte), so a text entry's bytes are its
 * string's chars.
 */

const INT_TAG = 112;
const MAX_INT_BYTES = 6;
/** 2^47: integers in (-2^47, 2^47) fit 6 bytes and are exact doubles all along. */
const INT_LIMIT = 2 ** 47;
/** Texts up to this long are read by readLatin1 (no call into C++). */
const SHORT_TEXT = 24;

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

/** Bytes of an integer entry's value: the fewest that hold v in two's complement. */
function integerBytes(v: number): number {
  let k = 1;
  while (k < MAX_INT_BYTES && (v < -(2 ** (8 * k - 1)) || v >= 2 ** (8 * k - 1))) k++;
  return k;
}

/** Bytes a text length takes at each end of its entry. */
function lengthBytes(n: number): number {
  if (n < INT_TAG) return 1;
  let k = 2;
  for (n = Math.floor(n / 16384); n > 0; n = Math.floor(n / 128)) k++;
  return k;
}

/** The bytes of the entry of element s; `asInteger` is packedInteger(s). */
export function entrySize(s: string, asInteger: number | undefined): number {
  if (asInteger !== undefined) return integerBytes(asInteger) + 2;
  const n = s.length;
  return n < INT_TAG ? n + 2 : n + 2 * lengthBytes(n);
}

/**
 * Writes the entry of element s at b[at] (entrySize(s, asInteger) bytes, room the
 * caller made), and returns that size; `asInteger` is packedInteger(s).
 */
export function writeEntry(b: Buffer, at: number, s: string, asInteger: number | undefined): number {
  if (asInteger !== undefined) {
    const k = integerBytes(asInteger);
    const tag = INT_TAG + k;
    b[at] = tag;
    let u = asInteger < 0 ? asInteger + 2 ** (8 * k) : asInteger;
    for (let i = 1; i <= k; i++) {
      const d = u % 256;
      b[at + i] = d;
      u = (u - d) / 256;
    }
    b[at + k + 1] = tag;
    return k + 2;
  }
  const n = s.length;
  if (n < INT_TAG) {
    b[at] = n;
    if (n > 0) writeLatin1(b, s, at + 1);
    b[at + 1 + n] = n;
    return n + 2;
  }
  const k = lengthBytes(n);
  // The length low digits first, then the same bytes in the reverse order after the text.
  let v = n;
  for (let i = 0; i < k; i++) {
    const d = i === k - 1 ? v : 0x80 | (v & 0x7f);
    b[at + i] = d;
    b[at + 2 * k + n - 1 - i] = d;
    v = Math.floor(v / 128);
  }
  writeLatin1(b, s, at + k);
  return n + 2 * k;
}

/** Whether the entry starting (or ending) with byte c is an integer entry: its byte count, else 0. */
function intBytes(c: number): number {
  return c > INT_TAG && c <= INT_TAG + MAX_INT_BYTES ? c - INT_TAG : 0;
}

/** The position just past the entry that starts at p. */
export function entryEnd(b: Uint8Array, p: number): number {
  const c = b[p]!;
  const k = intBytes(c);
  if (k !== 0) return p + k + 2;
  if (c < 0x80) return p + c + 2; // a one-byte length: [len][bytes][len]
  const start = textStart(b, p);
  // The reversed length after the text takes as many bytes as the length before it.
  return start + textLength(b, p) + (start - p);
}

/** Where the text of the text entry at p starts: past its length's bytes. */
function textStart(b: Uint8Array, p: number): number {
  while (b[p]! >= 0x80) p++;
  return p + 1;
}

/** The length of the text entry at p (its base-128 digits, low first). */
function textLength(b: Uint8Array, p: number): number {
  let len = 0;
  let mul = 1;
  for (;;) {
    const d = b[p++]!;
    len += (d & 0x7f) * mul;
    if (d < 0x80) return len;
    mul *= 128;
  }
}

/** The position where the entry ending just before `end` starts. */
export function entryStart(b: Uint8Array, end: number): number {
  const c = b[end - 1]!;
  const k = intBytes(c);
  if (k !== 0) return end - k - 2;
  if (c < 0x80) return end - 2 - c;
  let p = end;
  let len = 0;
  let mul = 1;
  for (;;) {
    const d = b[--p]!;
    len += (d & 0x7f) * mul;
    if (d < 0x80) break;
    mul *= 128;
  }
  return p - len - (end - p);
}

function readInteger(b: Uint8Array, p: number, k: number): number {
  let u = 0;
  let mul = 1;
  for (let i = 0; i < k; i++, mul *= 256) u += b[p + i]! * mul;
  const half = 2 ** (8 * k - 1);
  return u >= half ? u - 2 * half : u;
}

/** The element of the entry that starts at p. */
export function entryValue(b: Buffer, p: number): string {
  const c = b[p]!;
  const k = intBytes(c);
  if (k !== 0) return String(readInteger(b, p + 1, k));
  let start: number;
  let n: number;
  if (c < 0x80) {
    start = p + 1;
    n = c;
  } else {
    start = textStart(b, p);
    n = textLength(b, p);
  }
  return n <= SHORT_TEXT ? readLatin1(b, start, start + n) : latin1Slice.call(b, start, start + n);
}

/**
 * Whether the entry at p holds `value`, without making its string; `asInteger` is
 * packedInteger(value), computed once by the caller for a whole scan.
 */
export function entryEquals(b: Uint8Array, p: number, value: string, asInteger: number | undefined): boolean {
  const c = b[p]!;
  const k = intBytes(c);
  if (k !== 0) return asInteger !== undefined && readInteger(b, p + 1, k) === asInteger;
  if (asInteger !== undefined) return false;
  const n = value.length;
  let start: number;
  if (c < 0x80) {
    if (c !== n) return false;
    start = p + 1;
  } else {
    if (textLength(b, p) !== n) return false;
    start = textStart(b, p);
  }
  for (let i = 0; i < n; i++) if (b[start + i] !== value.charCodeAt(i)) return false;
  return true;
}

/** Where an entry's element goes as bytes (a reply writer is one). */
export interface EntrySink {
  /**
   * A text element: src[start, end); `shared`, when src is a view of shared memory, a
   * DataView over all of src (copies read it in words, not through V8's byte-at-a-time
   * copy of shared memory).
   */
  bulkBytes(src: Uint8Array, start: number, end: number, shared: DataView | null): void;
  /** An integer entry's value. */
  bulkInteger(n: number): void;
}

/**
 * Where the text of the entry at p lies: its start and end written to out[at] and
 * out[at + 1]; false (nothing written) for an integer entry, whose element is not text.
 */
export function entryTextBounds(b: Uint8Array, p: number, out: number[], at: number): boolean {
  const c = b[p]!;
  if (intBytes(c) !== 0) return false;
  if (c < 0x80) {
    out[at] = p + 1;
    out[at + 1] = p + 1 + c;
    return true;
  }
  const start = textStart(b, p);
  out[at] = start;
  out[at + 1] = start + textLength(b, p);
  return true;
}

/** Sends the element of the entry at p to sink, from its bytes (no string made); `shared` as EntrySink.bulkBytes's. */
export function sendEntry(b: Uint8Array, p: number, sink: EntrySink, shared: DataView | null): void {
  const c = b[p]!;
  const k = intBytes(c);
  if (k !== 0) {
    sink.bulkInteger(readInteger(b, p + 1, k));
  } else if (c < 0x80) {
    sink.bulkBytes(b, p + 1, p + 1 + c, shared);
  } else {
    const start = textStart(b, p);
    sink.bulkBytes(b, start, start + textLength(b, p), shared);
  }
}
