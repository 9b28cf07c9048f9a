import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { SlotPages } from '../../src/keyspace/slot-pages.js';

/** SlotPages' private pages, to check their shapes. */
interface Internals {
  members: (string | null)[][];
  scores: number[][];
  lastCapacity: number;
}

describe('SlotPages against a plain array', () => {
  test('pushes, writes, truncations (within a page and across pages) and fits: every slot as the model, pages full but the last', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { weight: 3, arbitrary: fc.record({ op: fc.constant('push' as const), n: fc.integer({ min: 1, max: 3_000 }) }) },
            { weight: 2, arbitrary: fc.record({ op: fc.constant('write' as const), at: fc.nat(), score: fc.double({ noNaN: true }) }) },
            { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), keep: fc.double({ min: 0, max: 1, noNaN: true }) }) },
            { weight: 1, arbitrary: fc.record({ op: fc.constant('fit' as const) }) },
          ),
          { minLength: 1, maxLength: 30 },
        ),
        (ops) => {
          const members: (string | null)[] = ['a', 'b', null];
          const scores = [1, -0, 2.5];
          const pages = SlotPages.of(members.slice(), scores.slice(), 17);
          let next = 0;
          for (const o of ops) {
            if (o.op === 'push') {
              for (let i = 0; i < o.n; i++) {
                pages.push(`m${next}`, next / 3);
                members.push(`m${next}`);
                scores.push(next++ / 3);
              }
            } else if (o.op === 'write') {
              if (members.length === 0) continue;
              const at = o.at % members.length;
              const member = at % 2 === 0 ? null : `w${at}`;
              pages.setMember(at, member);
              pages.setScore(at, o.score);
              members[at] = member;
              scores[at] = o.score;
            } else if (o.op === 'truncate') {
              const length = Math.floor(members.length * o.keep);
              pages.truncate(length);
              members.length = length;
              scores.length = length;
            } else {
              pages.fit();
            }
            expect(pages.length).toBe(members.length);
          }
          for (let i = 0; i < members.length; i++) {
            expect(pages.member(i)).toBe(members[i]);
            expect(Object.is(pages.score(i), scores[i])).toBe(true);
          }
          const internals = pages as unknown as Internals;
          expect(internals.members.length).toBe(Math.ceil(members.length / 2048));
          internals.members.forEach((page, i) => {
            expect(page.length).toBe(i < internals.members.length - 1 ? 2048 : members.length - 2048 * i);
            expect(internals.scores[i]!.length).toBe(page.length);
          });
          if (members.length > 0) expect(internals.lastCapacity).toBeGreaterThanOrEqual(internals.members.at(-1)!.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('growing to 100,000 slots copies at most a page at a time: no page array ever holds more than 2,048 slots', () => {
    const pages = SlotPages.of([], [], 0);
    const internals = pages as unknown as Internals;
    for (let i = 0; i < 100_000; i++) pages.push(`m${i}`, i);
    expect(internals.members.length).toBe(Math.ceil(100_000 / 2048));
    expect(Math.max(...internals.members.map((p) => p.length))).toBe(2048);
    // The modelled bytes: full pages exact, the last one as V8 grows it.
    const full = Math.floor(100_000 / 2048);
    expect(pages.bytes).toBeGreaterThanOrEqual(2 * 8 * (full * 2048 + (100_000 - full * 2048)));
    expect(pages.bytes).toBeLessThan(2 * 8 * 100_000 * 1.05);
  });
});
