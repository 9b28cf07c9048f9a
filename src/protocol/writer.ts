/**
 * Reply encoding for RESP2 and RESP3. It knows no command and no socket.
 *
 * One ReplyWriter is shared by every connection: command execution is synchronous, so
 * a connection encodes all replies to one read into the writer, then takes the bytes
 * and writes them to its socket once (one write per pipelined batch). Replies are
 * encoded straight into a slab; take() hands out the encoded region as a view of the
 * slab without copying, and later replies go after it, so a view stays valid while
 * the socket holds it. A new slab is started when the current one is full, unless every
 * view taken from it has been released (release(): the socket took the bytes at once),
 * in which case it is filled again from its start.
 *
 * Strings are latin1 (one char per byte) and are copied byte for byte, with no
 * encoding step (see writeLatin1).
 */

import { writeLatin1 } from '../util/latin1.js';
import { decimalDigits, writeDigitsBefore } from '../util/numbers.js';
import { copyFromShared, copyWords, WORDS_BELOW } from '../util/shared-copy.js';

const SLAB_SIZE = 64 * 1024;
/** A slab grown past this (for one huge reply) is not kept for reuse once released. */
const KEEP_MAX = 1024 * 1024;

export type Protocol = 2 | 3;

/** bulkBytes copies at most this many bytes with a loop (a native copy has a fixed cost of ~60-100 ns). */
const SHORT_BYTES = 32;
/** bulkBytes' staging buffer for copies out of shared memory (see copyFromShared). */
const SCRATCH_SIZE = 16 * 1024;
/** ReplyWriter.data before its first use. */
const NO_DATA = new DataView(new ArrayBuffer(0));

export class ReplyWriter {
  /** The protocol of the client being served; set per client by the connection. */
  protocol: Protocol = 2;
  /** Told of every error reply (the server counts them for INFO). */
  onError: ((text: string) => void) | null = null;
  private buf: Buffer = Buffer.allocUnsafe(SLAB_SIZE);
  private start = 0;
  private pos = 0;
  /** Bytes of buf handed out by take() and not given back by release() yet. */
  private unreleased = 0;

  /** Bytes encoded and not taken yet. */
  get pending(): number {
    return this.pos - this.start;
  }

  /**
   * Bytes left in the current slab. A reply that does not fit moves everything pending to
   * a larger buffer (a copy, and a view of it pins twice its size): a caller that takes
   * its bytes before the slab runs out avoids both.
   */
  get room(): number {
    return this.buf.length - this.pos;
  }

  /**
   * The bytes encoded since the last take(), or null if none. The view stays valid:
   * later replies are written after it or into a new slab, never over it.
   */
  take(): Buffer | null {
    if (this.pos === this.start) return null;
    const out = this.buf.subarray(this.start, this.pos);
    if (this.buf.length > KEEP_MAX) {
      // A slab grown for a huge batch is left to the view that holds it: later replies,
      // which a slow socket might hold for long, should not pin it.
      this.buf = Buffer.allocUnsafe(SLAB_SIZE);
      this.start = this.pos = 0;
      this.unreleased = 0;
      return out;
    }
    this.unreleased += out.length;
    this.start = this.pos;
    return out;
  }

  /**
   * A view take() returned is no longer used by anyone (its bytes were copied, or the
   * socket wrote them all before returning). Once every view of the current slab is
   * released and nothing is pending, the slab is filled again from its start: a batch of
   * large replies (LRANGE of 100 230-byte elements, 23 KB each) reused one slab instead
   * of leaving each grown one to V8's next scavenge, which cost a page fault per 4 KiB
   * written (glibc maps blocks from 128 KiB up afresh; bin/lapse sets that threshold).
   * A view not released only keeps its slab from being reused.
   */
  release(view: Buffer): void {
    if (view.buffer !== this.buf.buffer) return;
    this.unreleased -= view.length;
    if (this.unreleased === 0 && this.pos === this.start) this.rewind();
  }

  /** Starts the slab over (every view of it released, nothing pending). */
  private rewind(): void {
    this.start = this.pos = 0;
  }

