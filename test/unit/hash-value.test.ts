import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { HashValue, newHashEncoding, type HashEncoding } from '../../src/keyspace/hash.js';

/** The live pairs of a hash, in its order. */
function pairsOf(h: HashValue): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < h.slotCount; i += 2) if (h.fieldAt(i) !== null) out.push([h.fieldAt(i)!, h.valueAt(i)!]);
  return out;
}

/** A whole scan iteration, with `between` run after every call. */
function fullScan(h: HashValue, count: number, between: (calls: number) => void = () => {}): string[] {
  const seen: string[] = [];
  let cursor = 0;
  let calls = 0;
  do {
    cursor = h.scan(cursor, count, (f) => seen.push(f));
    between(++calls);
    expect(calls).toBeLessThan(1_000_000);
  } while (cursor !== 0);
  return seen;
}

/** A server's hash settings with these compact-encoding limits. */
function limits(maxCompactEntries: number, maxCompactValue = 64): HashEncoding {
  return { ...newHashEncoding(), maxCompactEntries, maxCompactValue };
}

describe('HashValue', () => {
  test('compact: insertion order, updates keep their place, deletions close the gap', () => {
    const h = new HashValue();
    expect(h.set('a', '1')).toBe(true);
    expect(h.set('b', '2')).toBe(true);
    expect(h.set('c', '3')).toBe(true);
    expect(h.set('a', '10')).toBe(false);
    expect(pairsOf(h)).toEqual([['a', '10'], ['b', '2'], ['c', '3']]);
    expect(h.removeField('b')).toBe(true);
    expect(h.removeField('b')).toBe(false);
    expect(h.set('b', '20')).toBe(true);
    expect(pairsOf(h)).toEqual([['a', '10'], ['c', '3'], ['b', '20']]);
    expect(h.size).toBe(3);
    expect(h.compact).toBe(true);
    expect(h.get('c')).toBe('3');
    expect(h.get('zz')).toBeUndefined();
    expect(h.has('')).toBe(false);
    expect(h.type).toBe('hash');
  });

  test('converts past the limits, for good', () => {
    const enc = limits(3, 4);
    const h = new HashValue();
    h.set('a', '1234', enc);
    h.set('b', '2', enc);
    h.set('c', '3', enc);
    expect(h.compact).toBe(true);
    h.set('d', '4', enc);
    expect(h.compact).toBe(false);
    h.removeField('a');
    h.removeField('b');
    expect(h.compact).toBe(false);
    const long = new HashValue();
    long.set('a', '1', enc);
    long.set('a', '12345', enc);
    expect(long.compact).toBe(false);
    const field = new HashValue();
    field.set('abcde', '1', enc);
    expect(field.compact).toBe(false);
    expect(field.get('abcde')).toBe('1');
  });

  test('table form: tombstones keep pair numbers, then are squeezed out', () => {
    const enc = limits(0);
    const h = new HashValue();
    for (let i = 0; i < 1000; i++) h.set(`f${i}`, `v${i}`, enc);
    expect(h.compact).toBe(false);
    for (let i = 0; i < 1000; i++) if (i % 4 !== 1) h.removeField(`f${i}`);
    expect(h.size).toBe(250);
    // Squeezed whenever tombstones outnumber live pairs (and MIN_HOLES_TO_COMPACT).
    expect(h.slotCount / 2).toBeLessThanOrEqual(2 * 250 + 65);
    expect(h.slotCount / 2).toBeLessThan(1000);
    for (let i = 1; i < 1000; i += 4) expect(h.get(`f${i}`)).toBe(`v${i}`);
    for (let i = 0; i < 1000; i++) if (i % 4 !== 1) expect(h.has(`f${i}`)).toBe(false);
    // Deleting the last pairs shortens the array.
    for (let i = 997; i >= 901; i -= 4) h.removeField(`f${i}`);
    expect(pairsOf(h).length).toBe(h.size);
    h.set('f1', 'again', enc);
    expect(h.get('f1')).toBe('again');
    for (const [f] of pairsOf(h)) h.removeField(f);
    expect(h.size).toBe(0);
    expect(h.slotCount).toBe(0);
  });

  test('scan: a compact hash in one call; a table visits each field once', () => {
    const small = new HashValue();
    small.set('x', '1');
    small.set('y', '2');
    expect(fullScan(small, 1).sort()).toEqual(['x', 'y']);
    const enc = limits(0);
    const h = new HashValue();
    for (let i = 0; i < 500; i++) h.set(`f${i}`, `v${i}`, enc);
    for (const count of [1, 7, 10, 1000]) {
      const seen = fullScan(h, count);
      expect(seen.length).toBe(500);
      expect(new Set(seen).size).toBe(500);
    }
  });

  test('scan: fields present throughout are returned despite deletions, insertions and squeezes', () => {
    const enc = limits(0);
    const h = new HashValue();
    for (let i = 0; i < 3000; i++) h.set(`f${i}`, 'v', enc);
    const stable = new Set<string>();
    for (let i = 0; i < 3000; i++) if (i % 3 === 0) stable.add(`f${i}`);
    let next = 3000;
    const seen = fullScan(h, 10, (calls) => {
      // Delete fields that are not "stable" and add new ones as the iteration goes.
      for (let k = 0; k < 20; k++) {
        const victim = (calls * 20 + k) % 3000;
        if (victim % 3 !== 0) h.removeField(`f${victim}`);
      }
      h.set(`f${next++}`, 'new', enc);
    });
    const seenSet = new Set(seen);
    for (const f of stable) expect(seenSet.has(f), f).toBe(true);
  });

  test('randomSlot is uniform enough and never lands on a tombstone', () => {
    const enc = limits(0);
    const h = new HashValue();
    for (let i = 0; i < 100; i++) h.set(`f${i}`, `v${i}`, enc);
    for (let i = 0; i < 100; i++) if (i % 10 !== 0) h.removeField(`f${i}`);
    const counts = new Map<string, number>();
    for (let n = 0; n < 5000; n++) {
      const f = h.fieldAt(h.randomSlot())!;
      counts.set(f, (counts.get(f) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['f0', 'f10', 'f20', 'f30', 'f40', 'f50', 'f60', 'f70', 'f80', 'f90']);
    for (const c of counts.values()) expect(c).toBeGreaterThan(300);
  });
});

describe("HashValue against a model (the table form's index)", () => {
  test('sets, updates, removals and squeezes: every field found, none invented, order and size kept', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), field: fc.integer({ min: 0, max: 400 }), value: fc.nat(1000) }) },
            { weight: 4, arbitrary: fc.record({ op: fc.constant('remove' as const), field: fc.integer({ min: 0, max: 400 }) }) },
            { weight: 1, arbitrary: fc.record({ op: fc.constant('removeRange' as const), from: fc.integer({ min: 0, max: 400 }), length: fc.integer({ min: 1, max: 200 }) }) },
          ),
          { maxLength: 300 },
        ),
        fc.integer({ min: 0, max: 8 }),
        (ops, compactEntries) => {
          const enc = limits(compactEntries);
          const h = new HashValue();
          const model = new Map<string, string>();
          const name = (i: number) => `field:${i}`;
          for (const o of ops) {
            if (o.op === 'set') {
              expect(h.set(name(o.field), String(o.value), enc)).toBe(!model.has(name(o.field)));
              model.set(name(o.field), String(o.value));
            } else if (o.op === 'remove') {
              expect(h.removeField(name(o.field))).toBe(model.delete(name(o.field)));
            } else {
              for (let i = o.from; i < o.from + o.length; i++) expect(h.removeField(name(i))).toBe(model.delete(name(i)));
            }
            expect(h.size).toBe(model.size);
          }
          for (let i = 0; i <= 600; i++) expect(h.get(name(i))).toBe(model.get(name(i)));
          // The array keeps insertion order (updates in place), whatever the index did.
          expect(pairsOf(h)).toEqual([...model]);
          expect(new Set(fullScan(h, 7))).toEqual(new Set(model.keys()));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('lookups change nothing, even while the index resizes: what the Database accounted stays true', () => {
    const h = new HashValue();
    const enc = limits(4);
    const resizing = () => (h as unknown as { table: { index: { rehashing: boolean } } | null }).table?.index.rehashing === true;
    let n = 0;
    while (!resizing()) h.set(`f${n}`, `v${n++}`, enc);
    const bytes = h.estimatedBytes;
    for (let i = 0; i < 5_000; i++) expect(h.get(`f${i % n}`)).toBe(`v${i % n}`);
    expect(resizing()).toBe(true);
    expect(h.estimatedBytes).toBe(bytes);
  });

  test('a table-form hash of 100,000 fields grows, shrinks and stays exact', () => {
    const h = new HashValue();
    const enc = limits(4);
    for (let i = 0; i < 100_000; i++) h.set(`f${i}`, `v${i}`, enc);
    for (let i = 0; i < 100_000; i += 2) h.set(`f${i}`, `w${i}`, enc);
    for (let i = 0; i < 99_000; i++) expect(h.removeField(`f${i}`)).toBe(true);
    expect(h.size).toBe(1_000);
    for (let i = 99_000; i < 100_000; i++) expect(h.get(`f${i}`)).toBe(i % 2 === 0 ? `w${i}` : `v${i}`);
    expect(h.get('f0')).toBeUndefined();
    // 1,000 fields: the arena, the refs and an index of 12 bytes a slot that shrinks at an eighth full.
    expect(h.estimatedBytes).toBeLessThan(250_000);
  });
});
