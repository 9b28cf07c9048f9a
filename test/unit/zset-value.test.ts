import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ZSetValue } from '../../src/keyspace/zset.js';

/**
 * ZSetValue (and its ScoreTree) against a plain sorted array: random inserts, score
 * updates, removals and rank/range queries, in both forms, small and past several tree
 * levels, so splits, merges, emptied leaves and root collapses are all exercised.
 */

type Model = Map<string, number>;

function sorted(model: Model): [string, number][] {
  return [...model].sort((a, b) => (a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function check(z: ZSetValue, model: Model): void {
  const want = sorted(model);
  expect(z.size).toBe(want.length);
  const got: [string, number][] = [];
  z.forEach((m, s) => got.push([m, s]));
  expect(got).toEqual(want);
  for (let i = 0; i < want.length; i += Math.max(1, Math.floor(want.length / 50))) {
    expect(z.rank(want[i]![0])).toBe(i);
    expect(z.score(want[i]![0])).toBe(want[i]![1]);
    const back: string[] = [];
    z.walk(i, Math.max(0, i - 3), (m) => back.push(m));
    expect(back).toEqual(want.slice(Math.max(0, i - 3), i + 1).map((p) => p[0]).reverse());
  }
  // Every member the operations could have touched, present or not, through the index.
  for (let id = 0; id <= 3000; id += 7) {
    const m = `m${id}`;
    expect(z.has(m)).toBe(model.has(m));
    expect(z.score(m)).toBe(model.get(m));
  }
}

describe('ZSetValue against a model', () => {
  for (const limit of [128, 0]) {
    test(`random operations (${limit === 0 ? 'large form from the start' : 'compact, converting when large'})`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: -50, max: 50 })), { minLength: 1, maxLength: 4000, size: 'max' }),
          (ops) => {
            const enc = { maxCompactEntries: limit, maxCompactValue: 64, arrays: null };
            const z = new ZSetValue(limit === 0 ? 1 : 0, 0, enc);
            const model: Model = new Map();
            for (const [op, id, score] of ops) {
              const member = `m${id}`;
              const known = model.get(member);
              if (op <= 1) {
                if (known === undefined) z.insert(member, score, enc);
                else z.updateAt(z.find(member), member, score);
                model.set(member, score);
              } else if (op === 2) {
                expect(z.remove(member)).toBe(known !== undefined);
                model.delete(member);
              } else {
                // Remove a run of the lowest members, as ZPOPMIN / ZREMRANGEBYRANK do.
                // (range needs both ranks in range: an empty set has none.)
                const doomed = z.size === 0 ? [] : z.range(0, Math.min(z.size, 40) - 1);
                for (let i = 0; i < doomed.length; i += 2) {
                  z.remove(doomed[i] as string);
                  model.delete(doomed[i] as string);
                }
              }
            }
            check(z, model);
            expect(z.encoding()).toBe(limit === 0 || model.size > 128 || !z.compact ? 'skiplist' : 'listpack');
            check(z.copy(), model);
          },
        ),
        { numRuns: 40 },
      );
    });
  }

  test('100k members: ranks and ranges, then emptied one by one', () => {
    const z = new ZSetValue();
    const model: Model = new Map();
    for (let i = 0; i < 100_000; i++) {
      const m = `k${(i * 7919) % 100_000}`;
      z.insert(m, i % 1000);
      model.set(m, i % 1000);
    }
    check(z, model);
    for (const m of [...model.keys()]) {
      z.remove(m);
      model.delete(m);
      if (model.size % 20_000 === 0) check(z, model);
    }
    expect(z.size).toBe(0);
  });

  test('the slot arrays are squeezed 64 slots a write: a scan across a squeeze visits every member that stays; random picks are live', () => {
    const z = new ZSetValue();
    const model: Model = new Map();
    for (let i = 0; i < 5_000; i++) {
      z.insert(`m${i}`, i % 97);
      model.set(`m${i}`, i % 97);
    }
    const dict = (z as unknown as { dict: { move: (...a: unknown[]) => void; squeezeFrom: number } }).dict;
    const move = dict.move.bind(dict);
    let moved = 0;
    dict.move = (...a: unknown[]) => {
      moved++;
      (move as (...b: unknown[]) => void)(...a);
    };
    // Members i % 7 === 0 stay; the others go in a scrambled order while new ones come.
    const going = [...model.keys()].filter((_, i) => i % 7 !== 0).sort((a, b) => ((Number(a.slice(1)) * 7919) % 4999) - ((Number(b.slice(1)) * 7919) % 4999));
    const visited = new Set<string>();
    let squeezing = 0;
    let added = 0;
    let cursor = 0;
    do {
      cursor = z.scan(cursor, 10, (m, score) => {
        expect(model.get(m)).toBe(score);
        visited.add(m);
      });
      for (let k = 0; k < 40 && going.length > 0; k++) {
        moved = 0;
        const m = going.pop()!;
        z.remove(m);
        model.delete(m);
        expect(moved).toBeLessThanOrEqual(64);
        if (dict.squeezeFrom >= 0) squeezing++;
      }
      // Scores of members that stay change (a stale copy of a moved slot would show the old one).
      for (let k = 0; k < 30; k++) {
        const m = `m${7 * ((added * 31 + k * 17) % 715)}`;
        const score = added + k / 100;
        z.updateAt(z.find(m), m, score);
        model.set(m, score);
      }
      for (let k = 0; k < 4; k++) {
        moved = 0;
        z.insert(`new${added}`, -1);
        model.set(`new${added++}`, -1);
        expect(moved).toBeLessThanOrEqual(64);
      }
      for (let k = 0; k < 200; k++) {
        const pick = z.randomPick();
        expect(model.get(z.memberOf(pick))).toBe(z.scoreOf(pick));
      }
    } while (cursor !== 0);
    expect(squeezing).toBeGreaterThan(100);
    for (let i = 0; i < 5_000; i += 7) expect(visited.has(`m${i}`)).toBe(true);
    check(z, model);
  });
});
