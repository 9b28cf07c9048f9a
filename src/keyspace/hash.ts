import type { Entry } from './entry.js';
import type { ValueObject } from './values.js';
import { stringBytes } from './memory-cost.js';
import { FieldTable } from './field-table.js';
import { FieldTimers } from './field-timers.js';
import { BufferCount } from './store/buffer-count.js';

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
  /** The bytes of the server's table-form hashes' arenas, and of its large sets' and sorted sets' indexes (see BufferCount); null outside a server. */
  readonly arenas: BufferCount | null;
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
  arenas: null,
});

/** A server's HashEncoding, at Redis's defaults until its configuration is applied. */
export function newHashEncoding(): HashEncoding {
  return { maxCompactEntries: REDIS_HASH_ENCODING.maxCompactEntries, maxCompactValue: REDIS_HASH_ENCODING.maxCompactValue, fieldNames: new FieldNamePool(), arenas: new BufferCount() };
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
  readonly timers = new FieldTimers<FieldTimer>();
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

/** The pairs array of a hash in the table form: empty for good, shared (never written: only the compact form pushes). */
const NO_SLOTS: (string | null)[] = Object.freeze([]) as unknown as (string | null)[];

/** An empty FieldTable with room for the [field, value, ...] of `pairs` (a record's header and padding: ~16 bytes). */
function tableFor(pairs: readonly (string | null)[], encoding: Readonly<HashEncoding>): FieldTable {
  let chars = 0;
  for (let i = 0; i < pairs.length; i++) chars += pairs[i]!.length;
  const n = pairs.length >> 1;
  return new FieldTable(encoding.arenas, n, chars + 16 * n);
}

/**
 * A hash: field -> value, all latin1 strings.
 *
 * - Compact (at most hash-max-listpack-entries fields, none longer than
 *   hash-max-listpack-value bytes): one flat array `slots` = [f0, v0, f1, v1, ...], in
 *   insertion order, as Redis keeps a small hash in a listpack. An update keeps the
 *   field's place, a deletion closes the gap, so HGETALL, HKEYS, HVALS and HSCAN answer
 *   in Redis's exact order. Lookups are linear, as in a listpack, over at most a few
 *   hundred short strings.
 * - Table (past the limits, for good, as Redis never converts back): a FieldTable, which
 *   keeps the fields and values as bytes in one arena, indexed by the keyspace's own
 *   open-addressing KeyTable (see field-table.ts for why and how). Its pair numbers are
 *   stable while a field lives (deleted ones are squeezed out when they outnumber live
 *   ones), which HSCAN's cursor and HRANDFIELD's O(1) random pick use.
 *
 * Readers go through slotCount, fieldAt and valueAt (slot = 2 * pair, as in the
 * compact array), forEach, scan and randomSlot, which work on both forms.
 *
 * Memory of the compact form (bench/micro/hash-memory.ts: 100k hashes of 8 fields with
 * 2-8 byte names and 20-byte values loaded with redis-cli --pipe; node 20, heapUsed
 * after GC; keys and entries included): lapse 89 bytes per field, Redis 7.0 43
 * (used_memory), 2.05x; with a key TTL on each hash 91 vs 49. Per 8-field hash lapse
 * spends ~320 bytes on the values (V8 strings: 16-byte header, padded to 8), ~176 on the
 * array, 48 on this object and ~180 on the key, its entry and the database's map.
 * Sharing field names (FieldNamePool) and trimming the array of a hash made by one HSET
 * (fit()) took it from 116 to 89 bytes per field.
 *
 * Field TTLs live in `ttls`. The hash never fires or cancels them itself: the Database
 * that owns the key does (setField, deleteField, setFieldDeadline, purgeExpiredFields),
 * so every field deletion or overwrite also cancels the field's timer.
 */
export class HashValue implements ValueObject {
  private slots: (string | null)[] = [];
  /** The table form's fields and values; null while compact. */
  private table: FieldTable | null = null;
  /** Field TTLs, or null when no field has one. */
  ttls: FieldTtls | null = null;
  /**
   * The compact form's estimated bytes of field and value strings (stringBytes of each),
   * kept up to date by set and removeField so estimatedBytes costs O(1). Field names
   * shared between compact hashes are counted too: an upper bound (MEMORY USAGE counts
   * them exactly). 0 in the table form (the FieldTable counts its bytes).
   */
  private stringsBytes = 0;

  /** On the prototype: one slot less per hash. */
  get type(): 'hash' {
    return 'hash';
  }

  get size(): number {
    return this.table !== null ? this.table.size : this.slots.length >> 1;
  }

  /**
   * What the hash costs, estimated in O(1) (memory-cost.ts): this object (56 bytes), its
   * array (48 + 8 per slot) and strings while compact, its FieldTable's arrays in the
   * table form, field TTLs (a timer and a map slot, ~96 bytes each).
   */
  get estimatedBytes(): number {
    let n = 56 + 48 + 8 * this.slots.length + this.stringsBytes;
    if (this.table !== null) n += this.table.bytesUsed;
    if (this.ttls !== null) n += 80 + 96 * this.ttls.timers.size;
    return n;
  }

  /**
   * estimatedBytes with the strings counted as they are: a field name shared between
   * compact hashes (its server's FieldNamePool) costs only its slot. O(fields) for a
   * compact hash; the table form counts its arena exactly in O(1).
   */
  measuredBytes(_samples: number, encoding: Readonly<HashEncoding>): number {
    if (this.table !== null) return this.estimatedBytes;
    const pool = encoding.fieldNames;
    const slots = this.slots;
    let n = this.estimatedBytes - this.stringsBytes;
    for (let i = 0; i < slots.length; i += 2) {
      const field = slots[i]!;
      if (pool === null || !pool.has(field)) n += stringBytes(field.length);
      n += stringBytes((slots[i + 1] as string).length);
    }
    return n;
  }

  /** OBJECT ENCODING: "listpack" while compact, "hashtable" after. */
  encoding(): string {
    return this.table === null ? 'listpack' : 'hashtable';
  }

  /** A deep copy in the same form, without field TTLs (its arena counted where this one's is). */
  copy(): HashValue {
    const copy = new HashValue();
    if (this.table !== null) {
      copy.slots = NO_SLOTS;
      copy.table = this.table.copy();
    } else {
      copy.slots = this.slots.slice();
      copy.stringsBytes = this.stringsBytes;
    }
    return copy;
  }

  /** True while the hash uses the compact (listpack-like) form. */
  get compact(): boolean {
    return this.table === null;
  }

  /**
   * One past the last slot in use: fieldAt and valueAt take the even slots below it
   * (slot = 2 * pair). A slot whose field is null was deleted (table form only).
   */
  get slotCount(): number {
    return this.table !== null ? 2 * this.table.pairCount : this.slots.length;
  }

  /** Whether the even slot below slotCount holds a field (no string made). */
  isLive(slot: number): boolean {
    return this.table !== null ? this.table.isLive(slot >> 1) : true;
  }

  /** The field at an even slot below slotCount, or null if deleted. */
  fieldAt(slot: number): string | null {
    return this.table !== null ? this.table.fieldAt(slot >> 1) : this.slots[slot]!;
  }

  /** The value of the field at an even slot below slotCount, or null if deleted. */
  valueAt(slot: number): string | null {
    return this.table !== null ? this.table.valueAt(slot >> 1) : this.slots[slot + 1]!;
  }

  /** Calls fn for every field and value, in the hash's order. */
  forEach(fn: (field: string, value: string) => void): void {
    if (this.table !== null) {
      this.table.forEach(fn);
      return;
    }
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += 2) fn(slots[i]!, slots[i + 1] as string);
  }

  /** [field, value] pairs, in the hash's order. */
  entries(): [string, string][] {
    const out: [string, string][] = [];
    this.forEach((f, v) => out.push([f, v]));
    return out;
  }

  get(field: string): string | undefined {
    if (this.table !== null) return this.table.get(field);
    const i = this.find(field);
    return i < 0 ? undefined : (this.slots[i + 1] as string);
  }

  /** The slot of field (for fieldAt, valueAt, valueStartAt), or -1 if absent. */
  slotOf(field: string): number {
    if (this.table !== null) {
      const pair = this.table.find(field);
      return pair < 0 ? -1 : 2 * pair;
    }
    return this.find(field);
  }

  /**
   * Where the field at a live slot starts in arenaBytes(slot), or -1 when it is a string only
   * (the compact form): a reply copies the bytes, no string made.
   */
  fieldStartAt(slot: number): number {
    return this.table !== null ? this.table.fieldStartAt(slot >> 1) : -1;
  }

  /** The length of the field at a live slot. */
  fieldLengthAt(slot: number): number {
    return this.table !== null ? this.table.fieldLengthAt(slot >> 1) : this.slots[slot]!.length;
  }

  /**
   * Where the value at a live slot starts in arenaBytes(slot), or -1 when it is a string
   * only (the compact form, a value past 64 KiB): a reply copies the bytes, no string made.
   */
  valueStartAt(slot: number): number {
    return this.table !== null ? this.table.valueStartAt(slot >> 1) : -1;
  }

  /** The length of the value at a live slot. */
  valueLengthAt(slot: number): number {
    return this.table !== null ? this.table.valueLengthAt(slot >> 1) : (this.slots[slot + 1] as string).length;
  }

  /** The table form's arena chunk holding the pair at a live slot (fieldStartAt's and valueStartAt's offsets are into it); valid until the hash changes. */
  arenaBytes(slot: number): Buffer {
    return this.table!.arenaOf(slot >> 1);
  }

  /** A DataView over arenaBytes(slot), for copies in words; valid until the hash changes. */
  arenaView(slot: number): DataView {
    return this.table!.arenaViewOf(slot >> 1);
  }

  /** The length of field's value, or -1 if the field is absent (no string made in the table form). */
  valueLength(field: string): number {
    const slot = this.slotOf(field);
    return slot < 0 ? -1 : this.valueLengthAt(slot);
  }

  has(field: string): boolean {
    return this.table !== null ? this.table.find(field) >= 0 : this.find(field) >= 0;
  }

  /**
   * Sets field to value; true if the field is new. Converts to the table form when the
   * field or value is longer than hash-max-listpack-value, or when the hash grows past
   * hash-max-listpack-entries, as Redis does (the limits of `encoding`: its server's, or
   * Redis's defaults for a hash outside any server). Does not touch TTLs
   * (Database.setField does).
   */
  set(field: string, value: string, encoding: Readonly<HashEncoding> = REDIS_HASH_ENCODING): boolean {
    if (this.table !== null) return this.table.set(field, value);
    const slots = this.slots;
    const limit = encoding.maxCompactValue;
    const i = this.find(field);
    if (i >= 0) {
      this.stringsBytes += stringBytes(value.length) - stringBytes((slots[i + 1] as string).length);
      slots[i + 1] = value;
      if (value.length > limit) this.convert(encoding);
      return false;
    }
    const pool = encoding.fieldNames;
    slots.push(pool === null ? field : pool.shared(field), value);
    this.stringsBytes += stringBytes(field.length) + stringBytes(value.length);
    if (slots.length > encoding.maxCompactEntries * 2 || field.length > limit || value.length > limit) {
      this.convert(encoding);
    }
    return true;
  }

  /**
   * Makes an empty hash a table-form one with room for `pairs` (the [field, value, ...]
   * it is about to be given: an RDB load of a hash past hash-max-listpack-entries), so
   * its arena, refs and index are allocated once.
   */
  reserveTable(pairs: readonly string[], encoding: Readonly<HashEncoding>): void {
    if (this.table !== null || this.slots.length > 0) return;
    this.table = tableFor(pairs, encoding);
    this.slots = NO_SLOTS;
  }

  /**
   * Drops the array's spare capacity: a hash filled by one command (HSET of a whole
   * session) keeps exactly its pairs instead of the growth slack of push().
   */
  fit(): void {
    if (this.table === null) this.slots = this.slots.slice();
  }

  /** Removes field; true if it existed. Does not touch TTLs (Database.deleteField does). */
  removeField(field: string): boolean {
    if (this.table !== null) return this.table.remove(field);
    const slots = this.slots;
    const i = this.find(field);
    if (i < 0) return false;
    this.stringsBytes -= stringBytes(field.length) + stringBytes((slots[i + 1] as string).length);
    slots.splice(i, 2);
    return true;
  }

  /**
   * Visits up to `count` fields of the table form from cursor (0 = start) and returns the
   * next cursor (0 when done): FieldTable.scan, whose cursor counts pair numbers down.
   * The compact form is scanned whole in one call, as Redis scans a listpack.
   */
  scan(cursor: number, count: number, visit: (field: string, value: string) => void): number {
    if (this.table !== null) return this.table.scan(cursor, count, visit);
    this.forEach(visit);
    return 0;
  }

  /** The slot (field position for fieldAt) of a uniformly random field; the hash must not be empty. */
  randomSlot(): number {
    if (this.table !== null) return 2 * this.table.randomPair();
    return 2 * Math.floor(Math.random() * (this.slots.length >> 1));
  }

  /** The field deadline, or Infinity if the field has no TTL. */
  fieldDeadline(field: string): number {
    return this.ttls?.timers.get(field)?.deadline ?? Infinity;
  }

  /** The slot of field in the compact form, or -1. */
  private find(field: string): number {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += 2) if (slots[i] === field) return i;
    return -1;
  }

  /** Moves the pairs into a FieldTable, for good. */
  private convert(encoding: Readonly<HashEncoding>): void {
    const slots = this.slots;
    const table = tableFor(slots, encoding);
    for (let i = 0; i < slots.length; i += 2) table.set(slots[i]!, slots[i + 1]!);
    this.table = table;
    this.slots = NO_SLOTS;
    this.stringsBytes = 0;
  }
}
