import fs from 'node:fs';
import { lzfDecompress, LzfDecoder, LzfError } from './lzf.js';
import { crc64Value, newCrc64, updateCrc64, type Crc64 } from './crc64.js';
import { FileChecksum, fileCrc } from './checksum-offload.js';
import { decodeListpack, decodeZiplist, decodeZipmap, EncodingError } from './listpack.js';
import { decodeIntset } from './intset.js';
import * as F from './rdb-format.js';
import { QUICKLIST_NODE_CONTAINER_PACKED, QUICKLIST_NODE_CONTAINER_PLAIN } from './rdb-list.js';
import { parseCDouble } from '../util/numbers.js';
import { KeyTable } from '../keyspace/store/key-table.js';
import { hashString, randomHashSeed } from '../keyspace/store/key-hash.js';

/**
 * Reads RDB files written by lapse and by Redis (versions 1 to 12): strings (plain,
 * int-encoded, LZF), hashes (plain, zipmap, ziplist, listpack, and Redis 7.4's hashes
 * with field TTLs), sets (plain and intset), sorted sets, lists (plain, ziplist,
 * quicklist of ziplists, quicklist of listpacks and plain nodes), expire times in
 * seconds and milliseconds, AUX fields (unknown ones are passed on and may be ignored),
 * LRU/LFU hints (skipped). Types lapse has no value for (streams, 7.2's listpack sets,
 * modules, functions) are refused with an error
 * naming the type and the offset.
 *
 * The file is read through a bounded window (never whole into memory), and the CRC-64
 * is checked as it goes. Every failure is an RdbError carrying the byte offset.
 */

export class RdbError extends Error {
  constructor(
    message: string,
    /** Offset in the file where the problem was found. */
    readonly offset: number,
  ) {
    super(`${message} (at offset ${offset})`);
  }
}

/** A hash as read: fields and values alternating; expire times (ms) per field or null. */
export interface LoadedHash {
  readonly type: 'hash';
  readonly pairs: string[];
  /** Redis's expire time in ms of each field (pairs index / 2), 0 for none; null: none has one. */
  readonly fieldExpires: number[] | null;
}

/** A set as read: its members (an intset's in ascending order), without duplicates. */
export interface LoadedSet {
  readonly type: 'set';
  readonly members: string[];
}


/** A sorted set as read: members and their scores, in the file's order. */
export interface LoadedZset {
  readonly type: 'zset';
  readonly members: string[];
  readonly scores: number[];
  /** Read from a listpack or ziplist: Redis keeps such a set compact if its count allows. */
  readonly compact: boolean;
}

/** A list as read: its elements, head first. */
export interface LoadedList {
  readonly type: 'list';
  readonly elements: string[];
}

export type LoadedValue = string | LoadedHash | LoadedSet | LoadedZset | LoadedList;

export interface RdbVisitor {
  /** An AUX field (redis-ver, ctime, used-mem ...). */
  aux?(name: string, value: string): void;
  /** RESIZEDB hints for the database being read. */
  resize?(db: number, size: number, expires: number): void;
  /** A database index announced by SELECTDB (before its keys). */
  selectDb?(db: number, offset: number): void;
  /** One key, with Redis's expire time in ms (bigint beyond 2^53) or null. */
  key(db: number, key: string, value: LoadedValue, expireTime: number | bigint | null, offset: number): void;
  /**
   * A string key, as bytes, instead of key(): key[0, keyLength) holds the key and
   * value[valueStart, valueEnd) the value, both valid only during the call (a load copies
   * them into the keyspace's slab; no JavaScript string is made of either).
   */
  stringKey?(
    db: number,
    key: Uint8Array,
    keyLength: number,
    value: Uint8Array,
    valueStart: number,
    valueEnd: number,
    expireTime: number | bigint | null,
    offset: number,
  ): void;
  /**
   * A function library's code (RDB_OPCODE_FUNCTION2, or 7.0 release candidates'
   * RDB_OPCODE_FUNCTION, turned into the same form): without this callback a file
   * holding functions is refused.
   */
  library?(code: string, offset: number): void;
}

export interface RdbSummary {
  version: number;
  /** Keys passed to the visitor. */
  keys: number;
  /** Whether a checksum was present and matched (false: absent, zero, or not checked). */
  checksumVerified: boolean;
  /** File size in bytes. */
  bytes: number;
  /** Who computed the checksum checked: this thread as it read, or a worker alongside (checksum-offload.ts). */
  checksumBy: 'thread' | 'worker';
}