  /** Discards what was encoded since the last take() (a reply that must not be sent). */
  discard(): void {
    this.pos = this.start;
  }

  /**
   * A position for rollback(), valid until the next take(). Relative to the bytes not
   * taken yet, so it survives ensure() moving them to a new buffer.
   */
  mark(): number {
    return this.pos - this.start;
  }

  /** Drops what was encoded after mark (a command whose reply is replaced). */
  rollback(mark: number): void {
    this.pos = this.start + mark;
  }

  /**
   * The bytes encoded after mark, copied out and dropped from the pending output: a reply
   * for another client (one blocked on keys) encoded while this batch's replies wait.
   */
  cut(mark: number): Buffer {
    const from = this.start + mark;
    const out = Buffer.from(this.buf.subarray(from, this.pos));
    this.pos = from;
    return out;
  }

  /**
   * The bytes encoded after mark, read in place: they are in `encoded` from
   * offsetOf(mark) to `encodedEnd`, until the next write to this writer (a reply read
   * back and then dropped with rollback, as a script's redis.call does).
   */
  get encoded(): Buffer {
    return this.buf;
  }

  offsetOf(mark: number): number {
    return this.start + mark;
  }

  get encodedEnd(): number {
    return this.pos;
  }

  /** Appends raw protocol bytes (pre-encoded replies). */
  raw(bytes: Buffer): void {
    this.ensure(bytes.length);
    bytes.copy(this.buf, this.pos);
    this.pos += bytes.length;
  }

  /** `+text` (text must not contain CR or LF). */
  simple(text: string): void {
    this.ensure(text.length + 3);
    const b = this.buf;
    b[this.pos++] = 0x2b;
    this.pos += writeLatin1(b, text, this.pos);
    b[this.pos++] = 0x0d;
    b[this.pos++] = 0x0a;
  }

  /** `-text`. CR and LF become spaces, as Redis does, so the reply stays one line. */
  error(text: string): void {
    if (text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0) text = text.replace(/[\r\n]/g, ' ');
    if (this.onError !== null) this.onError(text);
    this.ensure(text.length + 3);
    const b = this.buf;
    b[this.pos++] = 0x2d;
    this.pos += writeLatin1(b, text, this.pos);
    b[this.pos++] = 0x0d;
    b[this.pos++] = 0x0a;
  }

  /** `:n` for a safe integer or a bigint. */
  integer(n: number | bigint): void {
    this.prefixed(0x3a, n);
  }

  /** `$len` + bytes: a latin1 string. */
  bulk(s: string): void {
    const len = s.length;
    this.ensure(len + 24);
    const b = this.buf;
    this.writeHeader(0x24, len);
    if (len > 0) this.pos += writeLatin1(b, s, this.pos);
    b[this.pos++] = 0x0d;
    b[this.pos++] = 0x0a;
  }

  /**
   * bulkBytes() of a collection's arena (a large hash's fields and values, a large set's
   * members), `view` a DataView over all of it: short runs go in words through the view,
   * longer ones by a native copy (the shared-memory staging would only cost: an arena is
   * not shared).
   */
  bulkArena(arena: Uint8Array, view: DataView, start: number, end: number): void {
    this.bulkBytes(arena, start, end, end - start < WORDS_BELOW ? view : null, 0);
  }

  /**
   * `$len` + bytes [start, end) of src (a string value where the keyspace stores it: no
   * string is made for the reply). Short runs are copied by a loop, longer ones natively.
   * When src is a view of shared memory (the keyspace's slab), `shared` is a DataView over
   * all of that memory: copies shorter than WORDS_BELOW go in words through it, longer
   * ones through copyFromShared, which keeps them off V8's byte-at-a-time path for
   * misaligned shared memory. `sharedBase`: where src[0] lies in `shared`.
   */
  bulkBytes(src: Uint8Array, start: number, end: number, shared: DataView | null = null, sharedBase = 0): void {
    const len = end - start;
    this.ensure(len + 24);
    const b = this.buf;
    this.writeHeader(0x24, len);
    let p = this.pos;
    if (len <= SHORT_BYTES) {
      for (let i = start; i < end; i++) b[p++] = src[i]!;
    } else if (shared !== null && len < WORDS_BELOW) {
      copyWords(shared, sharedBase + start, this.bufData(), p, len);
      p += len;
    } else if (shared !== null) {
      p += copyFromShared(src, start, end, b, p, this.scratch ??= Buffer.allocUnsafeSlow(SCRATCH_SIZE));
    } else {
      Buffer.prototype.copy.call(src, b, p, start, end);
      p += len;
    }
    b[p++] = 0x0d;
    b[p++] = 0x0a;
    this.pos = p;
  }

