import type { Entry } from './entry.js';
import type { ValueObject } from './values.js';
import { stringBytes } from './memory-cost.js';
import { KeyTable } from './store/key-table.js';
import { hashString, randomHashSeed } from './store/key-hash.js';

/**
 * A server's settings for the hashes it holds: the limits of the compact encoding
 * (Redis's hash-max-listpack-entries and hash-max-listpack-value, set from that server's
 * configuration) and its pool of shared field names. One per keyspace, so two servers
 * in one process keep their own thresholds and share no strings. A hash does not keep a
 * reference to it (8 more bytes per hash): the Database and the commands that build a
 * hash pass it to set().
 */
export interface HashEncoding {
  maxCompactEntries: number;
  maxCompactValue: number;
  /** Null: field names are not shared (hashes built outside a server). */
  readonly fieldNames: FieldNamePool | null;
}

/**
 * Redis 7.0's built-in limits (what a redis-server started without a config file
 * reports; the redis.conf shipped with Redis sets 128 entries), and no sharing: what a
 * hash built outside any server (a tool, a test) follows. Frozen: a constant.
 */
export const REDIS_HASH_ENCODING: Readonly<HashEncoding> = Object.freeze({
  maxCompactEntries: 512,
  maxCompactValue: 64,
  fieldNames: null,
});

/** A server's HashEncoding, at Redis's defaults until its configuration is applied. */
export function newHashEncoding(): HashEncoding {
  return { maxCompactEntries: REDIS_HASH_ENCODING.maxCompactEntries, maxCompactValue: REDIS_HASH_ENCODING.maxCompactValue, fieldNames: new FieldNamePool() };
}

/** A hash field's TTL, scheduled on its database's field timer wheel. */
export class FieldTimer {
  /** Its id in the database's field timer registry while scheduled or firing, else -1. */
  timerId = -1;
  constructor(
    readonly hash: HashValue,
    readonly field: string,
    /** First ms at which the field is gone (Redis's field expire time + 1). */
    public deadline: number,
  ) {}
}

/**
 * The field TTLs of a hash that has at least one (most hashes have none, and pay one
 * null slot for the feature).
 */
export class FieldTtls {
  readonly timers = new Map<string, FieldTimer>();
  /** A lower bound of the earliest field deadline: before it, no field can be due. */
  earliest = Infinity;
  /** The key entry holding the hash, to find it when a field timer fires. */
  constructor(public owner: Entry) {}
}

const MAX_SHARED_FIELD_NAMES = 4096;
const MAX_SHARED_FIELD_NAME_LENGTH = 32;

/**
 * Field names of compact hashes, shared: session hashes repeat the same few names in
 * every hash, and each name parsed from a request is a fresh string (24 bytes or more).
 * Bounded, so hashes keyed by ever-new names (item ids...) stop adding to it; those
 * names are simply not shared.
 */
export class FieldNamePool {
  private readonly names = new Map<string, string>();

  /** The pool's copy of field, added if there is room; field itself if not pooled. */
  shared(field: string): string {
    if (field.length > MAX_SHARED_FIELD_NAME_LENGTH) return field;
    const names = this.names;
    const known = names.get(field);
    if (known !== undefined) return known;
    if (names.size < MAX_SHARED_FIELD_NAMES) names.set(field, field);
    return field;
  }

  has(field: string): boolean {
    return this.names.has(field);
  }
}

/** Tombstones of the table form are squeezed out once there are more than this and more than live pairs. */
const MIN_HOLES_TO_COMPACT = 64;

