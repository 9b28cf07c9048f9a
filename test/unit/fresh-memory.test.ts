import fs from 'node:fs';
import { describe, expect, test, vi } from 'vitest';
import { FreshMemory } from '../../src/keyspace/store/fresh-memory.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { SystemClock } from '../../src/keyspace/clock.js';

function ask(fresh: FreshMemory, bytes: number): Promise<ArrayBuffer | null> {
  return new Promise((resolve, reject) => {
    if (!fresh.request(bytes, resolve)) reject(new Error('refused'));
  });
}

describe('FreshMemory', () => {
  test('delivers zeroed buffers of the size asked for', async () => {
    const fresh = new FreshMemory();
    try {
      const [a, b] = await Promise.all([ask(fresh, 3 << 20), ask(fresh, 5000)]);
      expect(a!.byteLength).toBe(3 << 20);
      expect(b!.byteLength).toBe(5000);
      expect(new Uint8Array(a!).every((x) => x === 0)).toBe(true);
      expect(fresh.delivered).toBe(2);
    } finally {
      fresh.close();
    }
  });

  test("a delivered buffer counts in this thread's arrayBuffers, as liveMemory (heap.ts) expects of the key tables' arrays", async () => {
    const fresh = new FreshMemory();
    try {
      const before = process.memoryUsage().arrayBuffers;
      const buffer = await ask(fresh, 64 << 20);
      const grown = process.memoryUsage().arrayBuffers - before;
      // (Made by a worker thread's allocator, as a first version did, it grew by ~0 here and
      // V8's external memory by 64 MiB.) Within 8 MiB: other buffers come and go meanwhile.
      expect(grown).toBeGreaterThan(56 << 20);
      expect(grown).toBeLessThan(72 << 20);
      expect(buffer!.byteLength).toBe(64 << 20);
    } finally {
      fresh.close();
    }
  });

  test('its pages are in memory when it is delivered: the process grew by its size before any write of this thread', async () => {
    const rss = (): number => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'latin1'))![1]) * 1024;
    const fresh = new FreshMemory();
    try {
      const before = rss();
      const buffer = await ask(fresh, 64 << 20);
      // A new ArrayBuffer alone is mapped and not touched: RSS would not grow.
      expect(rss() - before).toBeGreaterThan(56 << 20);
      expect(buffer!.byteLength).toBe(64 << 20);
    } finally {
      fresh.close();
    }
  });

  test('a buffer larger than one read takes several (node refuses a read of 2 GiB or more)', async () => {
    const fresh = new FreshMemory(4096);
    const reads = vi.spyOn(fs, 'read');
    try {
      const buffer = await ask(fresh, 10 * 4096 + 100);
      expect(reads.mock.calls.length).toBeGreaterThanOrEqual(11);
      for (const call of reads.mock.calls) expect((call as unknown[])[3]).toBeLessThanOrEqual(4096);
      expect(buffer!.byteLength).toBe(10 * 4096 + 100);
      expect(new Uint8Array(buffer!).every((x) => x === 0)).toBe(true);
      expect(fresh.delivered).toBe(1);
    } finally {
      reads.mockRestore();
      fresh.close();
    }
  });

  test('close() answers waiting requests with null and refuses later ones', async () => {
    const fresh = new FreshMemory();
    const waiting = ask(fresh, 64 << 20);
    fresh.close();
    expect(await waiting).toBeNull();
    expect(fresh.request(4096, () => {})).toBe(false);
  });

  test("a keyspace's table grows through it: 200,000 keys, all found, the arrays read in off this thread", async () => {
    const keyspace = new Keyspace(new SystemClock(), 1);
    try {
      const db = keyspace.dbs[0]!;
      for (let i = 0; i < 200_000; i++) {
        db.set(`session:${i}`, 'v');
        // Let the reads' completions in, as the event loop does between a client's reads.
        if (i % 5000 === 0) await new Promise((r) => setImmediate(r));
      }
      // 12-byte slots: the grows to 2^18 (3 MiB) and 2^19 slots asked for their arrays; past
      // 3/4 of 2^18 slots the table went on as it was until the second one came.
      expect(db.store.table.capacity).toBe(2 ** 18);
      await vi.waitFor(() => expect(keyspace.freshMemory.delivered).toBe(2), { timeout: 10_000 });
      expect(db.store.table.capacity).toBe(2 ** 19);
      let missing = 0;
      for (let i = 0; i < 200_000; i++) {
        const entry = db.get(`session:${i}`);
        if (entry === undefined || db.stringOf(entry) !== 'v') missing++;
      }
      expect(missing).toBe(0);
    } finally {
      keyspace.close();
    }
  });
});