  /** A DataView over the current buffer (made when the buffer changes). */
  private bufData(): DataView {
    const buf = this.buf;
    if (this.dataOf !== buf) {
      this.data = new DataView(buf.buffer, buf.byteOffset, buf.length);
      this.dataOf = buf;
    }
    return this.data;
  }
  private data: DataView = NO_DATA;
  private dataOf: Buffer | null = null;

  /** copyFromShared's staging buffer, made on first use. */
  private scratch: Buffer | null = null;

  /** A bulk reply of a number formatted as Redis formats integers. */
  bulkInteger(n: number | bigint): void {
    this.bulk(integerText(n));
  }

  /** Null bulk: `$-1` in RESP2, `_` in RESP3. */
  nullBulk(): void {
    if (this.protocol === 3) this.rawAscii('_\r\n');
    else this.rawAscii('$-1\r\n');
  }

  /** Null array: `*-1` in RESP2, `_` in RESP3. */
  nullArray(): void {
    if (this.protocol === 3) this.rawAscii('_\r\n');
    else this.rawAscii('*-1\r\n');
  }

  arrayHeader(n: number): void {
    this.prefixed(0x2a, n);
  }

  /** A map of n pairs: `%n` in RESP3, an array of 2n in RESP2. */
  mapHeader(n: number): void {
    if (this.protocol === 3) this.prefixed(0x25, n);
    else this.prefixed(0x2a, n * 2);
  }

  /** A set: `~n` in RESP3, an array in RESP2. */
  setHeader(n: number): void {
    this.prefixed(this.protocol === 3 ? 0x7e : 0x2a, n);
  }

  /** A push message: `>n` in RESP3, an array in RESP2. */
  pushHeader(n: number): void {
    this.prefixed(this.protocol === 3 ? 0x3e : 0x2a, n);
  }

  /** An attribute map of n pairs, sent before a reply; RESP3 only (ignored in RESP2). */
  attributeHeader(n: number): void {
    if (this.protocol === 3) this.prefixed(0x7c, n);
  }

  /** `#t` / `#f` in RESP3, `:1` / `:0` in RESP2. */
  boolean(v: boolean): void {
    if (this.protocol === 3) this.rawAscii(v ? '#t\r\n' : '#f\r\n');
    else this.rawAscii(v ? ':1\r\n' : ':0\r\n');
  }

  /**
   * A double, formatted as Redis 7.0's addReplyDouble: `,value` in RESP3 and a bulk
   * string in RESP2, using %.17g, with inf and -inf spelled out.
   */
  double(v: number): void {
    const text = formatDouble17g(v);
    if (this.protocol === 3) {
      this.ensure(text.length + 3);
      this.buf[this.pos++] = 0x2c;
      this.pos += writeLatin1(this.buf, text, this.pos);
      this.buf[this.pos++] = 0x0d;
      this.buf[this.pos++] = 0x0a;
    } else {
      this.bulk(text);
    }
  }

  /** A big number (`(digits` in RESP3), a bulk string in RESP2 (addReplyBigNum); the text must not contain CR or LF. */
  bigNumber(text: string): void {
    if (this.protocol !== 3) {
      this.bulk(text);
      return;
    }
    this.ensure(text.length + 3);
    this.buf[this.pos++] = 0x28;
    this.pos += writeLatin1(this.buf, text, this.pos);
    this.buf[this.pos++] = 0x0d;
    this.buf[this.pos++] = 0x0a;
  }

