import type { Value } from '../keyspace/values.js';
import { HashValue } from '../keyspace/hash.js';
import type { ListEncoding } from '../keyspace/list.js';
import { crc64 } from './crc64.js';
import { RdbEncoder } from './rdb-writer.js';
import { readRdbValue } from './rdb-reader.js';
import { buildValue, type BuiltValue, type ValueEncodings } from './loaded-value.js';
import { RDB_VERSION, RDB_VERSION_FIELD_TTL, RDB_VERSION_MAX } from './rdb-format.js';

/**
 * DUMP and RESTORE payloads, as Redis 7.0's cluster.c makes and checks them: the value's
 * RDB serialization (type byte, then the value, exactly as an RDB file holds it), the
 * RDB version in 2 bytes little-endian (10, Redis 7.0's; 12 when a hash carries field
 * TTLs, which only Redis 7.4's format has), then the CRC-64 (Jones, as RDB files) of all
 * that, 8 bytes little-endian.
 */

/**
 * The payload of `value`; hash fields whose TTL ends at or before `now` are left out.
 * `list`: the server's list-max-listpack-size and list-compress-depth (a list's nodes).
 */
export function createDumpPayload(value: Value, now: number, compression: boolean, list?: Readonly<ListEncoding>): Buffer {
  const enc = new RdbEncoder({ compression, checksum: false, list });
  enc.entry(null, value, null, now);
  const body = Buffer.concat(enc.take());
  const out = Buffer.allocUnsafe(body.length + 10);
  body.copy(out, 0);
  const fieldTtls = value instanceof HashValue && value.ttls !== null;
  out.writeUInt16LE(fieldTtls ? RDB_VERSION_FIELD_TTL : RDB_VERSION, body.length);
  out.writeBigUInt64LE(crc64(out.subarray(0, body.length + 2)), body.length + 2);
  return out;
}

/**
 * FUNCTION DUMP's payload (functionDumpCommand): each library as an RDB file holds it
 * (RDB_OPCODE_FUNCTION2 and its code), then the version (always 10) and the CRC-64, as
 * a DUMP payload.
 */
export function createFunctionsPayload(codes: readonly string[], compression: boolean): Buffer {
  const enc = new RdbEncoder({ compression, checksum: false });
  for (const code of codes) enc.library(code);
  const body = Buffer.concat(enc.take());
  const out = Buffer.allocUnsafe(body.length + 10);
  body.copy(out, 0);
  out.writeUInt16LE(RDB_VERSION, body.length);
  out.writeBigUInt64LE(crc64(out.subarray(0, body.length + 2)), body.length + 2);
  return out;
}

/**
 * Redis's verifyDumpPayload: at least the 10-byte footer, a version lapse reads (Redis
 * 7.0 takes up to 10; lapse up to 12, Redis 7.4's, whose hash field TTLs it holds) and
 * a CRC-64 that matches.
 */
export function verifyDumpPayload(payload: Buffer): boolean {
  if (payload.length < 10) return false;
  const footer = payload.length - 10;
  if (payload.readUInt16LE(footer) > RDB_VERSION_MAX) return false;
  return crc64(payload.subarray(0, footer + 2)) === payload.readBigUInt64LE(footer + 2);
}

/**
 * The value a verified payload holds, or null if its body is not a value lapse can read
 * (Redis's "Bad data format"): truncated, malformed, of a type lapse does not hold, or
 * with nothing left once expired hash fields are dropped. Never throws on bad input.
 */
export function parseDumpPayload(payload: Buffer, encodings: ValueEncodings, now: number): BuiltValue | null {
  try {
    return buildValue(readRdbValue(payload), encodings, now);
  } catch (e) {
    if (e instanceof Error) return null;
    throw e;
  }
}