/**
 * A hash: field -> value, all latin1 strings.
 *
 * Both forms keep the pairs in one flat array `slots` = [f0, v0, f1, v1, ...]:
 *
 * - Compact (at most hash-max-listpack-entries fields, none longer than
 *   hash-max-listpack-value bytes): the array alone, in insertion order, as Redis
 *   keeps a small hash in a listpack. An update keeps the field's place, a deletion
 *   closes the gap, so HGETALL, HKEYS, HVALS and HSCAN answer in Redis's exact order.
 *   Lookups are linear, as in a listpack, over at most a few hundred short strings.
 * - Table (past the limits, for good, as Redis never converts back): the same array
 *   plus `index`, field -> pair number: a KeyTable (the keyspace's own open-addressing
 *   table over an Int32Array, seeded per hash) whose matcher is this hash. It replaced a
 *   Map<string, number>: V8's OrderedHashMap walks a chain of entries (load factor 2)
 *   after hashing the field string its own way, ~40 bytes a field on the heap, where the
 *   KeyTable reads one cache line for the slot and compares the stored field; HSET of
 *   100k fields of one hash spent a fifth of the server's time in the Map's lookup
 *   (perf: Builtins_FindOrderedHashMapEntry 20%). A deletion leaves a tombstone (a null pair) so
 *   that pair numbers stay put; tombstones are squeezed out when they outnumber live
 *   pairs. The stable pair numbers are what HSCAN's cursor and HRANDFIELD's O(1) random
 *   pick need; a Map alone has neither positions nor random access.
 *
 * Memory (bench/micro/hash-memory.ts: 100k hashes of 8 fields with 2-8 byte names and
 * 20-byte values loaded with redis-cli --pipe; node 20, heapUsed after GC; keys and
 * entries included): lapse 89 bytes per field, Redis 7.0 43 (used_memory), 2.05x; with
 * a key TTL on each hash 91 vs 49. Per 8-field hash lapse spends ~320 bytes on the
 * values (V8 strings: 16-byte header, padded to 8), ~176 on the array, 48 on this
 * object and ~180 on the key, its entry and the database's map. Sharing field names
 * (FieldNamePool) and trimming the array of a hash made by one HSET (fit()) took it
 * from 116 to 89 bytes per field.
 *
 * Field TTLs live in `ttls`. The hash never fires or cancels them itself: the Database
 * that owns the key does (setField, deleteField, setFieldDeadline, purgeExpiredFields),
 * so every field deletion or overwrite also cancels the field's timer.
 */
export class HashValue implements ValueObject {
  private slots: (string | null)[] = [];
  /** Field -> pair number, in the table form; null while compact. */
  private index: KeyTable<string> | null = null;
  /** The index's hash seed (randomHashSeed when it is made). */
  private seed = 0;
  /** Field TTLs, or null when no field has one. */
  ttls: FieldTtls | null = null;
  /**
   * The estimated bytes of the field and value strings (stringBytes of each), kept up to
   * date by set and removeField so estimatedBytes costs O(1). Field names shared between
   * compact hashes are counted too: an upper bound (MEMORY USAGE counts them exactly).
   */
  private stringsBytes = 0;

  /** On the prototype: one slot less per hash. */
  get type(): 'hash' {
    return 'hash';
  }

  get size(): number {
    return this.index !== null ? this.index.size : this.slots.length >> 1;
  }

  /** KeyMatcher of the index: whether pair number `pair` holds field. */
  matches(pair: number, field: string): boolean {
    return this.slots[2 * pair] === field;
  }

  /**
   * What the hash costs, estimated in O(1) (memory-cost.ts): this object (56 bytes), its
   * array (48 + 8 per slot), in the table form its index (its typed arrays, 8 bytes a
   * slot), field TTLs (a timer and a map slot, ~96 bytes each), and its strings.
   */
  get estimatedBytes(): number {
    let n = 56 + 48 + 8 * this.slots.length + this.stringsBytes;
    if (this.index !== null) n += 80 + this.index.bytes;
    if (this.ttls !== null) n += 80 + 96 * this.ttls.timers.size;
    return n;
  }

  /**
   * estimatedBytes with the strings counted as they are: a field name shared between
   * compact hashes (its server's FieldNamePool) costs only its slot. O(fields) for a compact hash; a
   * table-form hash is estimated from `samples` fields (0: all), as Redis's MEMORY USAGE
   * samples a hashtable.
   */
  measuredBytes(samples: number, encoding: Readonly<HashEncoding>): number {
    const pool = encoding.fieldNames;
    const slots = this.slots;
    let n = this.estimatedBytes - this.stringsBytes;
    if (this.index === null) {
      for (let i = 0; i < slots.length; i += 2) {
        const field = slots[i]!;
        if (pool === null || !pool.has(field)) n += stringBytes(field.length);
        n += stringBytes((slots[i + 1] as string).length);
      }
      return n;
    }
    const size = this.index.size;
    if (samples <= 0 || samples >= size) return n + this.stringsBytes;
    let sampled = 0;
    let bytes = 0;
    for (let i = 0; i < slots.length && sampled < samples; i += 2) {
      const field = slots[i];
      if (field === null || field === undefined) continue;
      bytes += stringBytes(field.length) + stringBytes((slots[i + 1] as string).length);
      sampled++;
    }
    return n + Math.round((bytes / sampled) * size);
  }

