import { RecentViews } from '../util/shared-copy.js';

/**
 * LZF, the compression Redis uses for strings in RDB files and DUMP payloads (RDB_ENC_LZF):
 *
 *   000LLLLL <L+1 literal bytes>          a literal run of 1..32 bytes
 *   LLLOOOOO oooooooo                     a back reference of L+2 bytes (L = 1..6)
 *   111OOOOO LLLLLLLL oooooooo            a back reference of L+9 bytes
 *
 * where the reference starts (O << 8 | o) + 1 bytes before the current output position
 * and may overlap the bytes it produces. References are 3 to 264 bytes long and reach
 * back at most 8192 bytes.
 *
 * The compressor makes the choices Redis 7.0's bundled liblzf makes (lzf_c.c built with
 * lzfP.h's settings: HLOG 16, VERY_FAST, 32-bit table slots holding offsets), so its
 * output is Redis's byte for byte: DUMP payloads and RDB files equal redis-server's for
 * the same data, and a string Redis stores raw (the result would not fit in len - 4
 * bytes) is stored raw here too. Written from reading that source, not copied.
 */

const HASH_LOG = 16;
const HASH_SIZE = 1 << HASH_LOG;
const MAX_LITERAL = 32;
const MAX_OFFSET = 8192;
const MAX_REFERENCE = 264;
/** The match search compares this many bytes before it looks at the length limit. */
const UNROLLED = 16;

/**
 * liblzf's table slot for 3 bytes as a 24-bit value v, first byte highest (its IDX of
 * FRST/NEXT with HLOG 16): v shifted right by 8, minus 5 times v, modulo 2^16. Any other hash
 * finds other matches, hence other bytes.
 */
function slotOf(v: number): number {
  return ((v >>> 8) - v * 5) & (HASH_SIZE - 1);
}

/**
 * An LZF compressor: its hash table of recent 3-byte prefixes, reused from string to
 * string. One per RDB encoder (a snapshot compresses many strings; clearing a 256 KiB
 * table for each would cost more than compressing a short one).
 */
export class LzfCompressor {
  /**
   * Positions of recent 3-byte prefixes, as position + base. `base` grows with each call
   * so entries left by earlier inputs read as empty without clearing the table: the
   * output is the one for a clean table, by construction.
   *
   * Redis leaves its table uninitialised (INIT_HTAB 0: stale slots from an earlier call,
   * or stack garbage), yet its output is the clean-table one too: a stale slot is read
   * only while this input has not yet hashed that slot's 3 bytes anywhere, and every
   * first occurrence of 3 bytes is hashed (only the inside of a reference is skipped,
   * and that is a copy of earlier bytes); so the earlier position a stale slot names
   * cannot hold those 3 bytes, and liblzf's byte comparison rejects it. Checked against
   * redis-server by bench/micro/lzf-stale-table.ts.
   */
  private table: Int32Array | null = null;
  private base = 1;

  /**
   * Compresses input[0, length) into out; returns the compressed length, or 0 if liblzf
   * would give up within `limit` output bytes (Redis asks for length - 4 and stores the
   * string uncompressed otherwise). Writes only below min(limit, out.length).
   */
  compress(input: Uint8Array, length: number, out: Uint8Array, limit: number): number {
    if (length === 0) return 0;
    const table = (this.table ??= new Int32Array(HASH_SIZE));
    if (this.base > 0x3fffffff - length) {
      table.fill(0);
      this.base = 1;
    }
    const b = this.base;
    this.base += length + 1;
    return compressWith(table, b, input, length, out, Math.min(limit, out.length));
  }
}

/**
 * lzf_compress's pass, with the table's entries offset by b (see LzfCompressor). Its
 * bounds checks are liblzf's, which is what decides when Redis gives up: a literal needs
 * op below the end; a reference needs op + 4 below it (op without the header of an empty
 * run, which the reference replaces); the last input bytes need op + 3 at most the end.
 */
