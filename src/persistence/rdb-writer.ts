import { HashValue } from '../keyspace/hash.js';
import { ListValue, REDIS_LIST_ENCODING, type ListEncoding } from '../keyspace/list.js';
import { SetValue } from '../keyspace/set.js';
import { ZSetValue } from '../keyspace/zset.js';
import { writeZsetPayload, zsetRdbType } from './rdb-zset.js';
import type { Value } from '../keyspace/values.js';
import { writeLatin1 } from '../util/latin1.js';
import { parseI64 } from '../util/numbers.js';
import { newCrc64, updateCrc64, writeCrc64, type Crc64 } from './crc64.js';
import { encodeListpack } from './listpack.js';
import { encodeIntset } from './intset.js';
import { LzfCompressor } from './lzf.js';
import { compressedNode, MIN_COMPRESS_BYTES, MIN_COMPRESS_IMPROVE, QUICKLIST_NODE_CONTAINER_PACKED, quicklistNodes } from './rdb-list.js';
import {
  RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_INT8, RDB_ENC_LZF, RDB_OPCODE_AUX, RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME_MS, RDB_OPCODE_FUNCTION2, RDB_OPCODE_RESIZEDB, RDB_OPCODE_SELECTDB, RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK, RDB_TYPE_HASH_LISTPACK_EX, RDB_TYPE_HASH_METADATA, RDB_TYPE_LIST_QUICKLIST_2, RDB_TYPE_SET, RDB_TYPE_SET_INTSET,
  RDB_TYPE_STRING,
} from './rdb-format.js';

/** The RDB type Redis 7.0 writes a set as: its intset blob, or the plain list of members. */
export function setRdbType(set: SetValue): number {
  return set.isIntset ? RDB_TYPE_SET_INTSET : RDB_TYPE_SET;
}

/**
 * Serializes a keyspace in Redis's RDB format into a list of chunks, as Redis's rdb.c
 * writes it: the same length and string encodings (integers exactly when
 * rdbTryIntegerEncoding would, LZF when `rdbcompression` is on, the string is longer
 * than 20 bytes and compression saves at least 4 bytes), the same types for the same
 * in-memory encodings, and the CRC-64 after the EOF opcode (zero when `rdbchecksum`
 * is off).
 *
 * The encoder never holds more than what was written since the last take(): SAVE and
 * BGSAVE take the chunks and hand them to the file as they go.
 */

export interface RdbWriteOptions {
  /** rdbcompression: LZF for strings longer than 20 bytes when it saves space. */
  compression: boolean;
  /** rdbchecksum: write the CRC-64 (otherwise eight zero bytes, as Redis). */
  checksum: boolean;
  /** list-max-listpack-size and list-compress-depth: how lists are cut into nodes; Redis's defaults if absent. */
  list?: Readonly<ListEncoding>;
}

/** Redis's expire time in ms, or null for a key without one. */
export type ExpireTime = number | bigint | null;

const CHUNK = 256 * 1024;
/** Recycled chunks kept at most (4 MB: more than a snapshot batch takes, so none is allocated per batch). */
const MAX_SPARE_CHUNKS = 16;


export class RdbEncoder {
  private buf: Buffer = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  /** Chunks handed back by recycle(), reused before new ones are allocated. */
  private readonly spare: Buffer[] = [];
  private chunks: Buffer[] = [];
  private readonly crc: Crc64 | null;
  /** Bytes produced so far (taken or not). */
  written = 0;
  private scratchIn = Buffer.allocUnsafe(1024);
  private scratchOut = Buffer.allocUnsafe(1024);
  private readonly compressor = new LzfCompressor();

  constructor(private readonly options: RdbWriteOptions) {
    this.crc = options.checksum ? newCrc64() : null;
  }

