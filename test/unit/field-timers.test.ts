import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { FieldTimers } from '../../src/keyspace/field-timers.js';

describe('FieldTimers against a Map', () => {
  test('sets, replacements and deletions across the split into shards: get, size and values as the model', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { weight: 3, arbitrary: fc.record({ op: fc.constant('setRange' as const), from: fc.nat(9_000), n: fc.integer({ min: 1, max: 3_000 }), v: fc.nat(9) }) },
            { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteRange' as const), from: fc.nat(9_000), n: fc.integer({ min: 1, max: 3_000 }) }) },
            { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), field: fc.nat(9_000), v: fc.nat(9) }) },
            { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), field: fc.nat(9_000) }) },
          ),
          { minLength: 1, maxLength: 12 },
        ),
        (ops) => {
          const t = new FieldTimers<string>();
          const model = new Map<string, string>();
          const name = (i: number) => (i % 11 === 0 ? `f\u00ff${i}` : i % 13 === 0 ? '' : `f${i}`);
          for (const o of ops) {
            if (o.op === 'setRange' || o.op === 'set') {
              const [from, n] = o.op === 'set' ? [o.field, 1] : [o.from, o.n];
              for (let i = from; i < from + n; i++) {
                t.set(name(i), `${i}:${o.v}`);
                model.set(name(i), `${i}:${o.v}`);
              }
            } else {
              const [from, n] = o.op === 'delete' ? [o.field, 1] : [o.from, o.n];
              for (let i = from; i < from + n; i++) expect(t.delete(name(i))).toBe(model.delete(name(i)));
            }
            expect(t.size).toBe(model.size);
          }
          for (let i = 0; i < 12_000; i += 7) expect(t.get(name(i))).toBe(model.get(name(i)));
          expect([...t.values()].sort()).toEqual([...model.values()].sort());
        },
      ),
      { numRuns: 60 },
    );
  });

  test('past 4,096 timers they are spread over 64 Maps, none holding more than a few times its share', () => {
    const t = new FieldTimers<number>();
    for (let i = 0; i < 64_000; i++) t.set(`field:${i}`, i);
    const shards = (t as unknown as { shards: Map<string, number>[] | null }).shards;
    expect(shards).not.toBe(null);
    expect(shards!.length).toBe(64);
    expect(Math.max(...shards!.map((m) => m.size))).toBeLessThan(2_000);
    expect(t.size).toBe(64_000);
  });
});
