/**
 * CRC-64/Jones as Redis computes it for RDB files (crc64.c): polynomial
 * 0xad93d23594c935a9, reflected input and output, initial value 0, no final xor.
 * crc64(0, "123456789") is 0xe9c6d914c4b8d9ca.
 *
 * JavaScript has no fast 64-bit integers (BigInt allocates), so the register is kept as
 * two 32-bit halves and the table lookups are slicing-by-8: eight tables of 256 entries,
 * each split into a high and a low Uint32Array, consume eight input bytes per step.
 */

/** A running CRC: the register as two unsigned 32-bit halves. */
export interface Crc64 {
  hi: number;
  lo: number;
}

const SLICES = 8;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Slicing-by-8 tables: filled once at module load (buildTables), constants after. */
const TABLE_LO = new Uint32Array(256 * SLICES);
const TABLE_HI = new Uint32Array(256 * SLICES);

(function buildTables(): void {
  // The reflected polynomial, 0x95ac9329ac4bc9b5, in halves.
  const polyHi = 0x95ac9329;
  const polyLo = 0xac4bc9b5;
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (carry) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    TABLE_LO[n] = lo;
    TABLE_HI[n] = hi;
  }
  // Table k: the CRC of byte n followed by k zero bytes.
  for (let k = 1; k < SLICES; k++) {
    for (let n = 0; n < 256; n++) {
      const prevLo = TABLE_LO[(k - 1) * 256 + n]!;
      const prevHi = TABLE_HI[(k - 1) * 256 + n]!;
      const idx = prevLo & 0xff;
      TABLE_LO[k * 256 + n] = (((prevLo >>> 8) | (prevHi << 24)) ^ TABLE_LO[idx]!) >>> 0;
      TABLE_HI[k * 256 + n] = ((prevHi >>> 8) ^ TABLE_HI[idx]!) >>> 0;
    }
  }
})();

export function newCrc64(): Crc64 {
  return { hi: 0, lo: 0 };
}

/** Feeds bytes[start, end) into the running CRC. */
export function updateCrc64(crc: Crc64, bytes: Uint8Array, start = 0, end = bytes.length): void {
  let lo = crc.lo;
  let hi = crc.hi;
  let i = start;
  const TL = TABLE_LO;
  const TH = TABLE_HI;
  while (i < end && (i & 7) !== 0) {
    const idx = (lo ^ bytes[i++]!) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ TL[idx]!;
    hi = (hi >>> 8) ^ TH[idx]!;
  }
  // Whole 8-byte words, read as 32-bit words when the bytes are 4-byte aligned in memory
  // (little-endian hosts only), otherwise byte by byte.
  const words = (end - i) >>> 3;
  const address = bytes.byteOffset + i;
  if (LITTLE_ENDIAN && words > 0 && (address & 3) === 0) {
    const w = new Uint32Array(bytes.buffer, address, words * 2);
    for (let j = 0; j < w.length; j += 2) {
      const a = lo ^ w[j]!;
      const b = hi ^ w[j + 1]!;
      lo = TL[7 * 256 + (a & 0xff)]! ^ TL[6 * 256 + ((a >>> 8) & 0xff)]! ^ TL[5 * 256 + ((a >>> 16) & 0xff)]! ^
        TL[4 * 256 + (a >>> 24)]! ^ TL[3 * 256 + (b & 0xff)]! ^ TL[2 * 256 + ((b >>> 8) & 0xff)]! ^
        TL[256 + ((b >>> 16) & 0xff)]! ^ TL[b >>> 24]!;
      hi = TH[7 * 256 + (a & 0xff)]! ^ TH[6 * 256 + ((a >>> 8) & 0xff)]! ^ TH[5 * 256 + ((a >>> 16) & 0xff)]! ^
        TH[4 * 256 + (a >>> 24)]! ^ TH[3 * 256 + (b & 0xff)]! ^ TH[2 * 256 + ((b >>> 8) & 0xff)]! ^
        TH[256 + ((b >>> 16) & 0xff)]! ^ TH[b >>> 24]!;
    }
    i += words * 8;
  } else {
    const fast = i + words * 8;
    while (i < fast) {
      const a = lo ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
      const b = hi ^ (bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24));
      i += 8;
      lo = TL[7 * 256 + (a & 0xff)]! ^ TL[6 * 256 + ((a >>> 8) & 0xff)]! ^ TL[5 * 256 + ((a >>> 16) & 0xff)]! ^
        TL[4 * 256 + (a >>> 24)]! ^ TL[3 * 256 + (b & 0xff)]! ^ TL[2 * 256 + ((b >>> 8) & 0xff)]! ^
        TL[256 + ((b >>> 16) & 0xff)]! ^ TL[b >>> 24]!;
      hi = TH[7 * 256 + (a & 0xff)]! ^ TH[6 * 256 + ((a >>> 8) & 0xff)]! ^ TH[5 * 256 + ((a >>> 16) & 0xff)]! ^
        TH[4 * 256 + (a >>> 24)]! ^ TH[3 * 256 + (b & 0xff)]! ^ TH[2 * 256 + ((b >>> 8) & 0xff)]! ^
        TH[256 + ((b >>> 16) & 0xff)]! ^ TH[b >>> 24]!;
    }
  }
  while (i < end) {
    const idx = (lo ^ bytes[i++]!) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ TL[idx]!;
    hi = (hi >>> 8) ^ TH[idx]!;
  }
  crc.lo = lo >>> 0;
  crc.hi = hi >>> 0;
}

/** The CRC of bytes, as a bigint (tests and tools). */
export function crc64(bytes: Uint8Array): bigint {
  const c = newCrc64();
  updateCrc64(c, bytes);
  return crc64Value(c);
}

export function crc64Value(crc: Crc64): bigint {
  return (BigInt(crc.hi) << 32n) | BigInt(crc.lo);
}

/** Writes the CRC as Redis stores it after the EOF opcode: 8 bytes, little-endian. */
export function writeCrc64(crc: Crc64, out: Uint8Array, offset: number): void {
  const lo = crc.lo;
  const hi = crc.hi;
  out[offset] = lo & 0xff;
  out[offset + 1] = (lo >>> 8) & 0xff;
  out[offset + 2] = (lo >>> 16) & 0xff;
  out[offset + 3] = lo >>> 24;
  out[offset + 4] = hi & 0xff;
  out[offset + 5] = (hi >>> 8) & 0xff;
  out[offset + 6] = (hi >>> 16) & 0xff;
  out[offset + 7] = hi >>> 24;
}