const WINDOW = 4 * 1024 * 1024;

/** A forward-only reader over a file descriptor or a buffer, feeding a CRC-64 (unless a worker computes it). */
class Source {
  private buf: Buffer;
  private pos = 0;
  private end: number;
  /** File offset of buf[0]. */
  private base = 0;
  /** buf index up to which bytes were fed to the CRC. */
  private crcPos = 0;
  readonly crc: Crc64 = newCrc64();
  private eofReached: boolean;
  /**
   * Where LZF strings are decompressed before they become JavaScript strings: reused
   * for every string of the load, so only the string is allocated. 64 KiB at the first
   * compressed string, grown as needed.
   */
  lzfScratch: Buffer = Buffer.alloc(0);
  /** Decompresses into lzfScratch (its DataViews over the window and the scratch kept between strings). */
  readonly lzf = new LzfDecoder();
  /** Where readStringRange() left the string's bytes: range [rangeStart, rangeEnd) of rangeBuffer. */
  rangeBuffer: Buffer = Buffer.alloc(0);
  rangeStart = 0;
  rangeEnd = 0;
  /** A key read by readStringRange(), kept while its value is read (keepKey). */
  keyScratch: Buffer = Buffer.alloc(64);
  /** The digits of an integer-encoded string. */
  readonly digits: Buffer = Buffer.alloc(24);

  /** Copies the range readStringRange() left into keyScratch; returns its length. */
  keepKey(): number {
    const n = this.rangeEnd - this.rangeStart;
    if (this.keyScratch.length < n) this.keyScratch = Buffer.allocUnsafe(Math.max(n, this.keyScratch.length * 2));
    const from = this.rangeBuffer;
    const to = this.keyScratch;
    const start = this.rangeStart;
    if (n <= 64) for (let i = 0; i < n; i++) to[i] = from[start + i]!;
    else from.copy(to, 0, start, this.rangeEnd);
    return n;
  }

  constructor(
    readonly fd: number | null,
    data?: Buffer,
    /** False when a worker computes the file's checksum: the bytes read are not fed to the CRC. */
    private readonly crcInline = true,
  ) {
    if (fd === null) {
      this.buf = data!;
      this.end = data!.length;
      this.eofReached = true;
    } else {
      this.buf = Buffer.allocUnsafe(WINDOW);
      this.end = 0;
      this.eofReached = false;
    }
  }

  get offset(): number {
    return this.base + this.pos;
  }

  /** Makes n bytes available at pos, or throws a truncation error. */
  need(n: number): void {
    if (this.end - this.pos >= n) return;
    if (this.fd !== null && !this.eofReached) this.refill(n);
    if (this.end - this.pos < n) {
      throw new RdbError(`Unexpected end of file: ${n} more bytes needed, the file ends ${this.end - this.pos} bytes later`, this.offset);
    }
  }

