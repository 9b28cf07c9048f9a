import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { SlabStore, type Relocator } from '../../src/keyspace/store/slab-store.js';
import { rng } from '../helpers/rng.js';
import { latin1, payload } from '../helpers/snapshot-data.js';

/** What the model knows of one live record. */
interface Held {
  ref: number;
  bytes: Uint8Array;
}

/** The store's record size for a payload (owner word, LEB128 length, padding to 4). */
function recordSize(size: number): number {
  return (4 + (size < 0x80 ? 1 : size < 0x4000 ? 2 : 3) + size + 3) & ~3;
}


/** The store and a model of it (owner -> ref and bytes), kept in step; checks they agree. */
class Harness implements Relocator {
  readonly model = new Map<number, Held>();
  nextOwner = 0;
  movedCount = 0;

  constructor(readonly store: SlabStore) {}

  moved(owner: number, oldRef: number, newRef: number): void {
    const held = this.model.get(owner);
    if (held === undefined) throw new Error(`moved an unknown owner ${owner}`);
    if (held.ref !== oldRef) throw new Error(`owner ${owner}: moved from ${oldRef}, model has ${held.ref}`);
    held.ref = newRef;
    this.movedCount++;
  }

  /** Allocates and fills a record, by writeString or copyFrom (both paths get exercised). */
  alloc(size: number): number {
    const owner = this.nextOwner++;
    const ref = this.store.alloc(size, owner);
    const bytes = payload(owner, size);
    if (owner % 2 === 0) {
      this.store.writeString(ref, 0, latin1(bytes));
    } else {
      this.store.copyFrom(ref, 0, bytes, 0, size);
    }
    this.model.set(owner, { ref, bytes });
    return owner;
  }

  free(owner: number): void {
    this.store.free(this.model.get(owner)!.ref);
    this.model.delete(owner);
  }

  freeNth(n: number): void {
    if (this.model.size === 0) return;
    let i = n % this.model.size;
    for (const owner of this.model.keys()) {
      if (i-- === 0) return this.free(owner);
    }
  }

  clear(): void {
    this.store.clear();
    this.model.clear();
  }

  /** Payload and record bytes of small and large records, from the model. */
  sums(): { live: number; large: number; smallRecords: number } {
    let live = 0;
    let large = 0;
    let smallRecords = 0;
    for (const { bytes } of this.model.values()) {
      live += bytes.length;
      if (bytes.length > this.store.largeAbove) large += bytes.length;
      else smallRecords += recordSize(bytes.length);
    }
    return { live, large, smallRecords };
  }

  /** Every live record reads back its bytes and owner through its current ref; statistics add up. */
  check(): void {
    const s = this.store;
    let longest = 0;
    for (const { bytes } of this.model.values()) longest = Math.max(longest, bytes.length);
    const out = new Uint8Array(longest + 2);
    let largeCount = 0;
    for (const [owner, { ref, bytes }] of this.model) {
      const n = bytes.length;
      if (!(Number.isInteger(ref) && ref >= -(2 ** 31) && ref < 2 ** 31)) throw new Error(`owner ${owner}: ref ${ref}`);
      if (ref < 0 !== n > s.largeAbove) throw new Error(`owner ${owner}: ref ${ref} for ${n} bytes`);
      if (ref < 0) largeCount++;
      if (s.ownerOf(ref) !== owner) throw new Error(`owner ${owner}: ownerOf says ${s.ownerOf(ref)}`);
      if (s.lengthOf(ref) !== n) throw new Error(`owner ${owner}: lengthOf says ${s.lengthOf(ref)}, not ${n}`);
      const at = s.offsetOf(ref);
      if (Buffer.compare(s.bytesOf(ref).subarray(at, at + n), bytes) !== 0) throw new Error(`owner ${owner}: bytes differ`);
      // The helpers, on a slice in the middle.
      const from = n >> 2;
      const to = n - (n >> 3);
      if (s.readString(ref, from, to) !== latin1(bytes.subarray(from, to))) throw new Error(`owner ${owner}: readString differs`);
      s.copyTo(ref, from, to, out, 1);
      if (Buffer.compare(out.subarray(1, 1 + to - from), bytes.subarray(from, to)) !== 0) throw new Error(`owner ${owner}: copyTo differs`);
    }
    const { live, large } = this.sums();
    expect(s.recordCount).toBe(this.model.size);
    expect(s.liveBytes).toBe(live);
    expect(s.segmentBytes).toBe(large + s.segmentCount * s.segmentSize);
    expect(s.largeCount).toBe(largeCount);
  }

