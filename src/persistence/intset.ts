import { EncodingError } from './listpack.js';

/**
 * Redis's intset blob (intset.h), as RDB_TYPE_SET_INTSET stores it: a uint32 encoding
 * (2, 4 or 8: bytes per member), a uint32 count, then the members as little-endian
 * signed integers in ascending order. All three fields little-endian.
 *
 * Members are passed and returned as canonical int64 texts, as SetValue keeps them.
 */

const HEADER = 8;

/**
 * The blob of members that are canonical int64 texts in ascending numeric order. Uses
 * the narrowest encoding that holds them all (Redis keeps the widest one a set ever
 * needed; both read the same).
 */
export function encodeIntset(members: readonly string[]): Buffer {
  let width = 2;
  const values: bigint[] = new Array(members.length);
  for (let i = 0; i < members.length; i++) {
    const v = BigInt(members[i]!);
    values[i] = v;
    if (width < 8 && (v < -2147483648n || v > 2147483647n)) width = 8;
    else if (width < 4 && (v < -32768n || v > 32767n)) width = 4;
  }
  const out = Buffer.alloc(HEADER + width * members.length);
  out.writeUInt32LE(width, 0);
  out.writeUInt32LE(members.length, 4);
  let p = HEADER;
  for (const v of values) {
    if (width === 2) out.writeInt16LE(Number(v), p);
    else if (width === 4) out.writeInt32LE(Number(v), p);
    else out.writeBigInt64LE(v, p);
    p += width;
  }
  return out;
}

/**
 * The members of an intset blob, as canonical texts in its order. Checks what Redis's
 * intsetValidateIntegrity checks, deep: a known encoding, a size that matches the
 * count, and strictly ascending members (no duplicates). Throws EncodingError.
 */
export function decodeIntset(blob: Buffer): string[] {
  if (blob.length < HEADER) throw new EncodingError('intset shorter than its header');
  const width = blob.readUInt32LE(0);
  if (width !== 2 && width !== 4 && width !== 8) throw new EncodingError(`intset encoding ${width} is not 2, 4 or 8`);
  const count = blob.readUInt32LE(4);
  if (HEADER + count * width !== blob.length) throw new EncodingError(`intset of ${count} members of ${width} bytes is ${blob.length} bytes long`);
  const out: string[] = new Array(count);
  let prev: bigint | null = null;
  for (let i = 0, p = HEADER; i < count; i++, p += width) {
    const v = width === 2 ? BigInt(blob.readInt16LE(p)) : width === 4 ? BigInt(blob.readInt32LE(p)) : blob.readBigInt64LE(p);
    if (prev !== null && v <= prev) throw new EncodingError('intset members are not in strictly ascending order');
    prev = v;
    out[i] = v.toString();
  }
  return out;
}
