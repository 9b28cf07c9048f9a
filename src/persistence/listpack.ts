import { parseI64 } from '../util/numbers.js';

/**
 * Redis's compact sequences as they appear inside RDB strings: listpack (written and
 * read: small hashes are RDB_TYPE_HASH_LISTPACK since Redis 7.0), and the older ziplist
 * and zipmap (read only: Redis 6 and 2.x files). Elements are latin1 strings; integers
 * stored in integer encodings come back as their decimal text, as Redis reads them.
 */

/** A malformed encoded blob; the reader adds the file offset. */
export class EncodingError extends Error {}

/** Largest element count a listpack header records; above it the header says "unknown". */
const LP_COUNT_UNKNOWN = 65535;

/**
 * The integer an element is stored as, or undefined for a string: as Redis's listpack,
 * an element of at most 20 bytes that string2ll accepts exactly (no '+', no leading
 * zeros, no "-0").
 */
function elementInteger(s: string): number | bigint | undefined {
  if (s.length > 20 || s.length === 0) return undefined;
  const c = s.charCodeAt(0);
  if (c !== 0x2d && (c < 0x30 || c > 0x39)) return undefined;
  return parseI64(s);
}

/** Size of an element's encoding + data (without its back-length). */
function entrySize(s: string, int: number | bigint | undefined): number {
  if (int !== undefined) {
    if (typeof int === 'bigint') return 9;
    if (int >= 0 && int <= 127) return 1;
    if (int >= -4096 && int <= 4095) return 2;
    if (int >= -32768 && int <= 32767) return 3;
    if (int >= -8388608 && int <= 8388607) return 4;
    if (int >= -2147483648 && int <= 2147483647) return 5;
    return 9;
  }
  const n = s.length;
  if (n < 64) return 1 + n;
  if (n < 4096) return 2 + n;
  return 5 + n;
}

function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** The bytes one element takes in a listpack (encoding, data and back-length), as lpAppend writes it. */
export function listpackEntryBytes(s: string): number {
  const size = entrySize(s, elementInteger(s));
  return size + backlenSize(size);
}

/** Encodes elements as a listpack, exactly as Redis's lpAppend would build it. */
export function encodeListpack(elements: readonly string[]): Buffer {
  const ints: (number | bigint | undefined)[] = new Array(elements.length);
  let total = 6 + 1;
  for (let i = 0; i < elements.length; i++) {
    const int = elementInteger(elements[i]!);
    ints[i] = int;
    const size = entrySize(elements[i]!, int);
    total += size + backlenSize(size);
  }
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32LE(total, 0);
  out.writeUInt16LE(Math.min(elements.length, LP_COUNT_UNKNOWN), 4);
  let p = 6;
  for (let i = 0; i < elements.length; i++) {
    const s = elements[i]!;
    const int = ints[i];
    const start = p;
    if (int !== undefined) {
      const big = typeof int === 'bigint';
      const v = big ? 0 : int;
      if (!big && v >= 0 && v <= 127) {
        out[p++] = v;
      } else if (!big && v >= -4096 && v <= 4095) {
        const u = v < 0 ? (1 << 13) + v : v;
        out[p++] = 0xc0 | (u >>> 8);
        out[p++] = u & 0xff;
      } else if (!big && v >= -32768 && v <= 32767) {
        out[p++] = 0xf1;
        p = out.writeInt16LE(v, p);
      } else if (!big && v >= -8388608 && v <= 8388607) {
        out[p++] = 0xf2;
        p = out.writeIntLE(v, p, 3);
      } else if (!big && v >= -2147483648 && v <= 2147483647) {
        out[p++] = 0xf3;
        p = out.writeInt32LE(v, p);
      } else {
        out[p++] = 0xf4;
        p = out.writeBigInt64LE(BigInt(int), p);
      }
    } else {
      const n = s.length;
      if (n < 64) {
        out[p++] = 0x80 | n;
      } else if (n < 4096) {
        out[p++] = 0xe0 | (n >>> 8);
        out[p++] = n & 0xff;
      } else {
        out[p++] = 0xf0;
        p = out.writeUInt32LE(n, p);
      }
      p += out.write(s, p, s.length, 'latin1');
    }
    p = writeBacklen(out, p, p - start);
  }
  out[p++] = 0xff;
  return out;
}