  /** Bytes written and not taken yet. */
  get pending(): number {
    let n = this.pos;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  /** The bytes written since the last call, in order; feeds them to the checksum. */
  take(): Buffer[] {
    const out = this.chunks;
    this.chunks = [];
    if (this.pos > 0) {
      out.push(this.buf.subarray(0, this.pos));
      this.buf = this.newChunk(CHUNK);
      this.pos = 0;
    }
    if (this.crc !== null) for (const c of out) updateCrc64(this.crc, c);
    return out;
  }

  /** "REDIS" and the four-digit version. */
  header(version: number): void {
    this.rawLatin1(`REDIS${String(version).padStart(4, '0')}`);
  }

  /** An AUX field, as rdbSaveAuxField: both as strings (so integers int-encoded). */
  aux(name: string, value: string): void {
    this.byte(RDB_OPCODE_AUX);
    this.string(name);
    this.string(value);
  }

  /** A function library (rdbSaveFunctions): RDB_OPCODE_FUNCTION2, then its code as a string. */
  library(code: string): void {
    this.byte(RDB_OPCODE_FUNCTION2);
    this.string(code);
  }

  /** SELECTDB, and RESIZEDB with the hints given. */
  selectDb(index: number, size?: number, expires?: number): void {
    this.byte(RDB_OPCODE_SELECTDB);
    this.length(index);
    if (size !== undefined) {
      this.byte(RDB_OPCODE_RESIZEDB);
      this.length(size);
      this.length(expires ?? 0);
    }
  }

  /**
   * One key, as rdbSaveKeyValuePair: the expire time (ms), the type, the key, the
   * value. Hash fields whose TTL ends at or before `cutoff` (Redis's field expire time
   * < cutoff) are left out, and a hash left without fields is not written. Returns
   * false when nothing was written. With a null key, the type and the value alone: a
   * DUMP payload's body (rdbSaveObjectType + rdbSaveObject).
   */
  entry(key: string | null, value: Value, expireTime: ExpireTime, cutoff: number): boolean {
    if (typeof value === 'string') {
      this.expire(expireTime);
      this.byte(RDB_TYPE_STRING);
      if (key !== null) this.string(key);
      this.string(value);
      return true;
    }
    if (value instanceof HashValue) return this.hash(key, value, expireTime, cutoff);
    if (value instanceof ListValue) {
      this.expire(expireTime);
      this.byte(RDB_TYPE_LIST_QUICKLIST_2);
      if (key !== null) this.string(key);
      this.listValue(value);
      return true;
    }
    if (value instanceof SetValue) {
      this.expire(expireTime);
      this.byte(setRdbType(value));
      if (key !== null) this.string(key);
      this.setObject(value);
      return true;
    }
    if (value instanceof ZSetValue) {
      this.expire(expireTime);
      this.byte(zsetRdbType(value));
      if (key !== null) this.string(key);
      writeZsetPayload(this, value);
      return true;
    }
    throw new Error(`cannot serialize a ${value.type}`);
  }

  /**
   * A list's value as rdbSaveObject writes a quicklist (RDB_TYPE_LIST_QUICKLIST_2, the
   * type byte and key written by the caller: DUMP writes this alone): the node count, then
   * each node's container and listpack. Nodes are cut by list-max-listpack-size; those
   * beyond list-compress-depth from both ends are written LZF-compressed as Redis's
   * quicklist holds them (when LZF saves 8 bytes on a node of 48 or more, whatever
   * rdbcompression says), the others as strings (LZF only under rdbcompression).
   */
  listValue(list: ListValue): void {
    const settings = this.options.list ?? REDIS_LIST_ENCODING;
    const nodes = quicklistNodes(list, settings.fill);
    this.length(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const lp = nodes[i]!;
      this.length(QUICKLIST_NODE_CONTAINER_PACKED);
      if (
        compressedNode(i, nodes.length, settings.compressDepth) &&
        lp.length >= MIN_COMPRESS_BYTES &&
        this.lzf(lp, lp.length, lp.length, lp.length - MIN_COMPRESS_IMPROVE - 1)
      ) {
        continue;
      }
      this.stringBytes(lp);
    }
  }

  /** EOF and the checksum. The encoder is done after this. */
  eof(): void {
    this.byte(RDB_OPCODE_EOF);
    const rest = this.take();
    this.chunks = rest;
    const tail = Buffer.alloc(8);
    if (this.crc !== null) writeCrc64(this.crc, tail, 0);
    this.chunks.push(tail);
    this.written += 8;
  }

  /** Like take() after eof(): the last chunks, without feeding the checksum again. */
  takeFinal(): Buffer[] {
    const out = this.chunks;
    this.chunks = [];
    return out;
  }

  private expire(expireTime: ExpireTime): void {
    if (expireTime === null) return;
    this.byte(RDB_OPCODE_EXPIRETIME_MS);
    this.millis(expireTime);
  }

  private hash(key: string | null, hash: HashValue, expireTime: ExpireTime, cutoff: number): boolean {
    const timers = hash.ttls?.timers ?? null;
    let withTtl = false;
    let dropped = 0;
    let minExpire = Infinity;
    if (timers !== null) {
      for (const t of timers.values()) {
        if (t.deadline <= cutoff) dropped++;
        else {
          withTtl = true;
          if (t.deadline - 1 < minExpire) minExpire = t.deadline - 1;
        }
      }
    }
    const count = hash.size - dropped;
    if (count <= 0) return false;
    this.expire(expireTime);
    if (hash.compact) {
      const elements: string[] = [];
      if (!withTtl) {
        hash.forEach((f, v) => {
          if (dropped === 0 || hash.fieldDeadline(f) > cutoff) elements.push(f, v);
        });
        this.byte(RDB_TYPE_HASH_LISTPACK);
      } else {
        // Redis 7.4's listpackEx: [field, value, expire time or 0] triples ordered by
        // expire time, fields without a TTL last.
        const triples: [string, string, number][] = [];
        hash.forEach((f, v) => {
          const d = hash.fieldDeadline(f);
          if (d > cutoff) triples.push([f, v, d === Infinity ? Infinity : d - 1]);
        });
        triples.sort((a, b) => a[2] - b[2]);
        for (const [f, v, t] of triples) elements.push(f, v, t === Infinity ? '0' : String(t));
        this.byte(RDB_TYPE_HASH_LISTPACK_EX);
      }
      if (key !== null) this.string(key);
      if (withTtl) this.millis(minExpire);
      this.stringBytes(encodeListpack(elements));
      return true;
    }
    this.byte(withTtl ? RDB_TYPE_HASH_METADATA : RDB_TYPE_HASH);
    if (key !== null) this.string(key);
    if (withTtl) this.millis(minExpire);
    this.length(count);
    hash.forEach((f, v) => {
      const d = dropped === 0 && !withTtl ? Infinity : hash.fieldDeadline(f);
      if (d <= cutoff) return;
      // The TTL relative to the hash's earliest one, + 1 (0: no TTL), as Redis 7.4.
      if (withTtl) this.length(d === Infinity ? 0 : d - 1 - minExpire + 1);
      this.string(f);
      this.string(v);
    });
    return true;
  }

  /**
   * A set's value after its type byte (setRdbType), as rdbSaveObject writes it: an
   * intset as one string holding its blob (LZF when that helps), a hashtable as its
   * size and each member. On its own for DUMP.
   */
  setObject(set: SetValue): void {
    if (set.isIntset) {
      this.stringBytes(encodeIntset(set.slots as readonly string[]));
      return;
    }
    this.length(set.size);
    set.forEach((member) => this.string(member));
  }

  byte(b: number): void {
    if (this.pos >= this.buf.length) this.flushBuf(1);
    this.buf[this.pos++] = b;
    this.written++;
  }

  /** A length, as rdbSaveLen: 6, 14, 32 or 64 bits. */
  length(n: number): void {
    this.ensure(9);
    const buf = this.buf;
    let p = this.pos;
    if (n < 1 << 6) {
      buf[p++] = n;
    } else if (n < 1 << 14) {
      buf[p++] = 0x40 | (n >>> 8);
      buf[p++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      buf[p++] = 0x80;
      p = buf.writeUInt32BE(n, p);
    } else {
      buf[p++] = 0x81;
      p = buf.writeBigUInt64BE(BigInt(n), p);
    }
    this.written += p - this.pos;
    this.pos = p;
  }

  /** A time in ms, as rdbSaveMillisecondTime: 8 bytes little-endian. */
  millis(ms: number | bigint): void {
    this.ensure(8);
    if (typeof ms === 'number' && ms >= 0 && ms <= Number.MAX_SAFE_INTEGER) {
      // Two 32-bit halves: no BigInt per key.
      const buf = this.buf;
      const p = this.pos;
      const lo = ms % 4294967296;
      const hi = (ms - lo) / 4294967296;
      buf[p] = lo & 0xff;
      buf[p + 1] = (lo >>> 8) & 0xff;
      buf[p + 2] = (lo >>> 16) & 0xff;
      buf[p + 3] = lo >>> 24;
      buf[p + 4] = hi & 0xff;
      buf[p + 5] = (hi >>> 8) & 0xff;
      buf[p + 6] = (hi >>> 16) & 0xff;
      buf[p + 7] = hi >>> 24;
    } else {
      this.buf.writeBigInt64LE(BigInt(ms), this.pos);
    }
    this.pos += 8;
    this.written += 8;
  }

  /** A double as rdbSaveBinaryDoubleValue: 8 bytes little-endian. */
  binaryDouble(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
    this.written += 8;
  }

  /** A latin1 string, as rdbSaveRawString. */
  string(s: string): void {
    const len = s.length;
    if (len <= 11 && len > 0 && this.integer(s)) return;
    if (this.options.compression && len > 20) {
      if (this.scratchIn.length < len) this.scratchIn = Buffer.allocUnsafe(len * 2);
      writeLatin1(this.scratchIn, s, 0);
      if (this.lzf(this.scratchIn, len)) return;
    }
    this.length(len);
    if (len <= this.buf.length - this.pos) {
      writeLatin1(this.buf, s, this.pos);
      this.pos += len;
      this.written += len;
    } else {
      this.rawLatin1(s);
    }
  }

  /**
   * A string key and value given as bytes of src ([keyStart, keyEnd) and [keyEnd,
   * valueEnd)), as rdbSaveKeyValuePair writes a string: what entry() writes for the
   * same key and value as latin1 strings.
   */
  stringEntryAt(src: Buffer, keyStart: number, keyEnd: number, valueEnd: number, expireTime: ExpireTime): void {
    this.expire(expireTime);
    this.byte(RDB_TYPE_STRING);
    this.stringAt(src, keyStart, keyEnd);
    this.stringAt(src, keyEnd, valueEnd);
  }

  /** Bytes [start, end) of src as a string, as rdbSaveRawString: what string() writes for the same latin1 text. */
  stringAt(src: Buffer, start: number, end: number): void {
    const len = end - start;
    if (len <= 11 && len > 0) {
      const c = src[start]!;
      if ((c === 0x2d || (c >= 0x30 && c <= 0x39)) && this.integer(src.toString('latin1', start, end))) return;
    }
    if (this.options.compression && len > 20) {
      if (this.scratchIn.length < len) this.scratchIn = Buffer.allocUnsafe(len * 2);
      src.copy(this.scratchIn, 0, start, end);
      if (this.lzf(this.scratchIn, len)) return;
    }
    this.length(len);
    this.raw(src, len, start);
  }

  /** Bytes already in RDB form (entries another encoder wrote), appended as they are. */
  appendEncoded(bytes: Buffer): void {
    this.raw(bytes);
  }

  /**
   * Bytes already in RDB form, appended without a copy: they become one of the chunks
   * take() returns, so the caller leaves them unchanged until it has used those.
   */
  appendChunk(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.pos > 0) this.flushBuf(0);
    this.chunks.push(bytes);
    this.written += bytes.length;
  }

  /** Bytes as a string (a listpack), as rdbSaveRawString: LZF when it helps. */
  stringBytes(bytes: Buffer): void {
    const len = bytes.length;
    if (this.options.compression && len > 20 && this.lzf(bytes, len)) return;
    this.length(len);
    this.raw(bytes, len);
  }

  /** Int8/16/32 encoding when the text is exactly a number's canonical form. */
  private integer(s: string): boolean {
    const c = s.charCodeAt(0);
    if (c !== 0x2d && (c < 0x30 || c > 0x39)) return false;
    const v = parseI64(s);
    if (typeof v !== 'number') return false;
    this.ensure(5);
    const buf = this.buf;
    let p = this.pos;
    if (v >= -128 && v <= 127) {
      buf[p++] = 0xc0 | RDB_ENC_INT8;
      p = buf.writeInt8(v, p);
    } else if (v >= -32768 && v <= 32767) {
      buf[p++] = 0xc0 | RDB_ENC_INT16;
      p = buf.writeInt16LE(v, p);
    } else if (v >= -2147483648 && v <= 2147483647) {
      buf[p++] = 0xc0 | RDB_ENC_INT32;
      p = buf.writeInt32LE(v, p);
    } else {
      return false;
    }
    this.written += p - this.pos;
    this.pos = p;
    return true;
  }

  /**
   * LZF-compresses input with an output buffer of `limit` bytes (liblzf's out_len:
   * rdbSaveRawString gives 4 fewer than the input) and writes it if it takes at most
   * `accept` bytes (a quicklist node: out_len is the node's size, and the result must save
   * 8 bytes); otherwise writes nothing.
   */
  private lzf(input: Buffer, len: number, limit = len - 4, accept = limit): boolean {
    if (this.scratchOut.length < limit) this.scratchOut = Buffer.allocUnsafe(len * 2);
    const clen = this.compressor.compress(input, len, this.scratchOut, limit);
    if (clen === 0 || clen > accept) return false;
    this.byte(0xc0 | RDB_ENC_LZF);
    this.length(clen);
    this.length(len);
    this.raw(this.scratchOut, clen);
    return true;
  }

  private rawLatin1(s: string): void {
    this.raw(Buffer.from(s, 'latin1'));
  }

  /** n bytes of `bytes` from `from` (the first n by default). */
  private raw(bytes: Buffer, n: number = bytes.length, from = 0): void {
    if (n <= this.buf.length - this.pos) {
      bytes.copy(this.buf, this.pos, from, from + n);
      this.pos += n;
    } else if (n >= CHUNK / 2) {
      this.flushBuf(0);
      this.chunks.push(Buffer.from(bytes.subarray(from, from + n)));
    } else {
      this.flushBuf(n);
      bytes.copy(this.buf, this.pos, from, from + n);
      this.pos += n;
    }
    this.written += n;
  }

  private ensure(n: number): void {
    if (this.buf.length - this.pos < n) this.flushBuf(n);
  }

  /** Closes the current buffer and starts one with room for n more bytes. */
  private flushBuf(n: number): void {
    if (this.pos > 0) this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = this.newChunk(n);
    this.pos = 0;
  }

  /**
   * take(), handed to `use`, which writes or copies the chunks before it returns; they are
   * then recycled, so the encoder's next chunks are pages already mapped.
   */
  takeInto(use: (chunks: Buffer[]) => void): void {
    const chunks = this.take();
    use(chunks);
    this.recycle(chunks);
  }

  /**
   * Chunks from take() that the caller has copied and will not read again: their memory
   * is reused for later chunks, so an encoder that runs for a whole save (the snapshot
   * worker's) leaves no trail of 256 KB buffers for its GC.
   */
  recycle(chunks: readonly Buffer[]): void {
    for (const c of chunks) {
      if (this.spare.length >= MAX_SPARE_CHUNKS) return;
      if (c.byteOffset === 0 && c.buffer.byteLength === CHUNK && c.buffer !== this.buf.buffer) this.spare.push(Buffer.from(c.buffer, 0, CHUNK));
    }
  }

  /** A buffer for at least n more bytes: a recycled chunk if one is big enough. */
  private newChunk(n: number): Buffer {
    if (n <= CHUNK && this.spare.length > 0) return this.spare.pop()!;
    return Buffer.allocUnsafe(Math.max(CHUNK, n));
  }
}