  /** A verbatim string (`=len\r\ntxt:...` in RESP3), a bulk string in RESP2. */
  verbatim(s: string, format = 'txt'): void {
    if (this.protocol !== 3) {
      this.bulk(s);
      return;
    }
    const len = s.length + 4;
    this.ensure(len + 24);
    this.writeHeader(0x3d, len);
    this.pos += writeLatin1(this.buf, format, this.pos);
    this.buf[this.pos++] = 0x3a;
    this.pos += writeLatin1(this.buf, s, this.pos);
    this.buf[this.pos++] = 0x0d;
    this.buf[this.pos++] = 0x0a;
  }

  /**
   * `count` bulk replies whose texts lie in src: the k-th is src[bounds[2k],
   * bounds[2k+1]), every one within src[from, to), in order. The span is copied into the
   * buffer once (one native copy), past the room the replies take, and each text is then
   * moved into place within the buffer (copyWithin: no view made and no call into C++ a
   * text, where bulkBytes() makes both for every text over 32 bytes). For runs of a list
   * node's elements (LRANGE); `shared` as bulkBytes's.
   */
  bulkRuns(src: Uint8Array, from: number, to: number, bounds: readonly number[], count: number, shared: DataView | null = null): void {
    let room = 0;
    for (let k = 0; k < count; k++) room += bounds[2 * k + 1]! - bounds[2 * k]! + 24;
    this.ensure(room + (to - from));
    const b = this.buf;
    const staged = this.pos + room;
    if (shared === null) Buffer.prototype.copy.call(src, b, staged, from, to);
    else if (to - from < WORDS_BELOW) copyWords(shared, from, this.bufData(), staged, to - from);
    else copyFromShared(src, from, to, b, staged, (this.scratch ??= Buffer.allocUnsafeSlow(SCRATCH_SIZE)));
    const shift = staged - from;
    let p = this.pos;
    for (let k = 0; k < count; k++) {
      const start = bounds[2 * k]!;
      const end = bounds[2 * k + 1]!;
      this.pos = p;
      this.writeHeader(0x24, end - start);
      p = this.pos;
      if (end - start <= 8) {
        for (let i = start; i < end; i++) b[p++] = b[i + shift]!;
      } else {
        b.copyWithin(p, start + shift, end + shift);
        p += end - start;
      }
      b[p++] = 0x0d;
      b[p++] = 0x0a;
    }
    this.pos = p;
  }

  /** An array of latin1 strings as bulk replies. */
  bulkArray(items: readonly string[]): void {
    this.arrayHeader(items.length);
    for (const s of items) this.bulk(s);
  }

  private rawAscii(s: string): void {
    this.ensure(s.length);
    this.pos += writeLatin1(this.buf, s, this.pos);
  }

  private prefixed(type: number, n: number | bigint): void {
    this.ensure(24);
    if (typeof n === 'bigint') {
      this.buf[this.pos++] = type;
      this.pos += writeLatin1(this.buf, n.toString(), this.pos);
      this.buf[this.pos++] = 0x0d;
      this.buf[this.pos++] = 0x0a;
    } else {
      this.writeHeader(type, n);
    }
  }

  /** Writes type byte, a decimal integer and CRLF; space must already be ensured. */
  private writeHeader(type: number, n: number): void {
    const b = this.buf;
    b[this.pos++] = type;
    if (n >= 0 && n < 10) {
      b[this.pos++] = 0x30 + n;
    } else if (Number.isSafeInteger(n) && n > 0) {
      this.pos += decimalDigits(n);
      writeDigitsBefore(b, this.pos, n);
    } else {
      this.pos += writeLatin1(b, integerText(n), this.pos);
    }
    b[this.pos++] = 0x0d;
    b[this.pos++] = 0x0a;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const pending = this.pos - this.start;
    if (this.unreleased === 0 && this.start > 0) {
      // Every view before `start` is released: the pending bytes move to the slab's start.
      this.buf.copy(this.buf, 0, this.start, this.pos);
      this.start = 0;
      this.pos = pending;
      if (pending + n <= this.buf.length) return;
    }
    // Doubling keeps a large batch linear: each byte is moved O(1) times on average.
    const next = Buffer.allocUnsafe(Math.max(SLAB_SIZE, pending + n, 2 * pending));
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = pending;
    this.unreleased = 0;
  }
}