  /**
   * After compaction has run to completion every segment but the head is at least half
   * live, and empty ones are gone (the head and one spare at most).
   */
  checkCompacted(): void {
    const { smallRecords } = this.sums();
    const small = this.store.segmentBytes - this.sums().large;
    expect(small).toBeLessThanOrEqual(2 * smallRecords + 2 * this.store.segmentSize);
  }
}

type Op =
  | { kind: 'alloc'; size: number }
  | { kind: 'free'; n: number }
  | { kind: 'compact'; budget: number }
  | { kind: 'clear' };

const SHIFT = 12; // 4 KiB segments: many segments from few bytes; large above 1017 bytes
const SEG = 1 << SHIFT;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 0, max: 300 }).map((size) => ({ kind: 'alloc' as const, size })) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 3 * SEG }).map((size) => ({ kind: 'alloc' as const, size })) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 127, 128, 1016, 1017, 1018).map((size) => ({ kind: 'alloc' as const, size })) },
  { weight: 9, arbitrary: fc.nat().map((n) => ({ kind: 'free' as const, n })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3000 }).map((budget) => ({ kind: 'compact' as const, budget })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

function run(h: Harness, op: Op): void {
  switch (op.kind) {
    case 'alloc':
      h.alloc(op.size);
      break;
    case 'free':
      h.freeNth(op.n);
      break;
    case 'compact':
      h.store.compact(op.budget, h);
      break;
    case 'clear':
      h.clear();
      break;
  }
}

describe('SlabStore against a model', () => {
  test('alloc / free / compact / clear: every record reads back through its current ref, statistics match', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 300, size: 'max' }), (ops) => {
        const h = new Harness(new SlabStore({ segmentShift: SHIFT }));
        for (const op of ops) {
          run(h, op);
          h.check();
        }
        // Compaction to completion releases what it empties and leaves no segment under half live.
        while (h.store.compact(1 << 30, h) > 0);
        h.check();
        h.checkCompacted();
        // Freeing everything leaves at most one empty segment.
        for (const owner of [...h.model.keys()]) h.free(owner);
        h.check();
        expect(h.store.segmentBytes).toBeLessThanOrEqual(SEG);
      }),
      { numRuns: 150 },
    );
  });

  test('the same with mapped (resizable) ArrayBuffers', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 200, size: 'max' }), (ops) => {
        const h = new Harness(new SlabStore({ segmentShift: SHIFT, mappedBuffers: true }));
        for (const op of ops) {
          run(h, op);
          h.check();
        }
      }),
      { numRuns: 30 },
    );
  });

  test('compaction in small steps while records are freed and allocated between steps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const rnd = rng(seed);
        const h = new Harness(new SlabStore({ segmentShift: SHIFT }));
        for (let i = 0; i < 400; i++) h.alloc(Math.floor(rnd() * 400));
        for (let i = 0; i < 300; i++) h.freeNth(Math.floor(rnd() * 1e9));
        for (let step = 0; step < 200; step++) {
          h.store.compact(64 + Math.floor(rnd() * 256), h);
          if (rnd() < 0.3) h.freeNth(Math.floor(rnd() * 1e9));
          if (rnd() < 0.3) h.alloc(Math.floor(rnd() * 400));
          if (step % 10 === 0) h.check();
        }
        while (h.store.compact(1 << 30, h) > 0);
        h.check();
        h.checkCompacted();
      }),
      { numRuns: 20 },
    );
  });
});