function compressWith(table: Int32Array, b: number, input: Uint8Array, length: number, out: Uint8Array, end: number): number {
  if (end <= 0) return 0;
  let ip = 0;
  // op is one past the header byte of the literal run being collected (lit bytes so far).
  let op = 1;
  let lit = 0;
  const last = length - 2;
  // The 3 bytes at ip, rolled forward one byte at a time (liblzf's FRST/NEXT).
  let v = length > 1 ? (input[0]! << 8) | input[1]! : 0;
  while (ip < last) {
    v = ((v << 8) | input[ip + 2]!) & 0xffffff;
    const h = slotOf(v);
    const ref = table[h]! - b;
    table[h] = ip + b;
    const off = ip - ref - 1;
    // liblzf's test: the offset compared unsigned (an entry at or past ip never matches),
    // and a reference never starts at position 0 (`ref > in_data`).
    if (
      off >>> 0 < MAX_OFFSET &&
      ref > 0 &&
      input[ref + 2] === (v & 0xff) &&
      input[ref] === v >>> 16 &&
      input[ref + 1] === ((v >>> 8) & 0xff)
    ) {
      if (op - (lit === 0 ? 1 : 0) + 4 >= end) return 0;
      if (lit > 0) out[op - lit - 1] = lit - 1;
      else op--; // no literal before the reference: its run header goes
      const maxlen = Math.min(length - ip - 2, MAX_REFERENCE);
      // len ends at the first byte that differs or at the limit; liblzf checks the limit
      // only after its first 16 comparisons, so a reference can reach 19 bytes when
      // maxlen is 17 or 18 (up to the end of the input).
      let len = 2;
      search: {
        if (maxlen > UNROLLED) {
          for (let k = 0; k < UNROLLED; k++) {
            len++;
            if (input[ref + len] !== input[ip + len]) break search;
          }
        }
        do len++;
        while (len < maxlen && input[ref + len] === input[ip + len]);
      }
      const l = len - 2;
      if (l < 7) {
        out[op++] = (l << 5) | (off >>> 8);
      } else {
        out[op++] = (7 << 5) | (off >>> 8);
        out[op++] = l - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++;
      ip += len;
      if (ip >= last) break;
      // Index the two positions before the next one (VERY_FAST), for later matches, and
      // leave v holding the bytes before ip for the next round.
      v = (input[ip - 2]! << 16) | (input[ip - 1]! << 8) | input[ip]!;
      table[slotOf(v)] = ip - 2 + b;
      v = ((v << 8) | input[ip + 1]!) & 0xffffff;
      table[slotOf(v)] = ip - 1 + b;
      continue;
    }
    if (op >= end) return 0;
    lit++;
    out[op++] = input[ip++]!;
    if (lit === MAX_LITERAL) {
      out[op - MAX_LITERAL - 1] = MAX_LITERAL - 1;
      lit = 0;
      op++;
    }
  }
  // The last bytes (at most two) are literals.
  if (op + 3 > end) return 0;
  while (ip < length) {
    lit++;
    out[op++] = input[ip++]!;
    if (lit === MAX_LITERAL) {
      out[op - MAX_LITERAL - 1] = MAX_LITERAL - 1;
      lit = 0;
      op++;
    }
  }
  if (lit > 0) out[op - lit - 1] = lit - 1;
  else op--;
  return op;
}

/** A compressed stream that does not decode to the announced length. */
export class LzfError extends Error {}

/**
 * Decompresses input[start, end) into exactly `outLength` bytes. Throws LzfError if the
 * stream is malformed (a reference before the start, a run past either end) or does
 * not produce exactly outLength bytes.
 */
export function lzfDecompress(input: Uint8Array, start: number, end: number, outLength: number): Buffer {
  const out = Buffer.allocUnsafe(outLength);
  lzfDecompressInto(input, start, end, out, outLength);
  return out;
}

/** lzfDecompress into out[0, outLength) (out may be larger: a reused buffer). */
export function lzfDecompressInto(input: Uint8Array, start: number, end: number, out: Uint8Array, outLength: number): void {
  if (outLength < WORDS_FROM) decode(input, null, start, end, out, null, outLength);
  else decode(input, viewOf(input), start, end, out, viewOf(out), outLength);
}

/**
 * lzfDecompressInto for a reader that decompresses many strings from the same buffers
 * (an RDB load: the read window into one scratch): the DataViews over the last input and
 * output are kept while the buffers stay the same.
 */
export class LzfDecoder {
  private readonly views = new RecentViews();

  decompressInto(input: Uint8Array, start: number, end: number, out: Uint8Array, outLength: number): void {
    const views = this.views;
    decode(input, views.of(input), start, end, out, views.of(out), outLength);
  }
}

/** Outputs from this length are decoded with word moves (lzfDecompressInto makes two DataViews for them). */
const WORDS_FROM = 64;
/** Back-references from this length that are runs of one byte, or do not overlap, are one builtin call (fill, copyWithin). */
const BULK_FROM = 24;

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const fill = Uint8Array.prototype.fill;

/**
 * liblzf's lzf_decompress. With DataViews over input and out, literal runs and
 * back-references at least 4 bytes behind move 4 bytes at a time (a 4-byte word read
 * behind op is complete, since it ends at or before op), a run of one byte is a fill
 * and a long reference that does not overlap is a copyWithin: 230-byte session values
 * as Redis compresses them (bench/lib/payload.ts's, 155 bytes each), 420-440 -> 220-240
 * ns a value (the byte loop against this, alternated in one process, 3 rounds). Without
 * views, byte by byte.
 */
function decode(input: Uint8Array, iv: DataView | null, start: number, end: number, out: Uint8Array, ov: DataView | null, outLength: number): void {
  let ip = start;
  let op = 0;
  while (ip < end) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      let n = ctrl + 1;
      if (op + n > outLength) throw new LzfError('LZF literal run past the output length');
      if (ip + n > end) throw new LzfError('LZF literal run past the input');
      if (ov !== null) {
        for (; n >= 4; n -= 4, ip += 4, op += 4) ov.setUint32(op, iv!.getUint32(ip));
      }
      for (; n > 0; n--) out[op++] = input[ip++]!;
      continue;
    }
    let len = ctrl >>> 5;
    if (len === 7) {
      if (ip >= end) throw new LzfError('LZF reference cut short');
      len += input[ip++]!;
    }
    if (ip >= end) throw new LzfError('LZF reference cut short');
    const distance = ((ctrl & 0x1f) << 8) + input[ip++]! + 1;
    const ref = op - distance;
    len += 2;
    if (ref < 0) throw new LzfError('LZF reference before the start of the output');
    if (op + len > outLength) throw new LzfError('LZF reference past the output length');
    if (ov !== null) {
      if (len >= BULK_FROM && distance === 1) {
        fill.call(out, out[ref]!, op, op + len);
        op += len;
        continue;
      }
      if (len >= BULK_FROM && distance >= len) {
        out.copyWithin(op, ref, ref + len);
        op += len;
        continue;
      }
      if (distance >= 4) {
        let k = 0;
        for (; k + 4 <= len; k += 4) ov.setUint32(op + k, ov.getUint32(ref + k));
        for (; k < len; k++) out[op + k] = out[ref + k]!;
        op += len;
        continue;
      }
    }
    for (let k = 0; k < len; k++) out[op++] = out[ref + k]!;
  }
  if (op !== outLength) throw new LzfError(`LZF stream decoded to ${op} bytes, ${outLength} announced`);
}
