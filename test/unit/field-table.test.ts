import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { FieldTable } from '../../src/keyspace/field-table.js';
import { BufferCount } from '../../src/keyspace/store/buffer-count.js';

/** The table's private arena bookkeeping, to check that live and dead words add up. */
interface Internals {
  words: Int32Array;
  end: number;
  dead: number;
  refs: Int32Array;
  top: number;
  outside: Map<number, string> | null;
}

/** Words of live records, walking the arena the way compact() does; also checks each ref points at its own record. */
function checkArena(t: FieldTable): void {
  const i = t as unknown as Internals;
  let live = 0;
  let dead = 0;
  for (let w = 0; w < i.end; ) {
    const pair = i.words[w]!;
    const fieldLength = i.words[w + 1]!;
    const valueLength = i.words[w + 2]!;
    const n = 3 + ((fieldLength + (valueLength < 0 ? 0 : valueLength) + 3) >> 2);
    if (pair >= 0) {
      expect(i.refs[pair]).toBe(w);
      live += n;
    } else {
      dead += n;
    }
    w += n;
  }
  expect(dead).toBe(i.dead);
  expect(live + dead).toBe(i.end);
  expect(i.end).toBeLessThanOrEqual(i.words.length);
  for (let pair = i.top; pair < i.refs.length && pair < i.top + 4; pair++) expect(pair).toBeGreaterThanOrEqual(i.top);
  expect(i.outside === null ? 0 : i.outside.size).toBeLessThanOrEqual(t.size);
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

  test('values rewritten at another size move to the end; dead records are slid out and the arena gives memory back', () => {
    const t = new FieldTable(null);
    // Fields of 4 bytes: with 100- and 99-byte values a record takes 26 words either way.
    const f = (i: number) => String(i).padStart(4, '0');
    for (let i = 0; i < 2_000; i++) t.set(f(i), 'x'.repeat(100));
    const internals = t as unknown as Internals;
    const full = internals.words.length;
    // Same words: rewritten in place, nothing dead.
    for (let i = 0; i < 2_000; i++) t.set(f(i), 'y'.repeat(99));
    expect(internals.dead).toBe(0);
    // Another size: moved, the old records dead, compacted along the way.
    for (let round = 0; round < 3; round++) for (let i = 0; i < 2_000; i++) t.set(f(i), String(round).repeat(200 + round * 50));
    checkArena(t);
    expect(internals.dead * 2).toBeLessThanOrEqual(internals.end + 1024);
    for (let i = 0; i < 2_000; i++) expect(t.get(f(i))).toBe('2'.repeat(300));
    for (let i = 0; i < 1_990; i++) t.remove(f(i));
    checkArena(t);
    expect(t.size).toBe(10);
    expect(internals.words.length).toBeLessThan(full);
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
    expect(internals.words.length * 4).toBeLessThan(10_000);
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
    const live = (t as unknown as Internals).words.byteLength;
    expect(live).toBeGreaterThan(10_000 * 200);
    expect(arenas.bytes).toBeGreaterThanOrEqual(live);
    const before = arenas.bytes;
    t.copy();
    expect(arenas.bytes).toBeGreaterThan(before + 10_000 * 200);
  });

  test('every array it replaces is reported released: what it allocated less what it released is what it holds', () => {
    let allocated = 0;
    let released = 0;
    const allocator = {
      buffer: (n: number) => ((allocated += n), Buffer.allocUnsafeSlow(n)),
      int32: (n: number) => ((allocated += 4 * n), new Int32Array(n)),
      release: (n: number) => {
        released += n;
      },
    };
    const t = new FieldTable(allocator);
    // Growth of the arena, the refs and the index; then removals (a compaction, a squeeze, shrinks).
    for (let i = 0; i < 50_000; i++) t.set(`field:${i}`, 'v'.repeat(i % 40));
    expect(released).toBeGreaterThan(0);
    expect(allocated - released).toBe(t.bytesUsed - 80);
    for (let i = 0; i < 50_000; i++) if (i % 10 !== 0) t.remove(`field:${i}`);
    for (let i = 0; i < 2000; i++) t.set(`more:${i}`, 'w');
    expect(allocated - released).toBe(t.bytesUsed - 80);
  });
});