  /** OBJECT ENCODING: "listpack" while compact, "hashtable" after. */
  encoding(): string {
    return this.index === null ? 'listpack' : 'hashtable';
  }

  /** A deep copy in the same form (tombstones squeezed out), without field TTLs. */
  copy(): HashValue {
    const copy = new HashValue();
    const slots: string[] = [];
    const from = this.slots;
    for (let i = 0; i < from.length; i += 2) if (from[i] !== null) slots.push(from[i]!, from[i + 1]!);
    copy.slots = slots;
    copy.stringsBytes = this.stringsBytes;
    if (this.index !== null) copy.convert();
    return copy;
  }

  /** True while the hash uses the compact (listpack-like) form. */
  get compact(): boolean {
    return this.index === null;
  }

  /**
   * The pairs [f0, v0, f1, v1, ...] in the hash's order, for iteration without
   * allocation: a null field marks a deleted pair (table form only). Read-only.
   */
  get pairs(): readonly (string | null)[] {
    return this.slots;
  }

  /** Calls fn for every field and value, in the hash's order. */
  forEach(fn: (field: string, value: string) => void): void {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += 2) {
      const f = slots[i];
      if (f !== null) fn(f!, slots[i + 1] as string);
    }
  }

  /** [field, value] pairs, in the hash's order. */
  entries(): [string, string][] {
    const out: [string, string][] = [];
    this.forEach((f, v) => out.push([f, v]));
    return out;
  }

  get(field: string): string | undefined {
    const i = this.find(field);
    return i < 0 ? undefined : (this.slots[i + 1] as string);
  }

  has(field: string): boolean {
    return this.find(field) >= 0;
  }

  /**
   * Sets field to value; true if the field is new. Converts to the table form when the
   * field or value is longer than hash-max-listpack-value, or when the hash grows past
   * hash-max-listpack-entries, as Redis does (the limits of `encoding`: its server's, or
   * Redis's defaults for a hash outside any server). Does not touch TTLs
   * (Database.setField does).
   */
  set(field: string, value: string, encoding: Readonly<HashEncoding> = REDIS_HASH_ENCODING): boolean {
    const slots = this.slots;
    const index = this.index;
    if (index !== null) {
      const hash = hashString(this.seed, field);
      const pair = index.find(hash, field);
      if (pair >= 0) {
        this.stringsBytes += stringBytes(value.length) - stringBytes((slots[2 * pair + 1] as string).length);
        slots[2 * pair + 1] = value;
        return false;
      }
      index.insert(hash, slots.length >> 1);
      slots.push(field, value);
      this.stringsBytes += stringBytes(field.length) + stringBytes(value.length);
      this.stepResize(index);
      return true;
    }
    const limit = encoding.maxCompactValue;
    const i = this.find(field);
    if (i >= 0) {
      this.stringsBytes += stringBytes(value.length) - stringBytes((slots[i + 1] as string).length);
      slots[i + 1] = value;
      if (value.length > limit) this.convert();
      return false;
    }
    const pool = encoding.fieldNames;
    slots.push(pool === null ? field : pool.shared(field), value);
    this.stringsBytes += stringBytes(field.length) + stringBytes(value.length);
    if (slots.length > encoding.maxCompactEntries * 2 || field.length > limit || value.length > limit) {
      this.convert();
    }
    return true;
  }

  /**
   * Drops the array's spare capacity: a hash filled by one command (HSET of a whole
   * session) keeps exactly its pairs instead of the growth slack of push().
   */
  fit(): void {
    this.slots = this.slots.slice();
  }

  /** Removes field; true if it existed. Does not touch TTLs (Database.deleteField does). */
  removeField(field: string): boolean {
    const slots = this.slots;
    const index = this.index;
    if (index === null) {
      const i = this.find(field);
      if (i < 0) return false;
      this.stringsBytes -= stringBytes(field.length) + stringBytes((slots[i + 1] as string).length);
      slots.splice(i, 2);
      return true;
    }
    const hash = hashString(this.seed, field);
    const pair = index.find(hash, field);
    if (pair < 0) return false;
    this.stringsBytes -= stringBytes(field.length) + stringBytes((slots[2 * pair + 1] as string).length);
    index.remove(hash, pair);
    this.stepResize(index);
    if (2 * pair + 2 === slots.length) {
      // The last pair: drop it, and any tombstones it was covering.
      slots.length -= 2;
      while (slots.length > 0 && slots[slots.length - 2] === null) {
        slots.length -= 2;
      }
      return true;
    }
    slots[2 * pair] = null;
    slots[2 * pair + 1] = null;
    const holes = (slots.length >> 1) - index.size;
    if (holes > MIN_HOLES_TO_COMPACT && holes > index.size) this.squeeze();
    return true;
  }

  /**
   * Visits up to `count` pairs of the table form from cursor (0 = start), examining at
   * most count*10 pair slots, and returns the next cursor (0 when done). Walks from the
   * newest pair to the oldest: fields added during an iteration are not visited, and
   * squeezing tombstones out only moves pairs towards the start, so a cursor is never
   * past a pair it has not visited; at worst it visits some again, which SCAN allows.
   * The compact form is scanned whole in one call, as Redis scans a listpack.
   */
  scan(cursor: number, count: number, visit: (field: string, value: string) => void): number {
    const slots = this.slots;
    const top = (slots.length >> 1) - 1;
    let pair = cursor === 0 || cursor - 1 > top ? top : cursor - 1;
    const maxExamined = Math.max(count, 1) * 10;
    let visited = 0;
    for (let examined = 0; pair >= 0 && visited < count && examined < maxExamined; pair--, examined++) {
      const field = slots[2 * pair];
      if (field === null || field === undefined) continue;
      visited++;
      visit(field, slots[2 * pair + 1] as string);
    }
    return pair >= 0 ? pair + 1 : 0;
  }

  /** The slot (field position in `pairs`) of a uniformly random field; the hash must not be empty. */
  randomSlot(): number {
    const slots = this.slots;
    const pairs = slots.length >> 1;
    for (;;) {
      const slot = 2 * Math.floor(Math.random() * pairs);
      if (slots[slot] !== null) return slot;
    }
  }

  /** The field deadline, or Infinity if the field has no TTL. */
  fieldDeadline(field: string): number {
    return this.ttls?.timers.get(field)?.deadline ?? Infinity;
  }

  /** The slot of field, or -1. */
  private find(field: string): number {
    if (this.index !== null) {
      const pair = this.index.find(hashString(this.seed, field), field);
      return pair < 0 ? -1 : 2 * pair;
    }
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += 2) if (slots[i] === field) return i;
    return -1;
  }

  /**
   * After a write to the index: moves a running resize on by 64 more slots (KeyTable
   * drains its old array by 8 slots a write, and no cron drives a hash's index). Only
   * writes do it, never lookups: estimatedBytes counts both arrays while a resize runs,
   * and the Database accounts a value's bytes around its changes only.
   */
  private stepResize(index: KeyTable<string>): void {
    if (index.rehashing) index.rehashStep(64);
  }

  private convert(): void {
    const slots = this.slots;
    const seed = randomHashSeed();
    const index = new KeyTable<string>(this);
    index.reserve(slots.length >> 1);
    for (let i = 0; i < slots.length; i += 2) index.insert(hashString(seed, slots[i]!), i >> 1);
    this.seed = seed;
    this.index = index;
  }

  private squeeze(): void {
    const slots = this.slots;
    const index = this.index!;
    let to = 0;
    for (let from = 0; from < slots.length; from += 2) {
      const field = slots[from];
      if (field === null) continue;
      if (to !== from) {
        slots[to] = field!;
        slots[to + 1] = slots[from + 1]!;
        index.replace(hashString(this.seed, field!), from >> 1, to >> 1);
      }
      to += 2;
    }
    slots.length = to;
  }
}