  private refill(n: number): void {
    if (this.crcInline) updateCrc64(this.crc, this.buf, this.crcPos, this.pos);
    const keep = this.end - this.pos;
    const size = Math.max(WINDOW, n);
    const next = size > this.buf.length ? Buffer.allocUnsafe(size) : this.buf;
    this.buf.copy(next, 0, this.pos, this.end);
    this.buf = next;
    this.base += this.pos;
    this.pos = 0;
    this.crcPos = 0;
    this.end = keep;
    while (this.end < this.buf.length) {
      const got = fs.readSync(this.fd!, this.buf, this.end, this.buf.length - this.end, null);
      if (got === 0) {
        this.eofReached = true;
        break;
      }
      this.end += got;
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  /**
   * Consumes n bytes and returns where they start in `window`, which holds them until
   * the next read (no view object per read).
   */
  consume(n: number): number {
    this.need(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  get window(): Buffer {
    return this.buf;
  }

  /** A signed 64-bit little-endian integer: a number, or a bigint beyond 2^53. */
  i64(): number | bigint {
    const at = this.consume(8);
    const buf = this.buf;
    const lo = buf.readUInt32LE(at);
    const hi = buf.readInt32LE(at + 4);
    if (hi >= 0 && hi < 0x200000) return hi * 4294967296 + lo;
    const v = buf.readBigInt64LE(at);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  /** n bytes, valid until the next read. */
  view(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  latin1(n: number): string {
    this.need(n);
    const s = this.buf.toString('latin1', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** Feeds everything consumed so far to the CRC and returns it. */
  checksumSoFar(): bigint {
    updateCrc64(this.crc, this.buf, this.crcPos, this.pos);
    this.crcPos = this.pos;
    return crc64Value(this.crc);
  }
}

/** Reads the RDB file at path, passing each key to the visitor. */
export function readRdbFile(
  path: string,
  visitor: RdbVisitor,
  options: { checksum?: boolean; /** Files from this size have their checksum computed by a worker (tests lower it). */ offloadChecksumFrom?: number } = {},
): RdbSummary {
  const fd = fs.openSync(path, 'r');
  let job: FileChecksum | null = null;
  try {
    const size = fs.fstatSync(fd).size;
    const checksum = options.checksum ?? true;
    if (checksum) job = FileChecksum.start(path, fd, size, options.offloadChecksumFrom);
    const summary = parse(new Source(fd, undefined, job === null), visitor, checksum, job);
    job = null;
    summary.bytes = size;
    return summary;
  } finally {
    // A load that failed: the worker's result is not wanted.
    job?.cancel();
    fs.closeSync(fd);
  }
}

/** Reads an RDB image held in memory. */
export function readRdbBuffer(data: Buffer, visitor: RdbVisitor, options: { checksum?: boolean } = {}): RdbSummary {
  const summary = parse(new Source(null, data), visitor, options.checksum ?? true, null);
  summary.bytes = data.length;
  return summary;
}

function parse(src: Source, visitor: RdbVisitor, checkChecksum: boolean, job: FileChecksum | null): RdbSummary {
  let magic: string;
  try {
    magic = src.latin1(9);
  } catch {
    throw new RdbError('Not an RDB file: shorter than its 9-byte header', 0);
  }
  if (!magic.startsWith('REDIS')) throw new RdbError("Wrong signature trying to load DB from file: not an RDB file", 0);
  const digits = magic.slice(5);
  const version = /^\d{4}$/.test(digits) ? Number(digits) : NaN;
  if (!(version >= 1 && version <= F.RDB_VERSION_MAX)) {
    throw new RdbError(
      `Can't handle RDB format version ${digits}: lapse reads versions 1 to ${F.RDB_VERSION_MAX} (Redis up to 7.4)`,
      5,
    );
  }
  let db = 0;
  let expire: number | bigint | null = null;
  let keys = 0;
  for (;;) {
    const at = src.offset;
    const type = src.u8();
    switch (type) {
      case F.RDB_OPCODE_EXPIRETIME: {
        const b = src.view(4);
        expire = b.readUInt32LE(0) * 1000;
        continue;
      }
      case F.RDB_OPCODE_EXPIRETIME_MS:
        expire = src.i64();
        continue;
      case F.RDB_OPCODE_FREQ:
        src.u8();
        continue;
      case F.RDB_OPCODE_IDLE:
        readLength(src);
        continue;
      case F.RDB_OPCODE_SELECTDB:
        db = readLength(src);
        visitor.selectDb?.(db, at);
        continue;
      case F.RDB_OPCODE_RESIZEDB: {
        const size = readLength(src);
        const expires = readLength(src);
        visitor.resize?.(db, size, expires);
        continue;
      }
      case F.RDB_OPCODE_SLOT_INFO:
        readLength(src);
        readLength(src);
        readLength(src);
        continue;
      case F.RDB_OPCODE_AUX: {
        const name = readString(src);
        const value = readString(src);
        visitor.aux?.(name, value);
        continue;
      }
      case F.RDB_OPCODE_MODULE_AUX:
        throw new RdbError('The RDB file holds module data (MODULE_AUX), which lapse cannot load', at);
      case F.RDB_OPCODE_FUNCTION_PRE_GA:
      case F.RDB_OPCODE_FUNCTION2: {
        if (visitor.library === undefined) throw new RdbError('The RDB file holds Redis functions, which lapse cannot load', at);
        const code = readFunction(src, type);
        if (typeof code !== 'string') throw new RdbError(code.error, at);
        visitor.library(code, at);
        continue;
      }
      case F.RDB_OPCODE_EOF:
        break;
      default: {
        if (type === F.RDB_TYPE_STRING && visitor.stringKey !== undefined) {
          // The session workload's keys: bytes from the file to the slab, no strings.
          readStringRange(src);
          const keyLength = src.keepKey();
          readStringRange(src);
          visitor.stringKey(db, src.keyScratch, keyLength, src.rangeBuffer, src.rangeStart, src.rangeEnd, expire, at);
          keys++;
          expire = null;
          continue;
        }
        const key = readString(src);
        const value = readObject(src, type, at);
        if (value !== null) {
          visitor.key(db, key, value, expire, at);
          keys++;
        }
        expire = null;
        continue;
      }
    }
    break;
  }
  let checksumVerified = false;
  let checksumBy: RdbSummary['checksumBy'] = 'thread';
  if (version < 5) job?.cancel();
  else {
    const at = src.offset;
    let computed: bigint;
    if (job === null) computed = src.checksumSoFar();
    else {
      // The worker's, if it read exactly up to here; else this thread reads the file again.
      const crc = job.take(at);
      if (crc !== null) checksumBy = 'worker';
      computed = crc64Value(crc ?? fileCrc(src.fd!, at));
    }
    const stored = src.view(8).readBigUInt64LE(0);
    if (checkChecksum && stored !== 0n) {
      if (stored !== computed) {
        throw new RdbError(
          `Wrong RDB checksum: the file says ${stored.toString(16)}, its content gives ${computed.toString(16)}`,
          at,
        );
      }
      checksumVerified = true;
    }
  }
  return { version, keys, checksumVerified, bytes: 0, checksumBy };
}

/**
 * A value serialized on its own (a DUMP payload's body: the type byte, then the value,
 * as rdbLoadObjectType + rdbLoadObject), read from the start of `data`; bytes after it
 * are not looked at, as Redis's RESTORE reads on into the footer. Throws an RdbError on
 * anything malformed or truncated, and for a value with no element (Redis refuses an
 * empty key).
 */
export function readRdbValue(data: Buffer): LoadedValue {
  const src = new Source(null, data);
  const type = src.u8();
  const value = readObject(src, type, 0);
  if (value === null) throw new RdbError('Empty keys are not allowed', 0);
  return value;
}

/**
 * A function library record after its opcode, as rdbFunctionLoad reads it: its code, or
 * Redis's wording of what could not be read.
 */
function readFunction(src: Source, type: number): string | { error: string } {
  const field = (what: string): string | { error: string } => {
    try {
      return readString(src);
    } catch (e) {
      if (e instanceof RdbError) return { error: `Failed loading ${what}` };
      throw e;
    }
  };
  if (type === F.RDB_OPCODE_FUNCTION2) return field('library payload');
  // 7.0's release candidates: name, engine, an optional description, the code without shebang.
  const name = field('library name');
  if (typeof name !== 'string') return name;
  const engine = field('engine name');
  if (typeof engine !== 'string') return engine;
  let hasDescription: number;
  try {
    hasDescription = readLength(src);
  } catch (e) {
    if (e instanceof RdbError) return { error: 'Failed loading library description indicator' };
    throw e;
  }
  if (hasDescription !== 0) {
    const description = field('library description');
    if (typeof description !== 'string') return description;
  }
  const blob = field('library blob');
  if (typeof blob !== 'string') return blob;
  return `#!${engine} name=${name}\n${blob}`;
}

/**
 * The libraries of a FUNCTION DUMP payload (already verified: version and CRC), as
 * FUNCTION RESTORE reads them: records up to the 10-byte footer, each passed to
 * `library` as it is read (which returns its own error to stop, or null). Returns null,
 * or the error text (Redis's, without the leading "ERR ").
 */
export function readFunctionPayload(payload: Buffer, library: (code: string) => string | null): string | null {
  const src = new Source(null, payload);
  while (payload.length - src.offset > 10) {
    const type = src.u8();
    if (type !== F.RDB_OPCODE_FUNCTION2 && type !== F.RDB_OPCODE_FUNCTION_PRE_GA) return 'given type is not a function';
    const code = readFunction(src, type);
    if (typeof code !== 'string') return code.error;
    const error = library(code);
    if (error !== null) return error;
  }
  return null;
}

/** A length, as rdbLoadLen. */
function readLength(src: Source): number {
  const at = src.offset;
  return lengthFrom(src, src.u8(), at);
}

/** The rest of a length whose first byte b (at offset at) was read. */
function lengthFrom(src: Source, b: number, at: number): number {
  const kind = b >>> 6;
  if (kind === 0) return b & 0x3f;
  if (kind === 1) return ((b & 0x3f) << 8) | src.u8();
  if (b === 0x80) return src.view(4).readUInt32BE(0);
  if (b === 0x81) {
    const v = src.view(8).readBigUInt64BE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RdbError(`Length ${v} too large`, at);
    return Number(v);
  }
  throw new RdbError(`Unknown length encoding 0x${b.toString(16)}`, at);
}

/** A string's bytes (a copy), as rdbGenericLoadStringObject. */
function readStringBytes(src: Source): Buffer {
  const at = src.offset;
  const b = src.u8();
  if (b >>> 6 !== 3) return Buffer.from(src.view(lengthFrom(src, b, at)));
  return encodedStringBytes(src, b, at);
}

/**
 * The value of an integer-encoded string (b's low bits RDB_ENC_INT8, INT16 or INT32,
 * read from src), or undefined for another encoding (nothing is read then).
 */
function encodedInteger(src: Source, b: number): number | undefined {
  switch (b & 0x3f) {
    case F.RDB_ENC_INT8:
      return src.view(1).readInt8(0);
    case F.RDB_ENC_INT16:
      return src.view(2).readInt16LE(0);
    case F.RDB_ENC_INT32:
      return src.view(4).readInt32LE(0);
    default:
      return undefined;
  }
}

function unknownEncoding(b: number, at: number): RdbError {
  return new RdbError(`Unknown string encoding 0x${b.toString(16)}`, at);
}

/** A specially encoded string (int or LZF) whose first byte b was read. */
function encodedStringBytes(src: Source, b: number, at: number): Buffer {
  const integer = encodedInteger(src, b);
  if (integer !== undefined) return Buffer.from(String(integer), 'latin1');
  switch (b & 0x3f) {
    case F.RDB_ENC_LZF: {
      const clen = readLength(src);
      const len = readLength(src);
      const dataAt = src.offset;
      const data = src.view(clen);
      try {
        return lzfDecompress(data, 0, clen, len);
      } catch (e) {
        if (e instanceof LzfError) throw new RdbError(`Invalid LZF compressed string: ${e.message}`, dataAt);
        throw e;
      }
    }
    default:
      throw unknownEncoding(b, at);
  }
}

/**
 * The rest of an LZF string (its lengths and data) decompressed into src.lzfScratch,
 * reused for every string of the read; returns the length.
 */
function lzfIntoScratch(src: Source): number {
  const clen = readLength(src);
  const len = readLength(src);
  const dataAt = src.offset;
  const start = src.consume(clen);
  let scratch = src.lzfScratch;
  if (scratch.length < len) scratch = src.lzfScratch = Buffer.allocUnsafe(Math.max(len, 64 * 1024, scratch.length * 2));
  try {
    src.lzf.decompressInto(src.window, start, start + clen, scratch, len);
  } catch (e) {
    if (e instanceof LzfError) throw new RdbError(`Invalid LZF compressed string: ${e.message}`, dataAt);
    throw e;
  }
  return len;
}

/**
 * A string as readString() reads it, left as bytes (src.rangeBuffer[rangeStart,
 * rangeEnd)): a plain string where it is in the read window (valid until the next read),
 * an LZF one decompressed into the scratch, an integer's digits.
 */
function readStringRange(src: Source): void {
  const at = src.offset;
  const b = src.u8();
  if (b >>> 6 !== 3) {
    const n = lengthFrom(src, b, at);
    const start = src.consume(n);
    src.rangeBuffer = src.window;
    src.rangeStart = start;
    src.rangeEnd = start + n;
    return;
  }
  const integer = encodedInteger(src, b);
  if (integer === undefined) {
    if ((b & 0x3f) !== F.RDB_ENC_LZF) throw unknownEncoding(b, at);
    src.rangeEnd = lzfIntoScratch(src);
    src.rangeBuffer = src.lzfScratch;
    src.rangeStart = 0;
    return;
  }
  src.rangeBuffer = src.digits;
  src.rangeStart = 0;
  src.rangeEnd = src.digits.write(String(integer), 0, 'latin1');
}

function readString(src: Source): string {
  const at = src.offset;
  const b = src.u8();
  if (b >>> 6 !== 3) return src.latin1(lengthFrom(src, b, at));
  const integer = encodedInteger(src, b);
  if (integer !== undefined) return String(integer);
  switch (b & 0x3f) {
    case F.RDB_ENC_LZF: {
      // Decompressed into a reused buffer (grown by the call: read it after): only the string is allocated.
      const len = lzfIntoScratch(src);
      return src.lzfScratch.toString('latin1', 0, len);
    }
    default:
      return encodedStringBytes(src, b, at).toString('latin1');
  }
}

function readObject(src: Source, type: number, at: number): LoadedValue | null {
  switch (type) {
    case F.RDB_TYPE_STRING:
      return readString(src);
    case F.RDB_TYPE_HASH: {
      const n = readLength(src);
      const pairs: string[] = [];
      for (let i = 0; i < n; i++) pairs.push(readString(src), readString(src));
      return hashOf(pairs, null, at);
    }
    case F.RDB_TYPE_SET: {
      const n = readLength(src);
      const members: string[] = [];
      // Checked as they are read, as Redis adds each member before reading the next.
      const distinct = new Distinct(members, 1, n);
      for (let i = 0; i < n; i++) {
        members.push(readString(src));
        if (!distinct.added(i)) throw new RdbError('Duplicate set members detected', at);
      }
      return members.length === 0 ? null : { type: 'set', members };
    }
    case F.RDB_TYPE_SET_INTSET: {
      const blobAt = src.offset;
      const blob = readStringBytes(src);
      let members: string[];
      try {
        members = decodeIntset(blob);
      } catch (e) {
        if (e instanceof EncodingError) throw new RdbError(`Corrupt set-intset: ${e.message}`, blobAt);
        throw e;
      }
      return members.length === 0 ? null : { type: 'set', members };
    }
    case F.RDB_TYPE_HASH_ZIPMAP:
    case F.RDB_TYPE_HASH_ZIPLIST:
    case F.RDB_TYPE_HASH_LISTPACK: {
      const blobAt = src.offset;
      const blob = readStringBytes(src);
      let elements: string[];
      try {
        elements =
          type === F.RDB_TYPE_HASH_LISTPACK ? decodeListpack(blob) : type === F.RDB_TYPE_HASH_ZIPLIST ? decodeZiplist(blob) : decodeZipmap(blob);
      } catch (e) {
        if (e instanceof EncodingError) throw new RdbError(`Corrupt ${F.RDB_TYPE_NAMES[type]}: ${e.message}`, blobAt);
        throw e;
      }
      if (elements.length % 2 !== 0) throw new RdbError(`Corrupt ${F.RDB_TYPE_NAMES[type]}: odd number of elements`, blobAt);
      return hashOf(elements, null, at);
    }
    case F.RDB_TYPE_HASH_METADATA:
    case F.RDB_TYPE_HASH_METADATA_PRE_GA: {
      let minExpire = 0;
      if (type === F.RDB_TYPE_HASH_METADATA) minExpire = Number(src.view(8).readBigUInt64LE(0));
      const n = readLength(src);
      const pairs: string[] = [];
      const expires: number[] = [];
      for (let i = 0; i < n; i++) {
        const ttl = readLength(src);
        const expireAt = type === F.RDB_TYPE_HASH_METADATA ? (ttl === 0 ? 0 : ttl + minExpire - 1) : ttl;
        pairs.push(readString(src), readString(src));
        expires.push(expireAt);
      }
      return hashOf(pairs, expires, at);
    }
    case F.RDB_TYPE_HASH_LISTPACK_EX:
    case F.RDB_TYPE_HASH_LISTPACK_EX_PRE_GA: {
      if (type === F.RDB_TYPE_HASH_LISTPACK_EX) src.view(8);
      const blobAt = src.offset;
      const blob = readStringBytes(src);
      let elements: string[];
      try {
        elements = decodeListpack(blob);
      } catch (e) {
        if (e instanceof EncodingError) throw new RdbError(`Corrupt ${F.RDB_TYPE_NAMES[type]}: ${e.message}`, blobAt);
        throw e;
      }
      if (elements.length % 3 !== 0) throw new RdbError(`Corrupt ${F.RDB_TYPE_NAMES[type]}: not field/value/TTL triples`, blobAt);
      const pairs: string[] = [];
      const expires: number[] = [];
      for (let i = 0; i < elements.length; i += 3) {
        pairs.push(elements[i]!, elements[i + 1]!);
        const t = Number(elements[i + 2]);
        if (!Number.isSafeInteger(t) || t < 0) throw new RdbError(`Corrupt ${F.RDB_TYPE_NAMES[type]}: bad field TTL`, blobAt);
        expires.push(t);
      }
      return hashOf(pairs, expires, at);
    }
    case F.RDB_TYPE_LIST:
    case F.RDB_TYPE_LIST_ZIPLIST:
    case F.RDB_TYPE_LIST_QUICKLIST:
    case F.RDB_TYPE_LIST_QUICKLIST_2:
      return readList(src, type);
    case F.RDB_TYPE_ZSET:
    case F.RDB_TYPE_ZSET_2: {
      const n = readLength(src);
      const members: string[] = [];
      const scores: number[] = [];
      // Checked as they are read, as Redis adds each member (after its score) before reading the next.
      const distinct = new Distinct(members, 1, n);
      for (let i = 0; i < n; i++) {
        members.push(readString(src));
        const scoreAt = src.offset;
        const score = type === F.RDB_TYPE_ZSET_2 ? src.view(8).readDoubleLE(0) : readStringDouble(src);
        if (Number.isNaN(score)) throw new RdbError('Zset with NAN score detected', scoreAt);
        scores.push(score);
        if (!distinct.added(i)) throw new RdbError('Duplicate zset fields detected', at);
      }
      return members.length === 0 ? null : { type: 'zset', members, scores, compact: false };
    }
    case F.RDB_TYPE_ZSET_ZIPLIST:
    case F.RDB_TYPE_ZSET_LISTPACK: {
      const blobAt = src.offset;
      const blob = readStringBytes(src);
      let elements: string[];
      try {
        elements = type === F.RDB_TYPE_ZSET_LISTPACK ? decodeListpack(blob) : decodeZiplist(blob);
      } catch (e) {
        if (e instanceof EncodingError) throw new RdbError(`Corrupt ${F.RDB_TYPE_NAMES[type]}: ${e.message}`, blobAt);
        throw e;
      }
      if (elements.length % 2 !== 0) throw new RdbError(`Corrupt ${F.RDB_TYPE_NAMES[type]}: odd number of elements`, blobAt);
      const members: string[] = [];
      const scores: number[] = [];
      for (let i = 0; i < elements.length; i += 2) {
        const score = parseCDouble(elements[i + 1]!);
        if (Number.isNaN(score)) throw new RdbError(`Corrupt ${F.RDB_TYPE_NAMES[type]}: bad score`, blobAt);
        members.push(elements[i]!);
        scores.push(score);
      }
      return compactZsetOf(members, scores, at);
    }
    default: {
      const name = F.RDB_TYPE_NAMES[type];
      if (name === undefined) throw new RdbError(`Unknown RDB object type ${type}`, at);
      throw new RdbError(`The RDB file holds a ${name} value (RDB type ${type}); lapse cannot load values of this type`, at);
    }
  }
}

/**
 * A score as rdbLoadDoubleValue reads it (RDB_TYPE_ZSET, Redis before 2.8): a length
 * byte, 253 NaN, 254 +inf, 255 -inf, else that many bytes of "%.17g" text.
 */
function readStringDouble(src: Source): number {
  const len = src.u8();
  if (len === 253) return NaN;
  if (len === 254) return Infinity;
  if (len === 255) return -Infinity;
  return parseCDouble(src.latin1(len));
}

/** A sorted set from a listpack or ziplist blob; null when empty (Redis skips empty keys). Refuses duplicate members. */
function compactZsetOf(members: string[], scores: number[], at: number): LoadedZset | null {
  if (members.length === 0) return null;
  if (hasDuplicate(members, 1)) throw new RdbError('Duplicate zset fields detected', at);
  return { type: 'zset', members, scores, compact: true };
}

/**
 * A list in any of the encodings Redis 7.0 reads (rdb.c rdbLoadObject): RDB_TYPE_LIST
 * (a length and the elements), RDB_TYPE_LIST_ZIPLIST (one ziplist), RDB_TYPE_LIST_QUICKLIST
 * (ziplist nodes) and RDB_TYPE_LIST_QUICKLIST_2 (nodes with a container: a listpack, or
 * one plain element). Empty nodes are skipped; an empty list is no key (null), as Redis.
 */
function readList(src: Source, type: number): LoadedList | null {
  const elements: string[] = [];
  if (type === F.RDB_TYPE_LIST) {
    const n = readLength(src);
    for (let i = 0; i < n; i++) elements.push(readString(src));
  } else if (type === F.RDB_TYPE_LIST_ZIPLIST) {
    elements.push(...decodeBlob(src, type, decodeZiplist));
  } else {
    const nodes = readLength(src);
    for (let i = 0; i < nodes; i++) {
      let container = QUICKLIST_NODE_CONTAINER_PACKED;
      if (type === F.RDB_TYPE_LIST_QUICKLIST_2) {
        const at = src.offset;
        container = readLength(src);
        if (container !== QUICKLIST_NODE_CONTAINER_PACKED && container !== QUICKLIST_NODE_CONTAINER_PLAIN) {
          throw new RdbError('Quicklist integrity check failed: unknown node container', at);
        }
      }
      if (container === QUICKLIST_NODE_CONTAINER_PLAIN) {
        const at = src.offset;
        const element = readStringBytes(src);
        if (element.length === 0) throw new RdbError('Quicklist integrity check failed: empty plain node', at);
        elements.push(element.toString('latin1'));
        continue;
      }
      const node = decodeBlob(src, type, type === F.RDB_TYPE_LIST_QUICKLIST_2 ? decodeListpack : decodeZiplist);
      for (const e of node) elements.push(e);
    }
  }
  return elements.length === 0 ? null : { type: 'list', elements };
}

/** A listpack or ziplist string, decoded (an empty blob is refused, as Redis refuses it). */
function decodeBlob(src: Source, type: number, decode: (blob: Uint8Array) => string[]): string[] {
  const blobAt = src.offset;
  const blob = readStringBytes(src);
  if (blob.length === 0) throw new RdbError(`Corrupt ${F.RDB_TYPE_NAMES[type]}: empty node`, blobAt);
  try {
    return decode(blob);
  } catch (e) {
    if (e instanceof EncodingError) throw new RdbError(`Corrupt ${F.RDB_TYPE_NAMES[type]}: ${e.message}`, blobAt);
    throw e;
  }
}

/** Up to this many items are compared pairwise: no table for a small collection. */
const PAIRWISE_DUPLICATES = 16;
/** The most items a Distinct makes room for before any is read (1 MB of table). */
const MAX_RESERVED = 1 << 17;

/**
 * Finds a repeated string among items[0], items[step], items[2 * step], ... as they are
 * added (a duplicate hash field, set or sorted-set member, which Redis refuses in a file
 * or a DUMP payload). A KeyTable over their positions, sized once and seeded at random
 * (a RESTORE payload comes from a client): a V8 Set of a million fresh strings hashed
 * each of them and walked its chains, a fifth of a 1M-field hash's load (perf:
 * FindOrderedHashSetEntry).
 */
class Distinct {
  private readonly seed = randomHashSeed();
  private readonly table: KeyTable<string> | null;

  constructor(
    private readonly items: readonly string[],
    private readonly step: number,
    expected: number,
  ) {
    this.table = expected <= PAIRWISE_DUPLICATES ? null : new KeyTable<string>({ matches: (id, key) => items[id * step] === key });
    // A count read from the file is a claim until the items are read: the room made
    // up front is bounded (the table grows past it as items come).
    this.table?.reserve(Math.min(expected, MAX_RESERVED));
  }

  /** Item number i (at items[i * step]) was added: false if an earlier one holds the same string. */
  added(i: number): boolean {
    const items = this.items;
    const step = this.step;
    const item = items[i * step]!;
    const table = this.table;
    if (table === null) {
      for (let j = 0; j < i; j++) if (items[j * step] === item) return false;
      return true;
    }
    const hash = hashString(this.seed, item);
    if (table.find(hash, item) >= 0) return false;
    table.insert(hash, i);
    return true;
  }
}

/** Whether items[0], items[step], ... hold some string twice (Distinct, all at once). */
function hasDuplicate(items: readonly string[], step: number): boolean {
  const n = Math.ceil(items.length / step);
  const distinct = new Distinct(items, step, n);
  for (let i = 0; i < n; i++) if (!distinct.added(i)) return true;
  return false;
}

/** A hash from pairs; null when empty (Redis skips empty keys). Refuses duplicate fields. */
function hashOf(pairs: string[], expires: number[] | null, at: number): LoadedHash | null {
  if (pairs.length === 0) return null;
  if (hasDuplicate(pairs, 2)) throw new RdbError('Duplicate hash fields detected', at);
  const hasTtl = expires !== null && expires.some((e) => e !== 0);
  return { type: 'hash', pairs, fieldExpires: hasTtl ? expires : null };
}
