import { ZSetValue } from '../keyspace/zset.js';
import { formatDouble17g } from '../protocol/writer.js';
import { encodeListpack } from './listpack.js';
import { RDB_TYPE_ZSET_2, RDB_TYPE_ZSET_LISTPACK } from './rdb-format.js';

/**
 * A sorted set in the RDB encodings Redis 7.0 writes (rdbSaveObject): a compact set as
 * RDB_TYPE_ZSET_LISTPACK (a listpack of member, score, ... with each score as
 * zzlInsertAt stores it), a large one as RDB_TYPE_ZSET_2 (member, then the score as 8
 * bytes little-endian), from the greatest member to the smallest as Redis writes its
 * skiplist from the tail. The payload is written apart from the key, so DUMP can reuse it.
 */

/** What writing a payload needs of the encoder (RdbEncoder). */
export interface ZsetPayloadSink {
  length(n: number): void;
  string(s: string): void;
  stringBytes(bytes: Buffer): void;
  binaryDouble(v: number): void;
}

/** The RDB type byte a sorted set is written with. */
export function zsetRdbType(zset: ZSetValue): number {
  return zset.compact ? RDB_TYPE_ZSET_LISTPACK : RDB_TYPE_ZSET_2;
}

/** The value part of a sorted set (after its type byte and key). */
export function writeZsetPayload(sink: ZsetPayloadSink, zset: ZSetValue): void {
  if (zset.compact) {
    const elements: string[] = [];
    zset.forEach((m, s) => elements.push(m, listpackScore(s)));
    sink.stringBytes(encodeListpack(elements));
    return;
  }
  const size = zset.size;
  sink.length(size);
  zset.walk(size - 1, 0, (m, s) => {
    sink.string(m);
    sink.binaryDouble(s);
  });
}

/**
 * A score as a listpack holds it (zzlInsertAt): an integer when double2ll takes it
 * (|v| < 2^62 and integral; the listpack then stores it in an integer encoding), else
 * Redis's d2string: "%.17g", inf, -inf. A -0 is the integer 0, as double2ll makes it.
 * ZSCAN of a compact set returns this text.
 */
export function listpackScore(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 4611686018427387904) return v === 0 ? '0' : BigInt(v).toString();
  return formatDouble17g(v);
}