/**
 * An integer in decimal. Beyond 2^53 String() prints a rounded decimal (2^60 as
 * "1152921504606847000"); the exact value the double holds is what C prints.
 */
function integerText(n: number | bigint): string {
  if (typeof n === 'bigint' || Number.isSafeInteger(n) || !Number.isInteger(n)) return n.toString();
  return BigInt(n).toString();
}

/**
 * C's printf("%.17g", v), as Redis 7.0 formats doubles; inf as "inf" / "-inf".
 *
 * toExponential gives the 17 significant digits correctly rounded from the exact
 * value, except that it rounds an exact tie away from zero where C rounds it to even
 * (2^-25 = 2.98023223876953125e-08 prints as ...312e-08 in C): ties are detected
 * exactly and fixed. Then %g's rule: exponent X < -4 or X >= 17 gives scientific
 * notation, else fixed; trailing zeros removed either way.
 */
export function formatDouble17g(v: number): string {
  // An integer below 2^53 has at most 16 digits, which %.17g prints whole and exactly,
  // as String() does. The general path below makes two exponential strings (V8's bignum
  // digits for 17): 3.8% of a ZPOPMIN server's samples. -0 goes on, for its sign.
  if (Number.isSafeInteger(v) && v !== 0) return String(v);
  return formatDouble17gDigits(v);
}

/** formatDouble17g without its integer shortcut (exported for the test that compares the two). */
export function formatDouble17gDigits(v: number): string {
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Number.isNaN(v)) return 'nan';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const a = Math.abs(v);
  let e17 = a.toExponential(16);
  const e18 = a.toExponential(17);
  if (e18.charCodeAt(e18.indexOf('e') - 1) === 0x35 /* 5 */ && isExactly(a, e18)) {
    // A tie at the 17th digit: C keeps the truncated digits when their last is even.
    const truncated = e18.slice(0, e18.indexOf('e') - 1) + e18.slice(e18.indexOf('e'));
    if ((truncated.charCodeAt(truncated.indexOf('e') - 1) & 1) === 0) e17 = truncated;
  }
  const ePos = e17.indexOf('e');
  const exp = Number(e17.slice(ePos + 1));
  const digits = e17[0]! + e17.slice(2, ePos);
  const sign = v < 0 ? '-' : '';
  if (exp < -4 || exp >= 17) {
    const frac = digits.slice(1).replace(/0+$/, '');
    const e = Math.abs(exp);
    return `${sign}${digits[0]}${frac.length > 0 ? '.' + frac : ''}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  let intPart: string;
  let frac: string;
  if (exp >= 0) {
    intPart = digits.slice(0, exp + 1);
    frac = digits.slice(exp + 1);
  } else {
    intPart = '0';
    frac = '0'.repeat(-exp - 1) + digits;
  }
  frac = frac.replace(/0+$/, '');
  return sign + intPart + (frac.length > 0 ? '.' + frac : '');
}

/** Whether the positive double a equals the decimal in exponential notation exactly. */
function isExactly(a: number, decimal: string): boolean {
  const ePos = decimal.indexOf('e');
  const mantissa = decimal.slice(0, ePos).replace('.', '');
  const q = Number(decimal.slice(ePos + 1)) - (mantissa.length - 1);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, a);
  const bits = view.getBigUint64(0);
  const field = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  // a = m * 2^k exactly.
  const m = field === 0 ? fraction : fraction | (1n << 52n);
  const k = field === 0 ? -1074 : field - 1075;
  // Compare m * 2^k with D * 10^q, both scaled to integers.
  const kMin = Math.min(k, 0);
  const qMin = Math.min(q, 0);
  const left = m * 2n ** BigInt(k - kMin) * 10n ** BigInt(-qMin);
  const right = BigInt(mantissa) * 10n ** BigInt(q - qMin) * 2n ** BigInt(-kMin);
  return left === right;
}
