import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  PAGE_COPIED,
  PAGE_DONE,
  PAGE_PENDING,
  PAGE_SIZE,
  PAGE_TAKEN,
  SlabStore,
  visitRecords,
  type RecordVisitor,
  type SlabSnapshot,
} from '../../src/keyspace/store/slab-store.js';
import { latin1, payload } from '../helpers/snapshot-data.js';

/**
 * SlabStore.beginSnapshot: a reader (a snapshot's worker thread, played here by the test
 * on the same thread, taking pages between the store's operations as the worker would)
 * sees every segment as it was when the snapshot began, whatever the store does
 * meanwhile: records freed, rewritten in place, allocated in the head and in regions
 * emptied and reused, pages taken by the reader before or after they are written.
 */


/** The reader: takes pending pages from shared memory, or the copies the store delivered. */
class Reader {
  readonly delivered = new Map<number, Uint8Array>();
  private readonly taken = new Map<number, Uint8Array>();
  snap!: SlabSnapshot;

  deliver = (page: number, bytes: Uint8Array): void => {
    expect(this.delivered.has(page)).toBe(false);
    expect(Atomics.load(this.snap.pages, page)).toBe(3); // PAGE_COPYING while the store delivers
    this.delivered.set(page, bytes);
  };

  /** Takes page `index` (if still pending) as the worker does. */
  take(index: number): void {
    const pages = this.snap.pages;
    if (Atomics.compareExchange(pages, index, PAGE_PENDING, PAGE_TAKEN) !== PAGE_PENDING) return;
    const { segment, page } = this.locate(index);
    const [arena, offset, end] = this.segment(segment);
    const start = page * PAGE_SIZE;
    this.taken.set(index, new Uint8Array(this.snap.arenas[arena]!, offset + start, Math.min(end, start + PAGE_SIZE) - start).slice());
    Atomics.store(pages, index, PAGE_DONE);
  }

  /** Every live record of the snapshot: owner -> payload. */
  readAll(): Map<number, string> {
    const out = new Map<number, string>();
    const snap = this.snap;
    for (let k = 0; k < snap.pageBase.length; k++) {
      const [, , end] = this.segment(k);
      const buffer = new ArrayBuffer(snap.segmentSize);
      const bytes = new Uint8Array(buffer);
      for (let page = 0; page * PAGE_SIZE < end; page++) {
        const index = snap.pageBase[k]! + page;
        this.take(index);
        const state = Atomics.load(snap.pages, index);
        const copy = state === PAGE_DONE ? this.taken.get(index) : this.delivered.get(index);
        expect(state === PAGE_DONE || state === PAGE_COPIED).toBe(true);
        bytes.set(copy!, page * PAGE_SIZE);
      }
      const visitor: RecordVisitor = {
        record(owner, start, stop) {
          expect(out.has(owner)).toBe(false);
          out.set(owner, latin1(bytes.subarray(start, stop)));
        },
      };
      visitRecords(bytes, new Int32Array(buffer), end, visitor);
    }
    return out;
  }

  pageCount(): number {
    return this.snap.pages.length;
  }

  private segment(k: number): [number, number, number] {
    const s = this.snap.segments;
    return [s[3 * k]!, s[3 * k + 1]!, s[3 * k + 2]!];
  }

  private locate(index: number): { segment: number; page: number } {
    const base = this.snap.pageBase;
    let k = 0;
    while (k + 1 < base.length && base[k + 1]! <= index) k++;
    return { segment: k, page: index - base[k]! };
  }
}

type Op = { t: 'alloc'; size: number } | { t: 'free'; pick: number } | { t: 'rewrite'; pick: number } | { t: 'take'; pick: number } | { t: 'freeMany'; pick: number; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('alloc' as const), size: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 300, max: 5000 })) }),
  fc.record({ t: fc.constant('free' as const), pick: fc.nat() }),
  fc.record({ t: fc.constant('rewrite' as const), pick: fc.nat() }),
  fc.record({ t: fc.constant('take' as const), pick: fc.nat() }),
  fc.record({ t: fc.constant('freeMany' as const), pick: fc.nat(), n: fc.integer({ min: 5, max: 400 }) }),
);

