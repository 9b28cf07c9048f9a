/**
 * Copying out of a SharedArrayBuffer at the speed of a plain copy.
 *
 * V8 copies between typed arrays with memmove, except when either side is shared memory:
 * then it uses a "relaxed" copy (base::Relaxed_Memcpy) that moves 8-byte words only
 * while source and target are both 8-byte aligned, and single bytes otherwise. So the
 * speed of copying a stored value out of the keyspace's slab (shared arenas, for the
 * snapshot worker) depends on where the reply happens to put it: when the two addresses
 * differ modulo 8 (7 times in 8), every byte is a separate load and store. Measured
 * (node 20, this project's machine, values in cache): 2,000 bytes 613 ns misaligned,
 * 149 aligned, 113 from an ordinary ArrayBuffer; 230 bytes 131 vs 84 vs 75.
 *
 * copyFromShared() goes through a scratch buffer when that is cheaper: an aligned copy
 * out of shared memory into the scratch at the source's own offset modulo 8, then an
 * ordinary memmove to the target. Two native calls (~70 ns of fixed cost) pay off from
 * a few hundred bytes up; below that, or when the two already agree modulo 8, it is one
 * copy.
 *
 * Alignment is reasoned from byteOffset: every ArrayBuffer's and SharedArrayBuffer's
 * backing store is at least 8-byte aligned (V8 allocates them so).
 */

/** Misaligned copies at least this long go through the scratch buffer (crossover measured near 300 bytes). */
export const REALIGN_FROM = 512;

/**
 * DataViews over the last two byte arrays asked for, by identity: a caller that copies
 * between the same two buffers again and again (an RDB load's read window and its
 * decompression scratch) makes a view per buffer, not per copy. Holds those buffers
 * until forget() or until two others are asked for.
 */
export class RecentViews {
  private first: Uint8Array | null = null;
  private firstView: DataView | null = null;
  private second: Uint8Array | null = null;
  private secondView: DataView | null = null;

  of(bytes: Uint8Array): DataView {
    if (bytes === this.first) return this.firstView!;
    const view = bytes === this.second ? this.secondView! : new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // The one just used goes first.
    this.second = this.first;
    this.secondView = this.firstView;
    this.first = bytes;
    this.firstView = view;
    return view;
  }

  forget(): void {
    this.first = this.second = null;
    this.firstView = this.secondView = null;
  }
}

/**
 * Copies shorter than this go word by word in JavaScript (copyWords): below it the
 * native copy's fixed cost (a view made, a call into C++) and the relaxed byte-at-a-time
 * loop cost more. Measured (node 20, values in cache, random alignments, 3 runs): 230
 * bytes 131-140 ns by Buffer.copy, 85-87 by copyWords; 128 bytes 106 vs 55; 37 bytes 97
 * vs 36; 512 bytes 171 vs 183 (the crossover).
 */
export const WORDS_BELOW = 384;

/**
 * Copies n bytes from src (at byte `from`) to target (at `at`) with 32-bit loads and
 * stores through DataViews, which TurboFan compiles to plain unaligned moves, shared
 * memory or not. Integers, never float64: a NaN's bits need not survive a float round
 * trip.
 */
export function copyWords(src: DataView, from: number, target: DataView, at: number, n: number): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    target.setInt32(at + i, src.getInt32(from + i, true), true);
    target.setInt32(at + i + 4, src.getInt32(from + i + 4, true), true);
  }
  for (; i < n; i++) target.setUint8(at + i, src.getUint8(from + i));
}

const copy = Buffer.prototype.copy;

/**
 * Copies src[start, end) into target at `at`. src is a view of shared memory; scratch
 * is an ordinary buffer of the caller's (any size from 8 KiB: longer copies go through
 * it in pieces). Returns the number of bytes copied.
 */
export function copyFromShared(src: Uint8Array, start: number, end: number, target: Uint8Array, at: number, scratch: Buffer): number {
  const n = end - start;
  if (n < REALIGN_FROM || ((src.byteOffset + start - (target.byteOffset + at)) & 7) === 0) {
    copy.call(src, target, at, start, end);
    return n;
  }
  // Whole multiples of 8 per piece, so every piece keeps the first one's alignment.
  const piece = (scratch.length - 8) & ~7;
  const shift = (src.byteOffset + start - scratch.byteOffset) & 7;
  let from = start;
  while (from < end) {
    const to = Math.min(end, from + piece);
    copy.call(src, scratch, shift, from, to);
    copy.call(scratch, target, at + (from - start), shift, shift + (to - from));
    from = to;
  }
  return n;
}
