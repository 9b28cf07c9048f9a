/**
 * Seeded 32-bit hashing of keys, the same value whether the key is held as a latin1
 * string (the command layer: one char = one byte, codes 0..255) or as a byte range of a
 * Uint8Array (the store, the parser's read buffer). KeyTable uses the low bits of the
 * hash for the home bucket and the bit-reversed hash (so the high bits first) for SCAN
 * order, so every output bit must depend on every input bit.
 *
 * The function is MurmurHash3 x86_32 (Austin Appleby, public domain): 4-byte
 * little-endian blocks mixed with Math.imul, the tail, then the fmix32 finalizer, whose
 * avalanche is full on all 32 bits (test/unit/key-hash.test.ts checks each output bit
 * flips with probability 0.45..0.55). For session ids (~37 bytes: 9 blocks and a 1-byte
 * tail) it is one pass with two multiplies per block; xxHash32 was not tried (its
 * 16-byte stripes pay off on longer keys). Measured (bench/micro/key-table.ts, 1024
 * keys in cache, node 20, 2 shared cores under load 5-6, four runs): hashBytes 38-53 ns
 * per 37-byte key, hashString 68-140 ns, the difference being V8's charCodeAt (~3.3 ns
 * a char in a plain summing loop in the same conditions), so the request path should
 * hash the parser's bytes.
 *
 * Seeded: each server picks its own seed (randomHashSeed) so a client cannot choose keys
 * that all land in one bucket, the reason Redis hashes with SipHash under a random key.
 * MurmurHash3 is not a keyed PRF: an attacker who could observe hashes could find
 * seed-independent collisions, but lapse never reveals a hash or the table order
 * (SCAN's order reveals bit-reversed buckets of an unknown seed only).
 *
 * Strings must hold only codes 0..255 (latin1, the project's key representation); a
 * char above 255 is mixed in un-masked and would no longer agree with any byte form.
 */
import { randomBytes } from 'node:crypto';

const C1 = 0xcc9e2d51 | 0;
const C2 = 0x1b873593;
const M5 = 0xe6546b64 | 0;

/** One 4-byte block mixed into the state h (both int32). */
function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + M5) | 0;
}

/** The tail (0..3 bytes, already assembled little-endian into k), the length, fmix32. */
function finish(h: number, k: number, tailLength: number, length: number): number {
  if (tailLength !== 0) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The hash of a latin1 key string: equal to hashBytes over the same bytes. Unsigned 32-bit. */
export function hashString(seed: number, key: string): number {
  const length = key.length;
  const blocks = length & ~3;
  let h = seed | 0;
  let i = 0;
  for (; i < blocks; i += 4) {
    h = mixBlock(h, key.charCodeAt(i) | (key.charCodeAt(i + 1) << 8) | (key.charCodeAt(i + 2) << 16) | (key.charCodeAt(i + 3) << 24));
  }
  const tail = length & 3;
  let k = 0;
  if (tail === 3) k = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 8) | (key.charCodeAt(i + 2) << 16);
  else if (tail === 2) k = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 8);
  else if (tail === 1) k = key.charCodeAt(i);
  return finish(h, k, tail, length);
}

/** The hash of bytes[start, end): equal to hashString over the same bytes. Unsigned 32-bit. */
export function hashBytes(seed: number, bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  const blocksEnd = start + (length & ~3);
  let h = seed | 0;
  let i = start;
  for (; i < blocksEnd; i += 4) {
    h = mixBlock(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  }
  const tail = length & 3;
  let k = 0;
  if (tail === 3) k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16);
  else if (tail === 2) k = bytes[i]! | (bytes[i + 1]! << 8);
  else if (tail === 1) k = bytes[i]!;
  return finish(h, k, tail, length);
}

/** Whether the latin1 string key holds exactly bytes[start, end). Length first. */
export function keyEqualsBytes(key: string, bytes: Uint8Array, start: number, end: number): boolean {
  const length = key.length;
  if (length !== end - start) return false;
  for (let i = 0; i < length; i++) if (key.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

/**
 * The bytes a command's arguments were just made from, while they are still where the
 * parser read them: set by the connection around one command, cleared after it (the
 * bytes are a read buffer, reused once the read is parsed). A store asked to find the
 * argument after the last one it found (from the first), and given that very string
 * (=== : a pointer compare for the string the parser made), hashes and compares its
 * bytes instead: hashString and keyEqualsBytes pay V8's charCodeAt per char, hashBytes
 * and a byte compare a typed-array load. Keys are looked up in argument order by GET,
 * SET, MGET, DEL, EXISTS, RENAME...; a lookup of anything else takes the string path.
 */
export class KeyBytes {
  private argv: readonly string[] = NO_ARGS;
  /** The bytes of the argument take() accepted: bytes[start, end). */
  bytes: Uint8Array = EMPTY;
  start = 0;
  end = 0;
  private spans: Int32Array = NO_SPANS;
  private first = 0;
  private next = 1;

  /**
   * argv[i], for first <= i and 2i + 1 < spans.length, was made from
   * bytes[spans[2i], spans[2i + 1]) unless spans[2i] is -1.
   */
  set(argv: readonly string[], bytes: Uint8Array, spans: Int32Array, first: number): void {
    this.argv = argv;
    this.bytes = bytes;
    this.spans = spans;
    this.first = first;
    this.next = 1;
  }

  clear(): void {
    this.argv = NO_ARGS;
    this.bytes = EMPTY;
  }

  /**
   * Whether key is the next argument and its bytes are known: then start and end hold
   * them. The next argument moves on whenever key is it, bytes or not.
   */
  take(key: string): boolean {
    const i = this.next;
    const argv = this.argv;
    if (i >= argv.length || key !== argv[i]) return false;
    this.next = i + 1;
    const spans = this.spans;
    if (i < this.first || 2 * i + 1 >= spans.length) return false;
    const start = spans[2 * i]!;
    if (start < 0) return false;
    this.start = start;
    this.end = spans[2 * i + 1]!;
    return true;
  }
}

const NO_ARGS: readonly string[] = Object.freeze([]);
const NO_SPANS = new Int32Array(0);
const EMPTY = new Uint8Array(0);

/** A fresh random seed for one server (or one table): int32 from the OS's CSPRNG. */
export function randomHashSeed(): number {
  return randomBytes(4).readInt32LE(0);
}