function writeBacklen(out: Buffer, p: number, l: number): number {
  if (l <= 127) {
    out[p++] = l;
  } else if (l < 16383) {
    out[p++] = l >>> 7;
    out[p++] = (l & 127) | 128;
  } else if (l < 2097151) {
    out[p++] = l >>> 14;
    out[p++] = ((l >>> 7) & 127) | 128;
    out[p++] = (l & 127) | 128;
  } else if (l < 268435455) {
    out[p++] = l >>> 21;
    out[p++] = ((l >>> 14) & 127) | 128;
    out[p++] = ((l >>> 7) & 127) | 128;
    out[p++] = (l & 127) | 128;
  } else {
    out[p++] = Math.floor(l / 2 ** 28);
    out[p++] = ((l >>> 21) & 127) | 128;
    out[p++] = ((l >>> 14) & 127) | 128;
    out[p++] = ((l >>> 7) & 127) | 128;
    out[p++] = (l & 127) | 128;
  }
  return p;
}

function need(p: number, n: number, end: number, what: string): void {
  if (p + n > end) throw new EncodingError(`${what} runs past the end of the encoded data`);
}

function latin1(blob: Uint8Array, start: number, end: number): string {
  return Buffer.from(blob.buffer, blob.byteOffset + start, end - start).toString('latin1');
}

/** The elements of a listpack, checking its header, back-lengths and terminator. */
export function decodeListpack(blob: Uint8Array): string[] {
  const end = blob.length;
  if (end < 7) throw new EncodingError('listpack shorter than its header');
  const view = Buffer.from(blob.buffer, blob.byteOffset, blob.length);
  const total = view.readUInt32LE(0);
  if (total !== end) throw new EncodingError(`listpack header says ${total} bytes, the string has ${end}`);
  const count = view.readUInt16LE(4);
  const out: string[] = [];
  let p = 6;
  for (;;) {
    need(p, 1, end, 'listpack entry');
    const e = blob[p]!;
    if (e === 0xff) {
      if (p !== end - 1) throw new EncodingError('listpack terminator before its end');
      break;
    }
    const start = p;
    let value: string;
    if ((e & 0x80) === 0) {
      value = String(e);
      p += 1;
    } else if ((e & 0xc0) === 0x80) {
      const n = e & 0x3f;
      need(p, 1 + n, end, 'listpack string');
      value = latin1(blob, p + 1, p + 1 + n);
      p += 1 + n;
    } else if ((e & 0xe0) === 0xc0) {
      need(p, 2, end, 'listpack integer');
      let v = ((e & 0x1f) << 8) | blob[p + 1]!;
      if (v >= 1 << 12) v -= 1 << 13;
      value = String(v);
      p += 2;
    } else if ((e & 0xf0) === 0xe0) {
      need(p, 2, end, 'listpack string');
      const n = ((e & 0x0f) << 8) | blob[p + 1]!;
      need(p, 2 + n, end, 'listpack string');
      value = latin1(blob, p + 2, p + 2 + n);
      p += 2 + n;
    } else if (e === 0xf0) {
      need(p, 5, end, 'listpack string');
      const n = view.readUInt32LE(p + 1);
      need(p, 5 + n, end, 'listpack string');
      value = latin1(blob, p + 5, p + 5 + n);
      p += 5 + n;
    } else if (e === 0xf1) {
      need(p, 3, end, 'listpack integer');
      value = String(view.readInt16LE(p + 1));
      p += 3;
    } else if (e === 0xf2) {
      need(p, 4, end, 'listpack integer');
      value = String(view.readIntLE(p + 1, 3));
      p += 4;
    } else if (e === 0xf3) {
      need(p, 5, end, 'listpack integer');
      value = String(view.readInt32LE(p + 1));
      p += 5;
    } else if (e === 0xf4) {
      need(p, 9, end, 'listpack integer');
      value = String(view.readBigInt64LE(p + 1));
      p += 9;
    } else {
      throw new EncodingError(`invalid listpack entry encoding 0x${e.toString(16)}`);
    }
    const size = p - start;
    const bl = backlenSize(size);
    need(p, bl, end, 'listpack back-length');
    let decoded = 0;
    for (let k = 0; k < bl; k++) decoded = decoded * 128 + (blob[p + k]! & 127);
    if (decoded !== size) throw new EncodingError('listpack entry back-length does not match its size');
    p += bl;
    out.push(value);
  }
  if (count !== LP_COUNT_UNKNOWN && count !== out.length) {
    throw new EncodingError(`listpack header says ${count} elements, it holds ${out.length}`);
  }
  return out;
}

