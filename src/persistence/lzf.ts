/**
 * LZF, the compression Redis uses for strings in RDB files (RDB_ENC_LZF), written from
 * the format description:
 *
 *   000LLLLL <L+1 literal bytes>          a literal run of 1..32 bytes
 *   LLLOOOOO oooooooo                     a back reference of L+2 bytes (L = 1..6)
 *   111OOOOO LLLLLLLL oooooooo            a back reference of L+9 bytes
 *
 * where the reference starts (O << 8 | o) + 1 bytes before the current output position
 * and may overlap the bytes it produces. References are 3 to 264 bytes long and reach
 * back at most 8192 bytes.
 *
 * The compressor is a greedy single pass with a hash table of 3-byte prefixes, as
 * liblzf's; its output differs from liblzf's byte for byte but any LZF decoder (Redis's
 * lzf_decompress included) reads it.
 */

const HASH_LOG = 14;
const HASH_SIZE = 1 << HASH_LOG;
const MAX_LITERAL = 32;
const MAX_OFFSET = 8192;
const MAX_REFERENCE = 264;

/**
 * An LZF compressor: its hash table of recent 3-byte prefixes, reused from string to
 * string. One per RDB encoder (a snapshot compresses many strings; a table per string
 * would cost 64 KiB to allocate and clear each time).
 */
export class LzfCompressor {
  /**
   * Positions of recent 3-byte prefixes, as position + base. `base` grows with each call
   * so entries left by earlier inputs read as empty without clearing the table: the
   * output depends only on the input.
   */
  private table: Int32Array | null = null;
  private base = 1;

  /**
   * Compresses input[0, length) into out; returns the compressed length, or 0 if the
   * result would not fit in `limit` bytes (Redis asks for length - 4 and stores the
   * string uncompressed otherwise).
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
    return compressWith(table, b, input, length, out, limit);
  }
}

/** The compression pass, with the table's entries offset by b (see LzfCompressor). */
function compressWith(table: Int32Array, b: number, input: Uint8Array, length: number, out: Uint8Array, limit: number): number {
  const end = Math.min(limit, out.length);
  let ip = 0;
  let op = 0;
  let lit = 0;
  let litPos = 0;
  while (ip < length) {
    // A back reference needs 3 bytes to match: the last two bytes are always literals.
    if (ip + 2 < length) {
      const v = (input[ip]! << 16) | (input[ip + 1]! << 8) | input[ip + 2]!;
      const h = Math.imul(v, 0x9e3779b1) >>> (32 - HASH_LOG);
      const ref = table[h]! - b;
      table[h] = ip + b;
      const off = ip - ref - 1;
      if (
        ref >= 0 &&
        off < MAX_OFFSET &&
        input[ref] === input[ip] &&
        input[ref + 1] === input[ip + 1] &&
        input[ref + 2] === input[ip + 2]
      ) {
        const max = Math.min(MAX_REFERENCE, length - ip);
        let len = 3;
        while (len < max && input[ref + len] === input[ip + len]) len++;
        if (lit > 0) {
          out[litPos] = lit - 1;
          lit = 0;
        }
        const l = len - 2;
        if (l < 7) {
          if (op + 2 > end) return 0;
          out[op++] = (l << 5) | (off >>> 8);
        } else {
          if (op + 3 > end) return 0;
          out[op++] = (7 << 5) | (off >>> 8);
          out[op++] = l - 7;
        }
        out[op++] = off & 0xff;
        ip += len;
        // Index the two positions before the next one, as liblzf does, for later matches.
        if (ip + 2 < length) {
          for (let p = ip - 2; p < ip; p++) {
            const w = (input[p]! << 16) | (input[p + 1]! << 8) | input[p + 2]!;
            table[Math.imul(w, 0x9e3779b1) >>> (32 - HASH_LOG)] = p + b;
          }
        }
        continue;
      }
    }
    if (lit === 0) {
      if (op + 2 > end) return 0;
      litPos = op++;
    } else if (op + 1 > end) {
      return 0;
    }
    out[op++] = input[ip++]!;
    if (++lit === MAX_LITERAL) {
      out[litPos] = MAX_LITERAL - 1;
      lit = 0;
    }
  }
  if (lit > 0) out[litPos] = lit - 1;
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
  let ip = start;
  let op = 0;
  while (ip < end) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (op + n > outLength) throw new LzfError('LZF literal run past the output length');
      if (ip + n > end) throw new LzfError('LZF literal run past the input');
      for (let k = 0; k < n; k++) out[op++] = input[ip++]!;
      continue;
    }
    let len = ctrl >>> 5;
    if (len === 7) {
      if (ip >= end) throw new LzfError('LZF reference cut short');
      len += input[ip++]!;
    }
    if (ip >= end) throw new LzfError('LZF reference cut short');
    const ref = op - ((ctrl & 0x1f) << 8) - input[ip++]! - 1;
    len += 2;
    if (ref < 0) throw new LzfError('LZF reference before the start of the output');
    if (op + len > outLength) throw new LzfError('LZF reference past the output length');
    for (let k = 0; k < len; k++) out[op++] = out[ref + k]!;
  }
  if (op !== outLength) throw new LzfError(`LZF stream decoded to ${op} bytes, ${outLength} announced`);
}
