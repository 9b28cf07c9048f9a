import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { crc64, crc64Value, newCrc64, updateCrc64, writeCrc64 } from '../../src/persistence/crc64.js';

/** Bit-by-bit CRC-64/Jones, reflected, init 0, no final xor: the definition, with bigints. */
function reference(bytes: Uint8Array): bigint {
  const poly = 0x95ac9329ac4bc9b5n; // 0xad93d23594c935a9 reflected
  let crc = 0n;
  for (const b of bytes) {
    crc ^= BigInt(b);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc;
}

describe('crc64 (Jones, as Redis)', () => {
  test("Redis's own check value and the empty input", () => {
    // crc64.c's test: crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca
    expect(crc64(Buffer.from('123456789'))).toBe(0xe9c6d914c4b8d9can);
    expect(crc64(new Uint8Array(0))).toBe(0n);
  });

  test('matches the bitwise definition for any bytes, at any alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (bytes, shift) => {
        // Copy at an offset so the table path sees aligned and unaligned memory.
        const backing = new Uint8Array(bytes.length + shift);
        backing.set(bytes, shift);
        const view = backing.subarray(shift);
        expect(crc64(view)).toBe(reference(bytes));
      }),
      { numRuns: 300 },
    );
  });

  test('a CRC fed in pieces equals the CRC of the whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const c = newCrc64();
        let at = 0;
        for (const p of [...points, bytes.length]) {
          updateCrc64(c, bytes, at, p);
          at = p;
        }
        expect(crc64Value(c)).toBe(crc64(bytes));
      }),
    );
  });

  test('written little-endian after the EOF opcode, as Redis stores it', () => {
    const c = newCrc64();
    updateCrc64(c, Buffer.from('123456789'));
    const out = Buffer.alloc(8);
    writeCrc64(c, out, 0);
    expect(out.readBigUInt64LE(0)).toBe(0xe9c6d914c4b8d9can);
  });
});
