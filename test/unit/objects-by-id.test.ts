import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ObjectsById } from '../../src/keyspace/store/objects-by-id.js';
import { ListValue } from '../../src/keyspace/list.js';
import type { ValueObject } from '../../src/keyspace/values.js';

/**
 * ObjectsById against a Map model: sets, replacements, deletes (of held and unheld ids)
 * and lookups over ids spread across many pages and far apart, and the pages it keeps:
 * one for each 1,024 ids of which some hold a value, none once they are all gone.
 */

type Op = { op: 'set'; id: number } | { op: 'delete'; id: number } | { op: 'get'; id: number };

// Ids clustered in a few pages (so pages fill and empty) and a few far out.
const idArb = fc.oneof(fc.integer({ min: 0, max: 3 * 1024 }), fc.integer({ min: 0, max: 2 ** 29 - 1 }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ op: fc.constant('set' as const), id: idArb }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('delete' as const), id: idArb }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('get' as const), id: idArb }) },
);

/** The pages an ObjectsById holds (its private field, read for the test). */
function heldPages(o: ObjectsById): number {
  return (o as unknown as { pages: unknown[] }).pages.filter((p) => p !== undefined).length;
}

describe('ObjectsById', () => {
  test('behaves as a Map of ids, and keeps a page only while an id of it holds a value', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
        const o = new ObjectsById();
        const model = new Map<number, ValueObject>();
        for (const step of ops) {
          if (step.op === 'set') {
            const v = ListValue.of([String(step.id)]);
            o.set(step.id, v);
            model.set(step.id, v);
          } else if (step.op === 'delete') {
            o.delete(step.id);
            model.delete(step.id);
          } else {
            expect(o.get(step.id)).toBe(model.get(step.id));
          }
          expect(o.size).toBe(model.size);
        }
        for (const [id, v] of model) expect(o.get(id)).toBe(v);
        expect(heldPages(o)).toBe(new Set([...model.keys()].map((id) => Math.floor(id / 1024))).size);
        for (const id of [...model.keys()]) o.delete(id);
        expect(o.size).toBe(0);
        expect(heldPages(o)).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  test('an id never set reads undefined, below, inside and past the pages', () => {
    const o = new ObjectsById();
    const v = ListValue.of(['a']);
    o.set(5000, v);
    expect(o.get(5000)).toBe(v);
    for (const id of [0, 4095, 4096, 5001, 5119, 5120, 1e6]) expect(o.get(id)).toBeUndefined();
    o.delete(1e6);
    o.delete(5001);
    expect(o.size).toBe(1);
  });
});
