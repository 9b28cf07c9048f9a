import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { FieldTable, type ArenaAllocator } from '../../src/keyspace/field-table.js';
import { BufferCount } from '../../src/keyspace/store/buffer-count.js';

/** The table's private arena bookkeeping, to check that live and dead words add up. */
interface Internals {
  chunkWords: Int32Array[];
  chunkEnd: number[];
  chunkDead: number[];
  freeChunks: number[];
  head: number;
  chunks: number;
  arenaBytes: number;
  liveWords: number;
  refs: Int32Array;
  top: number;
  squeezeFrom: number;
  squeezeTo: number;
  outside: Map<number, string> | null;
}

/** A ref's chunk bits (CHUNK_SHIFT in field-table.ts). */
const CHUNK_SHIFT = 16;

/**
 * Walks every chunk's records the way slide() does: each ref points at its own record,
 * each chunk's dead words are counted, dropped chunks are empty and listed free, and the
 * totals (live words, chunks, arena bytes) add up.
 */
function checkArena(t: FieldTable): void {
  const i = t as unknown as Internals;
  let live = 0;
  let chunks = 0;
  let bytes = 0;
  for (let c = 0; c < i.chunkWords.length; c++) {
    const words = i.chunkWords[c]!;
    if (words.length === 0) {
      expect(i.freeChunks).toContain(c);
      expect(c).not.toBe(i.head);
      continue;
    }
    expect(i.freeChunks).not.toContain(c);
    chunks++;
    bytes += words.byteLength;
    let dead = 0;
    let w = 0;
    for (; w < i.chunkEnd[c]!; ) {
      const pair = words[w]!;
      const fieldLength = words[w + 1]!;
      const valueLength = words[w + 2]!;
      const n = 3 + ((fieldLength + (valueLength < 0 ? 0 : valueLength) + 3) >> 2);
      if (pair >= 0) {
        expect(i.refs[pair]).toBe((c << CHUNK_SHIFT) | w);
        live += n;
      } else {
        dead += n;
      }
      w += n;
    }
    expect(w).toBe(i.chunkEnd[c]);
    expect(dead).toBe(i.chunkDead[c]);
    expect(i.chunkEnd[c]).toBeLessThanOrEqual(words.length);
    // Only the head may hold dead records that are more than half of it (it is slid past MIN_DEAD_TO_COMPACT).
    if (c !== i.head) expect(dead * 2).toBeLessThanOrEqual(i.chunkEnd[c]!);
    if (c !== i.head) expect(dead).toBeLessThan(i.chunkEnd[c]!);
  }
  expect(live).toBe(i.liveWords);
  // A running squeeze's gap holds no pair.
  if (i.squeezeFrom >= 0) for (let p = i.squeezeTo; p < i.squeezeFrom; p++) expect(i.refs[p]).toBe(-1);
  expect(chunks).toBe(i.chunks);
  expect(bytes).toBe(i.arenaBytes);
  expect(i.outside === null ? 0 : i.outside.size).toBeLessThanOrEqual(t.size);
}

/** An ArenaAllocator that counts what it allocates and what it is told was released. */
function countingAllocator(): { allocator: ArenaAllocator; held(): number; released(): number } {
  let allocated = 0;
  let released = 0;
  return {
    allocator: {
      buffer: (n: number) => ((allocated += n), Buffer.allocUnsafeSlow(n)),
      int32: (n: number) => ((allocated += 4 * n), new Int32Array(n)),
      release: (n: number) => {
        released += n;
      },
    },
    held: () => allocated - released,
    released: () => released,
  };
}

/** The live fields and values in pair order. */
function pairsOf(t: FieldTable): [string, string][] {
  const out: [string, string][] = [];
  t.forEach((f, v) => out.push([f, v]));
  return out;
}

/** A latin1 string of `length` chars (every byte value appears), varied by seed. */
function bytesString(length: number, seed: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode((seed * 31 + i * 7) & 0xff);
  return s;
}

