import type { SnapshotSink } from '../../src/persistence/snapshot.js';

/**
 * Shared by the snapshot and slab tests: deterministic record bytes, and a sink that
 * keeps what a background save writes.
 */

/** Deterministic payload bytes of `owner` (and `salt`), so a record read through a stale ref or from the wrong page shows. */
export function payload(owner: number, size: number, salt = 0): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = (owner * 2654435761 + size + salt * 97) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

/**
 * A sink that keeps the bytes (copies), taking a turn (or `delayMs`) over each write;
 * its write number `failAt` fails; with `releasesBuffers`, it says it is done with a
 * write's buffers once the write resolves (a file does), so the snapshot worker reuses them.
 */
export function memorySink(options: { delayMs?: number; failAt?: number; releasesBuffers?: boolean } = {}): SnapshotSink & { bytes(): Buffer; writes: number; committed: boolean } {
  const chunks: Buffer[] = [];
  const failAt = options.failAt ?? Infinity;
  return {
    releasesBuffers: options.releasesBuffers === true,
    writes: 0,
    committed: false,
    async write(c: Buffer[]) {
      if (++this.writes >= failAt) throw new Error('disk full');
      for (const b of c) chunks.push(Buffer.from(b));
      await new Promise((r) => (options.delayMs === undefined ? setImmediate(r) : setTimeout(r, options.delayMs)));
    },
    async commit(stillWanted: () => boolean) {
      this.committed = stillWanted();
      return this.committed;
    },
    async abort() {},
    bytes: () => Buffer.concat(chunks),
  };
}