describe('SlabStore snapshots', () => {
  test('the reader sees every record as it was at the start, whatever the store does meanwhile (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1500 }), fc.array(opArb, { maxLength: 600 }), fc.integer({ min: 0, max: 1000 }), (initial, ops, seed) => {
        // 16 KiB segments (4 pages) in arenas of 4: records span pages, segments empty and their regions are reused.
        const store = new SlabStore({ segmentShift: 14, arenaSegments: 4, shared: true });
        const refs = new Map<number, number>();
        const sizes = new Map<number, number>();
        let owner = 0;
        let salt = seed;
        const alloc = (size: number): void => {
          const ref = store.alloc(size, owner);
          const bytes = payload(owner, size, salt++);
          store.copyFrom(ref, 0, bytes, 0, size);
          refs.set(owner, ref);
          sizes.set(owner, size);
          owner++;
        };
        for (let i = 0; i < initial; i++) alloc((i * 37 + seed) % (i % 10 === 0 ? 3000 : 300));
        const expected = new Map<number, string>();
        for (const [o, ref] of refs) expected.set(o, latin1(store.bytesOf(ref).subarray(store.offsetOf(ref), store.offsetOf(ref) + store.lengthOf(ref))));

        const reader = new Reader();
        reader.snap = store.beginSnapshot(reader.deliver);
        const owners = (): number[] => [...refs.keys()];
        for (const op of ops) {
          const live = owners();
          if (op.t === 'alloc') {
            alloc(op.size);
          } else if (op.t === 'take') {
            if (reader.pageCount() > 0) reader.take(op.pick % reader.pageCount());
          } else if (live.length === 0) {
            continue;
          } else if (op.t === 'free') {
            const o = live[op.pick % live.length]!;
            store.free(refs.get(o)!);
            refs.delete(o);
          } else if (op.t === 'freeMany') {
            // A run of records in allocation order: empties whole segments.
            const from = op.pick % live.length;
            for (const o of live.slice(from, from + op.n)) {
              store.free(refs.get(o)!);
              refs.delete(o);
            }
          } else {
            const o = live[op.pick % live.length]!;
            const size = sizes.get(o)!;
            store.copyFrom(refs.get(o)!, 0, payload(o, size, salt++), 0, size);
          }
        }
        expect(reader.readAll()).toEqual(expected);
        store.endSnapshot();
      }),
      { numRuns: 150 },
    );
  });

  test('segments emptied during the snapshot, their regions reused by other slots and arenas', () => {
    // 64 KiB segments in arenas of 4; 12,000-byte records, 5 to a segment, so some pages
    // hold no record's start (free() copies only the pages of the owners' words).
    const store = new SlabStore({ segmentShift: 16, arenaSegments: 4, shared: true });
    const size = 12_000;
    const perSegment = 5;
    const refs: number[] = [];
    for (let i = 0; i < 12 * perSegment; i++) {
      const ref = store.alloc(size, i);
      store.copyFrom(ref, 0, payload(i, size, 1), 0, size);
      refs.push(ref);
    }
    const expected = new Map<number, string>();
    refs.forEach((_, i) => expected.set(i, latin1(payload(i, size, 1))));
    const reader = new Reader();
    reader.snap = store.beginSnapshot(reader.deliver);
    // Empty segments 9, 1 and 6 (three arenas): the slots freed last are reopened first,
    // in the fullest arena's regions, so slots and regions pair differently.
    for (const segment of [9, 1, 6]) {
      for (let i = segment * perSegment; i < (segment + 1) * perSegment; i++) store.free(refs[i]!);
    }
    for (let i = 0; i < 4 * perSegment; i++) store.copyFrom(store.alloc(size, 100_000 + i), 0, payload(i, size, 2), 0, size);
    expect(reader.readAll()).toEqual(expected);
  });

  test('a write to a page the reader has taken copies nothing; a write to a pending one copies it once', () => {
    const store = new SlabStore({ segmentShift: 14, arenaSegments: 4, shared: true });
    const refs: number[] = [];
    for (let i = 0; i < 100; i++) refs.push(store.alloc(100, i));
    const reader = new Reader();
    reader.snap = store.beginSnapshot(reader.deliver);
    reader.take(0);
    store.writeString(refs[0]!, 0, 'x'.repeat(100)); // page 0: taken, nothing delivered
    expect(reader.delivered.size).toBe(0);
    store.writeString(refs[99]!, 0, 'y'.repeat(100)); // the last page: delivered
    store.free(refs[98]!);
    expect(reader.delivered.size).toBe(1);
    // Allocations above the start's end copy nothing.
    const before = reader.delivered.size;
    store.alloc(50, 1000);
    expect(reader.delivered.size).toBe(before);
    store.endSnapshot();
    store.writeString(refs[50]!, 0, 'z'.repeat(100));
    expect(reader.delivered.size).toBe(before);
  });

  test('compaction waits for the snapshot; only shared arenas can be snapshotted', () => {
    const store = new SlabStore({ segmentShift: 14, arenaSegments: 4, shared: true, compactBelow: 0.9 });
    const refs: number[] = [];
    for (let i = 0; i < 400; i++) refs.push(store.alloc(100, i));
    for (let i = 0; i < 400; i += 2) store.free(refs[i]!);
    const reader = new Reader();
    reader.snap = store.beginSnapshot(reader.deliver);
    const mover = { moved: () => undefined };
    expect(store.compact(1 << 20, mover)).toBe(0);
    store.endSnapshot();
    expect(store.compact(1 << 20, mover)).toBeGreaterThan(0);
    expect(() => new SlabStore({ segmentShift: 14, arenaSegments: 4 }).beginSnapshot(() => undefined)).toThrow(/shared/);
  });
});