/** The elements of a ziplist (Redis 3.2 to 6.2 encodings of small hashes). */
export function decodeZiplist(blob: Uint8Array): string[] {
  const end = blob.length;
  if (end < 11) throw new EncodingError('ziplist shorter than its header');
  const view = Buffer.from(blob.buffer, blob.byteOffset, blob.length);
  const total = view.readUInt32LE(0);
  if (total !== end) throw new EncodingError(`ziplist header says ${total} bytes, the string has ${end}`);
  const count = view.readUInt16LE(8);
  const out: string[] = [];
  let p = 10;
  for (;;) {
    need(p, 1, end, 'ziplist entry');
    if (blob[p] === 0xff) {
      if (p !== end - 1) throw new EncodingError('ziplist terminator before its end');
      break;
    }
    p += blob[p]! < 254 ? 1 : 5;
    need(p, 1, end, 'ziplist entry');
    const e = blob[p]!;
    const kind = e >>> 6;
    let value: string;
    if (kind === 0) {
      const n = e & 0x3f;
      need(p, 1 + n, end, 'ziplist string');
      value = latin1(blob, p + 1, p + 1 + n);
      p += 1 + n;
    } else if (kind === 1) {
      need(p, 2, end, 'ziplist string');
      const n = ((e & 0x3f) << 8) | blob[p + 1]!;
      need(p, 2 + n, end, 'ziplist string');
      value = latin1(blob, p + 2, p + 2 + n);
      p += 2 + n;
    } else if (kind === 2) {
      need(p, 5, end, 'ziplist string');
      const n = view.readUInt32BE(p + 1);
      need(p, 5 + n, end, 'ziplist string');
      value = latin1(blob, p + 5, p + 5 + n);
      p += 5 + n;
    } else if (e === 0xc0) {
      need(p, 3, end, 'ziplist integer');
      value = String(view.readInt16LE(p + 1));
      p += 3;
    } else if (e === 0xd0) {
      need(p, 5, end, 'ziplist integer');
      value = String(view.readInt32LE(p + 1));
      p += 5;
    } else if (e === 0xe0) {
      need(p, 9, end, 'ziplist integer');
      value = String(view.readBigInt64LE(p + 1));
      p += 9;
    } else if (e === 0xf0) {
      need(p, 4, end, 'ziplist integer');
      value = String(view.readIntLE(p + 1, 3));
      p += 4;
    } else if (e === 0xfe) {
      need(p, 2, end, 'ziplist integer');
      value = String(view.readInt8(p + 1));
      p += 2;
    } else if (e >= 0xf1 && e <= 0xfd) {
      value = String((e & 0x0f) - 1);
      p += 1;
    } else {
      throw new EncodingError(`invalid ziplist entry encoding 0x${e.toString(16)}`);
    }
    out.push(value);
  }
  if (count !== 65535 && count !== out.length) {
    throw new EncodingError(`ziplist header says ${count} elements, it holds ${out.length}`);
  }
  return out;
}

/** The field/value elements of a zipmap (Redis 2.x small hashes). */
export function decodeZipmap(blob: Uint8Array): string[] {
  const end = blob.length;
  const view = Buffer.from(blob.buffer, blob.byteOffset, blob.length);
  const out: string[] = [];
  let p = 1;
  const readLen = (): number => {
    need(p, 1, end, 'zipmap length');
    const b = blob[p]!;
    if (b < 254) {
      p += 1;
      return b;
    }
    if (b === 254) {
      need(p, 5, end, 'zipmap length');
      const n = view.readUInt32LE(p + 1);
      p += 5;
      return n;
    }
    return -1;
  };
  for (;;) {
    const klen = readLen();
    if (klen < 0) break;
    need(p, klen, end, 'zipmap field');
    out.push(latin1(blob, p, p + klen));
    p += klen;
    const vlen = readLen();
    if (vlen < 0) throw new EncodingError('zipmap field without a value');
    need(p, 1 + vlen, end, 'zipmap value');
    const free = blob[p]!;
    out.push(latin1(blob, p + 1, p + 1 + vlen));
    p += 1 + vlen + free;
  }
  if (p !== end - 1) throw new EncodingError('zipmap terminator before its end');
  return out;
}