/** Value lengths that exercise every path: empty, short, a few words, long, and past OUTSIDE_FROM (64 KiB). */
const valueLength = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 12 }) },
  { weight: 4, arbitrary: fc.integer({ min: 13, max: 700 }) },
  { weight: 1, arbitrary: fc.constantFrom(65_536, 65_537, 70_000) },
);

describe('FieldTable against a model', () => {
  test('sets (in place and moved), removals, compactions, squeezes and outside values: the model, in pair order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), field: fc.integer({ min: 0, max: 300 }), length: valueLength, seed: fc.nat(255) }) },
            { weight: 4, arbitrary: fc.record({ op: fc.constant('remove' as const), field: fc.integer({ min: 0, max: 300 }) }) },
            { weight: 1, arbitrary: fc.record({ op: fc.constant('removeRange' as const), from: fc.integer({ min: 0, max: 300 }), length: fc.integer({ min: 1, max: 150 }) }) },
            { weight: 1, arbitrary: fc.record({ op: fc.constant('setRange' as const), from: fc.integer({ min: 0, max: 300 }), length: fc.integer({ min: 1, max: 150 }), seed: fc.nat(255) }) },
          ),
          { maxLength: 400 },
        ),
        (ops) => {
          const t = new FieldTable(null);
          const model = new Map<string, string>();
          // Fields: binary, empty (field 0), and of many lengths.
          const name = (i: number) => (i === 0 ? '' : bytesString(1 + (i % 40), i));
          for (const o of ops) {
            if (o.op === 'set') {
              const value = bytesString(o.length, o.seed);
              expect(t.set(name(o.field), value)).toBe(!model.has(name(o.field)));
              model.set(name(o.field), value);
            } else if (o.op === 'remove') {
              expect(t.remove(name(o.field))).toBe(model.delete(name(o.field)));
            } else if (o.op === 'setRange') {
              for (let i = o.from; i < o.from + o.length; i++) {
                const value = bytesString(i % 9, o.seed);
                expect(t.set(name(i), value)).toBe(!model.has(name(i)));
                model.set(name(i), value);
              }
            } else {
              for (let i = o.from; i < o.from + o.length; i++) expect(t.remove(name(i))).toBe(model.delete(name(i)));
            }
            expect(t.size).toBe(model.size);
          }
          checkArena(t);
          for (let i = 0; i <= 460; i++) {
            expect(t.get(name(i))).toBe(model.get(name(i)));
            const pair = t.find(name(i));
            if (pair >= 0) {
              expect(t.fieldAt(pair)).toBe(name(i));
              expect(t.valueLengthAt(pair)).toBe(model.get(name(i))!.length);
            }
          }
          // Insertion order, updates in place, whatever moved in the arena.
          expect(pairsOf(t)).toEqual([...model]);
          const copy = t.copy();
          expect(pairsOf(copy)).toEqual([...model]);
          checkArena(copy);
          let seen = 0;
          let cursor = 0;
          do {
            cursor = t.scan(cursor, 5, (f, v) => {
              expect(model.get(f)).toBe(v);
              seen++;
            });
          } while (cursor !== 0);
          expect(seen).toBe(model.size);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('across chunks: records of every size, solo chunks, chunks emptied, moved out and dropped, numbers reused: the model', () => {
    // Values long enough that the fields span several 256 KiB chunks and are rewritten
    // often, and records past SOLO_FROM (8,192 words) that get chunks of their own.
    const length = fc.oneof(
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 12 }) },
      { weight: 4, arbitrary: fc.integer({ min: 13, max: 20_000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 32_700, max: 65_536 }) },
      { weight: 1, arbitrary: fc.constantFrom(65_537, 70_000) },
    );
    const names = Array.from({ length: 91 }, (_, i) => (i === 57 ? bytesString(300_000, i) : i % 25 === 7 ? bytesString(40_000 + i, i) : bytesString(1 + (i % 40), i)));
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), field: fc.integer({ min: 0, max: 60 }), length, seed: fc.nat(255) }) },
            { weight: 3, arbitrary: fc.record({ op: fc.constant('remove' as const), field: fc.integer({ min: 0, max: 60 }) }) },
            { weight: 1, arbitrary: fc.record({ op: fc.constant('removeRange' as const), from: fc.integer({ min: 0, max: 60 }), length: fc.integer({ min: 1, max: 30 }) }) },
          ),
          { minLength: 100, maxLength: 300 },
        ),
        (ops) => {
          const t = new FieldTable(null);
          const model = new Map<string, string>();
          // Fields past SOLO_FROM themselves (a set's long member), one past a whole chunk.
          const name = (i: number) => names[i]!;
          for (const o of ops) {
            if (o.op === 'set') {
              const value = bytesString(o.length, o.seed);
              expect(t.set(name(o.field), value)).toBe(!model.has(name(o.field)));
              model.set(name(o.field), value);
            } else if (o.op === 'remove') {
              expect(t.remove(name(o.field))).toBe(model.delete(name(o.field)));
            } else {
              for (let i = o.from; i < o.from + o.length; i++) expect(t.remove(name(i))).toBe(model.delete(name(i)));
            }
          }
          checkArena(t);
          expect(t.size).toBe(model.size);
          for (const [f, v] of model) {
            const pair = t.find(f);
            expect(t.valueAt(pair)).toBe(v);
            // What a reply copies: the bytes at the starts, in the pair's chunk.
            const at = t.fieldStartAt(pair);
            expect(t.arenaOf(pair).toString('latin1', at, at + t.fieldLengthAt(pair))).toBe(f);
            const v0 = t.valueStartAt(pair);
            if (v0 >= 0) expect(t.arenaOf(pair).toString('latin1', v0, v0 + t.valueLengthAt(pair))).toBe(v);
            else expect(v.length).toBeGreaterThan(65_536);
            expect(t.arenaViewOf(pair).buffer).toBe(t.arenaOf(pair).buffer);
          }
          expect(pairsOf(t)).toEqual([...model]);
          checkArena(t.copy());
        },
      ),
      { numRuns: 40 },
    );
  });

  test('a table of 200,000 fields grows chunk by chunk (no copy of what it holds) and gives chunks back as fields go', () => {
    const allocations: number[] = [];
    const t = new FieldTable({
      buffer: (n: number) => (allocations.push(n), Buffer.allocUnsafeSlow(n)),
      int32: (n: number) => new Int32Array(n),
    });
    const internals = t as unknown as Internals;
    for (let i = 0; i < 200_000; i++) t.set(`field:${i}`, 'v'.repeat(230));
    // The arena: the first chunk grown by half up to 256 KiB, then full chunks only.
    expect(Math.max(...allocations)).toBe(256 * 1024);
    expect(allocations.filter((n) => n === 256 * 1024).length).toBe(internals.chunks);
    expect(internals.arenaBytes).toBeLessThan(1.15 * 4 * internals.liveWords);
    checkArena(t);
    // Two fields of three removed: chunks more than half dead are moved out, so the
    // arena is at most about twice what is live; then nearly all: back to a few chunks.
    for (let i = 0; i < 200_000; i++) if (i % 3 !== 0) t.remove(`field:${i}`);
    checkArena(t);
    expect(internals.arenaBytes).toBeLessThan(2.3 * 4 * internals.liveWords);
    for (let i = 0; i < 199_000; i += 3) t.remove(`field:${i}`);
    checkArena(t);
    expect(t.size).toBe(333);
    expect(internals.chunks).toBeLessThanOrEqual(3);
    for (let i = 199_002; i < 200_000; i += 3) expect(t.get(`field:${i}`)).toBe('v'.repeat(230));
  });

  test('a squeeze moves at most 64 pairs a write; a scan across one visits every field that stays; random picks stay live', () => {
    const t = new FieldTable(null);
    const internals = t as unknown as Internals & { index: { replace: (...a: number[]) => boolean } };
    const index = internals.index;
    const replace = index.replace.bind(index);
    let moved = 0;
    index.replace = (...a: number[]) => (moved++, replace(...a));
    const model = new Map<string, string>();
    for (let i = 0; i < 5_000; i++) {
      t.set(`f${i}`, `v${i}`);
      model.set(`f${i}`, `v${i}`);
    }
    // Fields i % 7 === 0 stay throughout; the others go, in a scrambled order, and new ones come.
    const going = [...model.keys()].filter((_, i) => i % 7 !== 0).sort((a, b) => ((a.length * 7919 + a.charCodeAt(a.length - 1) * 31) % 101) - ((b.length * 7919 + b.charCodeAt(b.length - 1) * 31) % 101) || (a < b ? -1 : 1));
    const visited = new Set<string>();
    let squeezing = 0;
    let added = 0;
    let cursor = 0;
    do {
      cursor = t.scan(cursor, 10, (f, v) => {
        expect(model.get(f)).toBe(v);
        visited.add(f);
      });
      for (let k = 0; k < 40 && going.length > 0; k++) {
        moved = 0;
        const f = going.pop()!;
        t.remove(f);
        model.delete(f);
        expect(moved).toBeLessThanOrEqual(64);
        if (internals.squeezeFrom >= 0) squeezing++;
      }
      for (let k = 0; k < 4; k++) {
        moved = 0;
        t.set(`new${added}`, 'n');
        model.set(`new${added++}`, 'n');
        expect(moved).toBeLessThanOrEqual(64);
      }
      checkArena(t);
      for (let k = 0; k < 20; k++) expect(model.has(t.fieldAt(t.randomPair())!)).toBe(true);
    } while (cursor !== 0);
    expect(squeezing).toBeGreaterThan(100);
    for (let i = 0; i < 5_000; i += 7) expect(visited.has(`f${i}`)).toBe(true);
    expect(pairsOf(t)).toEqual([...model]);
  });

  test('values rewritten at another size move to the head; dead records are slid or moved out and the arena gives memory back', () => {
    const t = new FieldTable(null);
    // Fields of 4 bytes: with 100- and 99-byte values a record takes 26 words either way.
    const f = (i: number) => String(i).padStart(4, '0');
    for (let i = 0; i < 2_000; i++) t.set(f(i), 'x'.repeat(100));
    const internals = t as unknown as Internals;
    const full = internals.arenaBytes;
    const dead = () => internals.chunkDead.reduce((a, b) => a + b, 0);
    // Same words: rewritten in place, nothing dead.
    for (let i = 0; i < 2_000; i++) t.set(f(i), 'y'.repeat(99));
    expect(dead()).toBe(0);
    // Another size: moved, the old records dead, compacted along the way (over several chunks).
    for (let round = 0; round < 3; round++) for (let i = 0; i < 2_000; i++) t.set(f(i), String(round).repeat(200 + round * 50));
    checkArena(t);
    expect(internals.chunks).toBeGreaterThan(1);
    expect(dead() * 2).toBeLessThanOrEqual(internals.liveWords + dead() + 1024);
    for (let i = 0; i < 2_000; i++) expect(t.get(f(i))).toBe('2'.repeat(300));
    for (let i = 0; i < 1_990; i++) t.remove(f(i));
    checkArena(t);
    expect(t.size).toBe(10);
    expect(internals.chunks).toBe(1);
    expect(internals.arenaBytes).toBeLessThan(full);
    expect(t.bytesUsed).toBeLessThan(20_000);
    expect(pairsOf(t).map(([f]) => f)).toEqual(Array.from({ length: 10 }, (_, k) => f(1_990 + k)));
  });

  test('a value past 64 KiB stays a string outside the arena, and moves in and out of it', () => {
    const t = new FieldTable(null);
    const big = 'b'.repeat(100_000);
    t.set('a', 'small');
    t.set('big', big);
    const internals = t as unknown as Internals;
    expect(internals.outside?.get(1)).toBe(big);
    expect(internals.arenaBytes).toBeLessThan(10_000);
    expect(t.bytesUsed).toBeGreaterThan(100_000);
    t.set('big', 'tiny');
    expect(internals.outside?.size).toBe(0);
    t.set('a', big + 'c');
    expect(t.get('a')).toBe(big + 'c');
    expect(t.valueLengthAt(t.find('a'))).toBe(100_001);
    t.remove('a');
    expect(internals.outside?.size).toBe(0);
    expect(t.get('big')).toBe('tiny');
    checkArena(t);
  });

  test('BufferCount counts every array a table allocates, the grown ones and the copy\'s', () => {
    const arenas = new BufferCount();
    const t = new FieldTable(arenas);
    // The arena (256 bytes), the refs (32) and the index (16 slots of 3 words).
    expect(arenas.bytes).toBe(256 + 32 * 4 + 16 * 12);
    for (let i = 0; i < 10_000; i++) t.set(`field:${i}`, 'v'.repeat(200));
    // Every arena it grew through is counted until collected: at least the live one.
    const live = (t as unknown as Internals).arenaBytes;
    expect(live).toBeGreaterThan(10_000 * 200);
    expect(arenas.bytes).toBeGreaterThanOrEqual(live);
    const before = arenas.bytes;
    t.copy();
    expect(arenas.bytes).toBeGreaterThan(before + 10_000 * 200);
  });

  test('the refs double into a buffer made ahead, counted from when it is made; a squeeze drops it, reported released', () => {
    const counted = countingAllocator();
    const allocator = counted.allocator;
    type Ahead = { refs: Int32Array; refsAhead: { ahead: { buffer: ArrayBuffer | null; pagesLeft: number } } };
    const t = new FieldTable(allocator);
    const internals = t as unknown as Ahead;
    // 2^17 refs: the next buffer (1 MiB) is made when 2^14 numbers are left, and written by the last.
    for (let i = 0; i < 131_072; i++) t.set(`f${i}`, '');
    const ahead = internals.refsAhead.ahead;
    expect(ahead.buffer?.byteLength).toBe(1 << 20);
    expect(ahead.pagesLeft).toBe(0);
    expect(counted.held()).toBe(t.bytesUsed - 80);
    t.set('one more', '');
    expect(internals.refs.buffer).toBe(ahead.buffer);
    expect(counted.held()).toBe(t.bytesUsed - 80);
    // Made ahead again from 2^18 - 2^14 pairs; then most removed: the refs shrink and it is dropped.
    for (let i = 131_072; i < 250_000; i++) t.set(`f${i}`, '');
    expect(internals.refsAhead.ahead.buffer?.byteLength).toBe(2 << 20);
    for (let i = 0; i < 240_000; i++) t.remove(`f${i}`);
    expect(internals.refsAhead.ahead.buffer).toBe(null);
    expect(internals.refs.length).toBeLessThan(100_000);
    expect(counted.held()).toBe(t.bytesUsed - 80);
  });

  test('every array it replaces is reported released: what it allocated less what it released is what it holds', () => {
    const counted = countingAllocator();
    const allocator = counted.allocator;
    const t = new FieldTable(allocator);
    // Growth of the arena, the refs and the index; then removals (a compaction, a squeeze, shrinks).
    for (let i = 0; i < 50_000; i++) t.set(`field:${i}`, 'v'.repeat(i % 40));
    expect(counted.released()).toBeGreaterThan(0);
    expect(counted.held()).toBe(t.bytesUsed - 80);
    for (let i = 0; i < 50_000; i++) if (i % 10 !== 0) t.remove(`field:${i}`);
    for (let i = 0; i < 2000; i++) t.set(`more:${i}`, 'w');
    expect(counted.held()).toBe(t.bytesUsed - 80);
  });
});