describe('SlabStore.copyFrom into shared arenas', () => {
  test('copies exactly the source range at any length, offset and alignment, whichever source it last copied from', () => {
    // Copies from 33 bytes up to WORDS_BELOW go in 32-bit words through DataViews kept
    // for the last two sources: here three sources in turn, so the kept views are
    // replaced as a load's would not be; two are views of one buffer at different
    // offsets, the third a pool slice.
    const shared = Buffer.alloc(12_000);
    const sources = [shared.subarray(0, 4096), shared.subarray(4101, 9101), Buffer.allocUnsafe(700)];
    for (const [i, b] of sources.entries()) for (let k = 0; k < b.length; k++) b[k] = (k * 7 + i * 31 + 1) & 0xff;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(2), fc.integer({ min: 0, max: 600 }), fc.nat(4000), fc.nat(3), fc.boolean()), { minLength: 1, maxLength: 60 }),
        (copies) => {
          const h = new Harness(new SlabStore({ segmentShift: 14, arenaSegments: 4, shared: true }));
          const s = h.store;
          for (const [which, size, from, at, forget] of copies) {
            const source = sources[which]!;
            const start = Math.min(from, source.length - size);
            if (start < 0) continue;
            const owner = h.nextOwner++;
            // A record with `at` bytes before the copied range, as a key's header precedes it.
            const ref = s.alloc(at + size, owner);
            const expected = new Uint8Array(at + size);
            for (let k = 0; k < at; k++) expected[k] = 0xa0 + k;
            s.copyFrom(ref, 0, expected, 0, at);
            s.copyFrom(ref, at, source, start, size);
            expected.set(source.subarray(start, start + size), at);
            h.model.set(owner, { ref, bytes: expected });
            if (forget) s.forgetSources();
          }
          // Every record, neighbours included, holds exactly its bytes.
          h.check();
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('SlabStore edge cases', () => {
  test('lengths at the varint and large boundaries (1 MiB segments)', () => {
    const h = new Harness(new SlabStore());
    const s = h.store;
    expect(s.segmentSize).toBe(1 << 20);
    expect(s.largeAbove).toBe((1 << 18) - 7);
    for (const size of [0, 1, 127, 128, 129, 16383, 16384, 16385, s.largeAbove, s.largeAbove + 1, 1 << 20, 3 << 20]) h.alloc(size);
    h.check();
    // The small ones share one segment; the three larger ones have a buffer each.
    expect(s.largeCount).toBe(3);
    expect(s.segmentCount).toBe(1);
  });

  test('a session record costs its payload plus 9 bytes', () => {
    const s = new SlabStore();
    const refs: number[] = [];
    for (let i = 0; i < 1000; i++) refs.push(s.alloc(1 + 37 + 230, i));
    expect(s.offsetOf(refs[1]!) - s.offsetOf(refs[0]!)).toBe(268 + 8); // 4 owner + 2 length + 268 + 2 padding
    expect(s.liveBytes).toBe(1000 * 268);
    expect(s.segmentBytes).toBe(1 << 20);
  });

  test('refs are Smi-range integers: small ones from 0 up, large ones negative', () => {
    const s = new SlabStore({ segmentShift: 8 });
    const a = s.alloc(3, 7);
    const b = s.alloc(3, 8);
    const big = s.alloc(1000, 9);
    expect(a).toBe(0);
    expect(b).toBe(2); // 8 bytes later, counted in 4-byte words
    expect(big).toBe(-1);
    expect(s.ownerOf(big)).toBe(9);
    expect(s.bytesOf(big).length).toBe(1000);
    expect(s.offsetOf(big)).toBe(0);
  });

  test('free of a freed record throws', () => {
    const s = new SlabStore({ segmentShift: SHIFT });
    const a = s.alloc(10, 1);
    s.alloc(10, 2);
    s.free(a);
    expect(() => s.free(a)).toThrow(/freed/);
    const big = s.alloc(5000, 3);
    s.free(big);
    expect(() => s.free(big)).toThrow(/freed/);
  });

  test('an emptied segment is released at once, keeping at most one empty segment', () => {
    const s = new SlabStore({ segmentShift: SHIFT });
    const refs: number[] = [];
    for (let i = 0; i < 390; i++) refs.push(s.alloc(99, i)); // 104 bytes a record: 39 a segment, 10 segments
    const held = s.segmentBytes;
    expect(held).toBe(10 * SEG);
    // Free the first segment's 39 records: it becomes the spare (the head is not empty).
    for (let i = 0; i < 39; i++) s.free(refs[i]!);
    expect(s.segmentBytes).toBe(held);
    // Free the second's: dropped, there is a spare already.
    for (let i = 39; i < 78; i++) s.free(refs[i]!);
    expect(s.segmentBytes).toBe(held - SEG);
    for (let i = 78; i < 390; i++) s.free(refs[i]!);
    expect(s.segmentBytes).toBe(SEG); // the head, reset in place
    expect(s.recordCount).toBe(0);
    // The next records go to the same head from its start.
    expect(s.alloc(4, 1)).toBe(refs[389]! - (refs[389]! & ((1 << (SHIFT - 2)) - 1)));
    s.clear();
    expect(s.segmentBytes).toBe(0);
    expect(s.liveBytes).toBe(0);
    expect(s.segmentCount).toBe(0);
  });

  test('compact moves the sparsest segment first, within its budget, and resumes', () => {
    const h = new Harness(new SlabStore({ segmentShift: SHIFT }));
    for (let i = 0; i < 390; i++) h.alloc(99); // 104 bytes a record, 39 a segment
    // Segment 1 (owners 39..77) keeps 4 records, segment 2 (78..116) keeps 10.
    for (let i = 39; i < 117; i++) if (!(i < 43 || (i >= 78 && i < 88))) h.free(i);
    const before = h.store.segmentBytes;
    const oldRef = h.model.get(39)!.ref;
    expect(h.store.compact(150, h)).toBe(104 * 2); // stops once past its budget
    h.check();
    expect(h.model.get(39)!.ref).not.toBe(oldRef);
    expect(() => h.store.free(oldRef)).toThrow(/freed/); // the old copy is dead, not a second live record
    const moved = [...h.model.entries()].filter(([, held]) => held.ref >> (SHIFT - 2) !== 1).map(([o]) => o);
    expect(moved.filter((o) => o >= 39 && o < 43)).toEqual([39, 40]);
    expect(h.store.compact(1000, h)).toBe(104 * 2 + 104 * 8); // the rest of segment 1, then 8 of segment 2 (936 < 1000: one more)
    h.check();
    // The last segment was full, so the first move opened a new head; segment 1, emptied,
    // is kept as the spare.
    expect(h.store.segmentBytes).toBe(before + SEG);
    while (h.store.compact(100, h) > 0);
    h.check();
    expect(h.store.segmentBytes).toBe(before); // segment 2 emptied too: dropped (one spare is enough)
    expect(h.store.segmentCount).toBe(10);
  });

  test('compact with a time limit stops within 32 records of it, reports its work, and resumes where it stopped', () => {
    const h = new Harness(new SlabStore({ segmentShift: SHIFT }));
    for (let i = 0; i < 390; i++) h.alloc(99); // 104 bytes a record, 39 a segment
    // Sparse segments: every third record of segments 1..6 stays (dead ones to walk past).
    for (let i = 39; i < 273; i++) if (i % 3 !== 0) h.free(i);
    let asked = 0;
    const moved = h.store.compact(1 << 30, h, () => ++asked >= 2);
    // Asked at the 32nd and 64th record visited: 64 visits, dead ones counting 8.
    expect(asked).toBe(2);
    expect(h.store.work).toBeGreaterThan(0);
    expect(h.store.work).toBeLessThan(64 * 104);
    expect(moved).toBeLessThanOrEqual(h.store.work);
    h.check();
    // The rest, with no limit: everything live ends up packed, nothing lost.
    let total = moved;
    for (let m = h.store.compact(1 << 30, h); m > 0; m = h.store.compact(1 << 30, h)) total += m;
    h.check();
    expect(total).toBe(104 * 78); // each of the 78 survivors moved once
    // Without a limit, `work` is the whole budget's use.
    expect(h.store.compact(1 << 30, h)).toBe(0);
    expect(h.store.work).toBe(0);
  });

  test('pauseCompaction stops moves until as many resumes', () => {
    const h = new Harness(new SlabStore({ segmentShift: SHIFT }));
    for (let i = 0; i < 200; i++) h.alloc(99);
    for (let i = 0; i < 150; i++) if (i % 10 !== 0) h.free(i);
    h.store.pauseCompaction();
    h.store.pauseCompaction();
    expect(h.store.compact(1 << 20, h)).toBe(0);
    h.store.resumeCompaction();
    expect(h.store.compact(1 << 20, h)).toBe(0);
    h.store.resumeCompaction();
    expect(h.store.compact(1 << 20, h)).toBeGreaterThan(0);
    h.check();
  });

  test('writeString and readString are byte per char (latin1), at any offset, short and long', () => {
    const s = new SlabStore();
    const text = 'é\u00ff\u0000abc' + 'x'.repeat(50);
    const ref = s.alloc(3 + text.length + 1, 1);
    s.writeString(ref, 3, text);
    expect(s.readString(ref, 3, 3 + text.length)).toBe(text);
    expect(s.readString(ref, 3, 5)).toBe('é\u00ff');
    s.writeString(ref, 0, 'ab');
    expect(s.readString(ref, 0, 2)).toBe('ab');
    const view = s.bytesOf(ref);
    expect(view[s.offsetOf(ref) + 3]).toBe(0xe9);
  });
});

describe('SlabStore churn', () => {
  test('a steady population of records of 100 B .. 20 KB, compacted each round, holds at most 1.5x its bytes + 2 segments', () => {
    const rnd = rng(17);
    const h = new Harness(new SlabStore()); // 1 MiB segments, as the server uses
    const size = () => 100 + Math.floor(rnd() * (20_000 - 100));
    const population = 2000; // ~20 MB live
    for (let i = 0; i < population; i++) h.alloc(size());
    let worst = 0;
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 100; i++) h.freeNth(Math.floor(rnd() * 1e9));
      for (let i = 0; i < 100; i++) h.alloc(size());
      h.store.compact(1 << 20, h); // 1 MiB of moves a round, for ~1 MiB churned
      const s = h.store;
      worst = Math.max(worst, s.segmentBytes / s.liveBytes);
      expect(s.segmentBytes).toBeLessThanOrEqual(1.5 * s.liveBytes + 2 * s.segmentSize);
    }
    h.check();
    expect(h.movedCount).toBeGreaterThan(0);
    expect(worst).toBeGreaterThan(1); // sanity: the bound is not trivially met
  });
});

describe('64 MiB segments (the keyspace store)', () => {
  test('payloads near and past the 3-byte length (2 MiB) read back whole: larger ones get their own buffer', () => {
    const store = new SlabStore({ segmentShift: 26 });
    expect(store.largeAbove).toBeLessThan(1 << 21);
    const sizes = [store.largeAbove - 1, store.largeAbove, store.largeAbove + 1, 5 * 1024 * 1024 + 3, 300];
    const refs = sizes.map((size, owner) => {
      const ref = store.alloc(size, owner);
      store.writeString(ref, 0, String.fromCharCode(97 + owner).repeat(size));
      return ref;
    });
    sizes.forEach((size, owner) => {
      expect(store.lengthOf(refs[owner]!)).toBe(size);
      expect(store.ownerOf(refs[owner]!)).toBe(owner);
      expect(store.readString(refs[owner]!, 0, size)).toBe(String.fromCharCode(97 + owner).repeat(size));
    });
    expect(store.largeCount).toBe(2);
  });
});
