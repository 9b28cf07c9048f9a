import { expect, test } from 'vitest';
import fc from 'fast-check';
import { copyFromShared, REALIGN_FROM } from '../../src/util/shared-copy.js';

/**
 * copyFromShared (GET's copy of a stored value out of the slab's shared arenas) copies
 * exactly the bytes asked for, to exactly where asked, whatever the two offsets modulo 8,
 * the length (one copy below REALIGN_FROM, else through the scratch, in pieces when the
 * value is longer than it) and the scratch's own offset.
 */
test('copies src[start, end) to target[at..], touching nothing else', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.integer({ min: 0, max: 3 * REALIGN_FROM }), fc.integer({ min: 0, max: 70_000 })),
      fc.nat(31),
      fc.nat(31),
      fc.integer({ min: 8192, max: 20_000 }),
      fc.nat(15),
      (length, start, at, scratchSize, scratchOffset) => {
        const src = new Uint8Array(new SharedArrayBuffer(start + length + 5));
        for (let i = 0; i < src.length; i++) src[i] = (i * 7 + 3) & 255;
        const target = Buffer.alloc(at + length + 5, 0xee);
        const scratch = Buffer.alloc(scratchSize + scratchOffset).subarray(scratchOffset);
        expect(copyFromShared(src, start, start + length, target, at, scratch)).toBe(length);
        const expected = Buffer.alloc(at + length + 5, 0xee);
        expected.set(src.subarray(start, start + length), at);
        expect(target.equals(expected)).toBe(true);
      },
    ),
    { numRuns: 400 },
  );
});
