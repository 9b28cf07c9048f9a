/**
 * Buffers a save hands back and forth between its threads, reused instead of allocated
 * afresh: a new buffer's pages are faulted in as they are first written, which cost a
 * 1M-key SAVE ~2 s of system time before its buffers went round (stop 34).
 */

/**
 * A buffer of at least `size` bytes taken out of `spare` (any one big enough), or a new
 * one of at least `fresh` bytes (allocUnsafeSlow: an ArrayBuffer of its own, which
 * postMessage can transfer; a pooled small Buffer it would copy whole).
 */
export function takeSpare(spare: Buffer[], size: number, fresh: number): Buffer {
  for (let i = spare.length - 1; i >= 0; i--) {
    const b = spare[i]!;
    if (b.length >= size) {
      spare[i] = spare[spare.length - 1]!;
      spare.pop();
      return b;
    }
  }
  return Buffer.allocUnsafeSlow(Math.max(size, fresh));
}
