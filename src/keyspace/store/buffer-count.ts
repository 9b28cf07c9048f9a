import type { Int32Allocator } from './key-table.js';

/**
 * Bytes of the buffers allocated through it, from their allocation until V8 collects
 * them (a FinalizationRegistry tells), for memory figures that cannot see them:
 *
 * - The slab's shared arenas (a keyspace's `sharedBytes`): Node counts SharedArrayBuffers
 *   in process.memoryUsage().arrayBuffers but V8 not in its external memory (node 20), so
 *   "external memory less ArrayBuffers" (heap.ts liveMemory) is short by exactly these
 *   bytes, as Node's count is (a worker still holding one keeps it there a little longer).
 * - The arrays of large collections (a keyspace's `hashEncoding.arenas`, which its
 *   setEncoding and zsetEncoding share: a table-form hash's arena, refs and index, a
 *   large set's or sorted set's index), plain ArrayBuffers that liveMemory leaves out
 *   with the clients' buffers; and lists' node buffers, SharedArrayBuffers (V8 starts
 *   a full collection for every few MB of external memory it sees grow: with plain
 *   ArrayBuffers a 1M-element LPUSH load ran 22 of them instead of 2), which count in
 *   `sharedBytes` too.
 *
 * The server adds both back to its live figure (memory.ts).
 */
export class BufferCount implements Int32Allocator {
  bytes = 0;
  /**
   * Of `bytes`, those in SharedArrayBuffers from shared(): liveMemory() subtracts them
   * (Node's arrayBuffers has them, V8's external memory not), so a figure that counts
   * them adds these back as well as counting them in `bytes`.
   */
  sharedBytes = 0;
  /**
   * Bytes of buffers their owners replaced or dropped since the last full GC (a grown
   * collection's old arena, a resized index's old array): still counted in `bytes` until
   * collected, and garbage the Reclaimer may collect (Keyspace.garbageBytes).
   */
  released = 0;

  release(bytes: number): void {
    this.released += bytes;
  }
  /** Held values: a buffer's size, negated for a SharedArrayBuffer. */
  private readonly registry = new FinalizationRegistry<number>((n) => {
    if (n < 0) {
      this.bytes += n;
      this.sharedBytes += n;
    } else {
      this.bytes -= n;
    }
  });

  /** A new SharedArrayBuffer of `size` bytes (zeroed). */
  shared(size: number): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(size);
    this.count(buffer, size, true);
    return buffer;
  }

  /** A new Buffer of `size` bytes (its own ArrayBuffer, not zeroed). */
  buffer(size: number): Buffer {
    const buffer = Buffer.allocUnsafeSlow(size);
    this.count(buffer.buffer, size);
    return buffer;
  }

  /** A new zeroed Int32Array. */
  int32(length: number): Int32Array {
    const array = new Int32Array(length);
    this.count(array.buffer, array.byteLength);
    return array;
  }

  private count(buffer: ArrayBufferLike, size: number, shared = false): void {
    this.bytes += size;
    if (shared) this.sharedBytes += size;
    this.registry.register(buffer, shared ? -size : size);
  }
}
