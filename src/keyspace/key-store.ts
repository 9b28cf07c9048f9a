import type { Clock } from './clock.js';
import { TimerWheel, UNSCHEDULED, type TimerColumns, type TimerWheelOptions } from './expiry/timer-wheel.js';
import { TimerIds } from './expiry/timer-ids.js';
import type { FieldTimer } from './hash.js';
import { hashBytes, hashString, keyEqualsBytes, type KeyBytes } from './store/key-hash.js';
import { KeyTable, type FreshArrays, type KeyMatcher } from './store/key-table.js';
import { SlabStore, type Relocator } from './store/slab-store.js';
import type { BufferCount } from './store/buffer-count.js';
import { ObjectsById } from './store/objects-by-id.js';
import { ColumnBuffer } from './store/column-buffer.js';
import type { StringForm } from './string-encoding.js';
import type { ValueObject } from './values.js';

/**
 * What one database holds, stored off the V8 heap (issue 17): a key is an integer id,
 * not an object. Per id, a row holds its deadline, the ref of its record in a SlabStore,
 * its kind and access stamp (see `deadline`), and two columns its timer-wheel links; the
 * record holds the key's bytes and, for a string value, the value's bytes:
 *
 *     [key length, LEB128][key bytes][value bytes]
 *
 * so a stored session is a row, a table slot and one record, never a JavaScript
 * object or string (the GC neither copies nor scans it). A KeyTable indexes ids by the
 * seeded hash of their key bytes, each slot also holding the record's ref (its aux
 * word, kept in step by relocated()). Collections (hashes, lists, sets, sorted sets) stay
 * JavaScript objects (their own compact and large encodings, measured against Redis's
 * in issue 13), referenced from `objects` by id; their record holds the key alone.
 *
 * Ids are reused after a key is deleted (a free stack), so an id is a handle valid
 * until its key is removed: nothing outside a command may keep one (the eviction pool
 * keeps keys, the snapshot is told of every change).
 *
 * The store knows no Redis semantics: the Database decides expiry, events and
 * accounting. SWAPDB swaps two databases' stores; FLUSHDB gives the database a new one
 * (a running snapshot keeps walking the old one).
 */

/** An id that holds no key. */
export const KIND_FREE = 0;
export const KIND_STRING = 1;
export const KIND_OBJECT = 2;

const INITIAL_IDS = 64;
/** The access stamp's bits in the row's last word (the kind above them). */
const ACCESS_MASK = 0xffffff;
/** Bytes of an id's row (see `deadline`). */
const ROW_BYTES = 16;
/** Ids per store at most (rows are addressed as 4 id + k in an Int32Array). */
const MAX_IDS = 2 ** 29;
/** Slab bytes the cron's maintenance step moves per call at least, and at most (maintain()). */
const COMPACT_BYTES_PER_STEP = 256 * 1024;
const COMPACT_BYTES_MAX = 8 * 1024 * 1024;
/** The longest a compaction slice runs before the rest waits for pending I/O (maintain()). */
const COMPACT_SLICE_MS = 1;


export class KeyStore<H = unknown> implements TimerColumns, KeyMatcher<string>, Relocator {
  // Columns by id (TimerColumns: the key wheel reads deadline/prev/next through this object).
  /**
   * The rows: 16 bytes per id, [deadline f64][ref i32][kind 8 bits | access 24 bits],
   * one buffer seen as this Float64Array (the deadline at id << 1: deadlineShift) and as
   * `cells` (ref at 4 id + 2, kind and access at 4 id + 3; access stamps are 24 bits, as
   * Redis's robj.lru). A lookup reads all four (the record's ref, whether the key is
   * past its deadline, its kind, the access stamp it writes), and as four columns they
   * were four cache misses after the table's: perf of GET over 100k keys at -P 16
   * (annotated JIT code) put 5% of the server's samples on the ref's load and 6% on the
   * deadline's, and loading the deadline early only moved the stall to the access
   * stamp's load, then the kind's. In one row the first load brings the others. Read
   * them through deadlineOf(), refOf(), kindOf(), accessOf() outside this class.
   */
  deadline: Float64Array;
  readonly deadlineShift = 1;
  private cells: Int32Array;
  prev: Int32Array;
  next: Int32Array;
  /** Collection values by id. */
  readonly objects = new ObjectsById();
  /**
   * The free ids, a stack linked through ref[] (a free id's ref is no record): the next
   * free id, -1 at the end. A million keys expiring in a second freed a million ids into
   * a JavaScript array before, which grew on the V8 heap and was copied and promoted by
   * its GCs during the expiry.
   */
  private freeHead = -1;
  /** The buffer the columns live in: rows, then prev links, then next links (see grow()). */
  private readonly columns = new ColumnBuffer([ROW_BYTES, 4, 4]);
  /** Set by valueStart(): where the key starts in the record it located. */
  private keyAt = 1;
  private nextId = 0;
  readonly table: KeyTable<string>;
  /**
   * 1 MiB segments carved from 64 MiB arenas. An arena is above glibc's largest dynamic
   * mmap threshold (32 MiB on 64-bit), so it is its own mmap and goes back to the OS
   * when it is dropped: with one 1 MiB buffer per segment, the first segment freed
   * raised the threshold past their size, later ones came from malloc's heap, which
   * kept them resident (RSS stayed at 459 MB after a FLUSHALL of 600 MB and a GC,
   * test/integration/reclaim.test.ts). Segments stay small because a segment is what
   * compaction empties and reuses: with 64 MiB segments, 1 KB values at maxmemory
   * 100mb peaked at 328 MB RSS against 220 MB with 1 MiB ones
   * (test/integration/memory-bound.test.ts). A fresh region's pages are only touched as
   * records fill it.
   */
  readonly slab: SlabStore;

  // The database's figures about these keys (they move with the keys on SWAPDB).
  /** Keys with a deadline, and the sum of their deadlines (INFO avg_ttl). */
  volatile = 0;
  deadlineSum = 0;
  /** Estimated bytes of the keys and values (memory-cost.ts): maxmemory's dataset figure. */
  bytes = 0;
  /** Exact expire times beyond 2^53 (see Database.setExpireTime). */
  farExpireTimes = new Map<number, bigint>();
  /** String values whose Redis encoding their text does not tell (string-encoding.ts). */
  stringForms: Map<number, StringForm> | null = null;

  /** The keys' timer wheel, and the hash fields' (created with the first field TTL). */
  readonly wheel: TimerWheel;
  fieldWheel: TimerWheel | null = null;
  fieldIds: TimerIds<FieldTimer> | null = null;

  constructor(
    /** Who owns the store now (the database; SWAPDB moves stores between databases). */
    readonly host: H,
    readonly seed: number,
    private readonly clock: Clock,
    private readonly wheelOptions: TimerWheelOptions,
    fire: (id: number) => void,
    /** The server's count of shared arena bytes (the arenas are shared with a snapshot's worker thread). */
    sharedBytes: BufferCount,
    /** The bytes the current command's arguments were made from, when known (KeyBytes). */
    private readonly given: KeyBytes,
    /** Where the key table's large resizes get their arrays, pages already in memory (FreshMemory). */
    fresh: FreshArrays | null = null,
  ) {
    this.slab = new SlabStore({ segmentShift: 20, arenaSegments: 64, mappedLarge: true, compactBelow: 0.7, shared: true, sharedBytes });
    const columns = this.columns.take(INITIAL_IDS);
    this.deadline = new Float64Array(columns, 0, INITIAL_IDS * 2);
    this.cells = new Int32Array(columns, 0, INITIAL_IDS * 4);
    this.prev = new Int32Array(columns, this.columns.offset(INITIAL_IDS, 1), INITIAL_IDS);
    this.next = new Int32Array(columns, this.columns.offset(INITIAL_IDS, 2), INITIAL_IDS);
    this.table = new KeyTable<string>(this, undefined, true, null, fresh);
    this.wheel = new TimerWheel(clock, fire, this, wheelOptions);
  }

  /** The deadline of an id (Infinity: none). */
  deadlineOf(id: number): number {
    return this.deadline[id << 1]!;
  }

  /** Sets an id's deadline (the Database keeps the wheel and the figures in step). */
  setDeadlineOf(id: number, deadline: number): void {
    this.deadline[id << 1] = deadline;
  }

  /** The slab ref of an id's record. */
  refOf(id: number): number {
    return this.cells[(id << 2) + 2]!;
  }

  private setRef(id: number, ref: number): void {
    this.cells[(id << 2) + 2] = ref;
  }

  /** An id's access stamp (access.ts): LRU clock or LFU stamp and counter, 24 bits. */
  accessOf(id: number): number {
    return this.cells[(id << 2) + 3]! & ACCESS_MASK;
  }

  setAccess(id: number, access: number): void {
    const i = (id << 2) + 3;
    this.cells[i] = (this.cells[i]! & ~ACCESS_MASK) | (access & ACCESS_MASK);
  }

  /** KIND_FREE, KIND_STRING or KIND_OBJECT. */
  kindOf(id: number): number {
    return this.cells[(id << 2) + 3]! >>> 24;
  }

  private setKind(id: number, kind: number): void {
    const i = (id << 2) + 3;
    this.cells[i] = (kind << 24) | (this.cells[i]! & ACCESS_MASK);
  }

  /** The deadlines of ids [0, n) as a column of their own (for a snapshot's worker). */
  deadlines(n: number): Float64Array<ArrayBuffer> {
    const out = new Float64Array(n);
    const rows = this.deadline;
    for (let id = 0; id < n; id++) out[id] = rows[id << 1]!;
    return out;
  }

  /** Number of keys. */
  get size(): number {
    return this.table.size;
  }

  /**
   * The id holding key, or -1. Remembers the key and its hash: a SET of a new key looks
   * it up, then creates it, and create() does not hash it a second time. A key the
   * running command named, whose bytes the connection gave (KeyBytes), is hashed and
   * compared as those bytes.
   */
  find(key: string): number {
    this.foundKey = key;
    const given = this.given;
    if (given.take(key)) {
      const hash = hashBytes(this.seed, given.bytes, given.start, given.end);
      this.foundHash = hash;
      return this.table.findBytes(hash, given.bytes, given.start, given.end);
    }
    const hash = hashString(this.seed, key);
    this.foundHash = hash;
    return this.table.find(hash, key);
  }
  private foundKey = '';
  private foundHash = 0;
  /** A word of the row of the id a lookup matched last (see matches()): loaded for its cache line, its value unused. */
  rowWord = 0;

  /**
   * KeyMatcher: whether id holds key. `ref` is the record's ref from the table's slot:
   * the record's bytes are read without waiting for the id's row, whose load is started
   * here (rowWord) so that both misses overlap; the lookup's caller reads the row next.
   */
  matches(id: number, key: string, ref: number): boolean {
    const slab = this.slab;
    this.rowWord = this.cells[(id << 2) + 3]!;
    const valueAt = this.valueStart(ref);
    const keyAt = this.keyAt;
    if (valueAt - keyAt !== key.length) return false;
    const p = slab.offsetOf(ref);
    return keyEqualsBytes(key, slab.bytesOf(ref), p + keyAt, p + valueAt);
  }

  /** KeyMatcher: whether id holds the key whose bytes are bytes[start, end); `ref` as in matches(). */
  matchesBytes(id: number, bytes: Uint8Array, start: number, end: number, ref: number): boolean {
    const slab = this.slab;
    this.rowWord = this.cells[(id << 2) + 3]!;
    const valueAt = this.valueStart(ref);
    const keyAt = this.keyAt;
    const length = end - start;
    if (valueAt - keyAt !== length) return false;
    const stored = slab.bytesOf(ref);
    const p = slab.offsetOf(ref) + keyAt;
    for (let i = 0; i < length; i++) if (stored[p + i] !== bytes[start + i]) return false;
    return true;
  }

  /** find() for a key given as bytes[start, end). */
  findBytes(bytes: Uint8Array, start: number, end: number): number {
    return this.table.findBytes(hashBytes(this.seed, bytes, start, end), bytes, start, end);
  }

  /**
   * Adds a string key from bytes, as an RDB load reads them (no string is made of the key
   * or the value): key bytes key[0, keyLength), value bytes value[valueStart, valueEnd).
   * Returns its id, or -1 when the key is already present (nothing is added). The caller
   * accounts bytes and sets the deadline, as for create().
   */
  createStringBytes(key: Uint8Array, keyLength: number, value: Uint8Array, valueStart: number, valueEnd: number, access: number): number {
    const hash = hashBytes(this.seed, key, 0, keyLength);
    if (this.table.findBytes(hash, key, 0, keyLength) >= 0) return -1;
    const id = this.allocateId();
    const slab = this.slab;
    const header = lebLength(keyLength);
    const valueLength = valueEnd - valueStart;
    const ref = this.allocRecord(id, keyLength, valueLength);
    if (keyLength > 0) slab.copyFrom(ref, header, key, 0, keyLength);
    if (valueLength > 0) slab.copyFrom(ref, header + keyLength, value, valueStart, valueLength);
    this.enter(id, ref, KIND_STRING, access, hash);
    return id;
  }

  /** Relocator: the slab moved id's record. */
  moved(owner: number, _oldRef: number, newRef: number): void {
    this.relocated(owner, newRef);
  }

  /** A live id's record is now at ref: the row and the table's slot say so. */
  private relocated(id: number, ref: number): void {
    this.setRef(id, ref);
    this.table.setAux(this.storedKeyHash(ref), id, ref);
  }

  /** The table's hash of the key held in the record at ref, from its stored bytes. */
  private storedKeyHash(ref: number): number {
    const slab = this.slab;
    const valueAt = this.valueStart(ref);
    const start = slab.offsetOf(ref);
    return hashBytes(this.seed, slab.bytesOf(ref), start + this.keyAt, start + valueAt);
  }

  /**
   * Adds key (absent) holding a string or a collection; returns its id. The caller
   * accounts bytes and sets the deadline.
   */
  create(key: string, value: string | ValueObject, access: number): number {
    const id = this.allocateId();
    const isString = typeof value === 'string';
    const ref = this.writeRecord(id, key, isString ? value : '');
    if (!isString) this.objects.set(id, value);
    this.enter(id, ref, isString ? KIND_STRING : KIND_OBJECT, access, key === this.foundKey ? this.foundHash : hashString(this.seed, key));
    return id;
  }

  /** A new id's columns (no deadline) and its table slot, once its record is written. */
  private enter(id: number, ref: number, kind: number, access: number, hash: number): void {
    this.setRef(id, ref);
    this.setKind(id, kind);
    this.setAccess(id, access);
    this.deadline[id << 1] = Infinity;
    this.table.insert(hash, id, ref);
  }

  /** Replaces the value of a live id (its key stays). */
  replace(id: number, value: string | ValueObject): void {
    const isString = typeof value === 'string';
    if (isString || this.kindOf(id) === KIND_STRING) this.rewriteValue(id, isString ? value : '');
    if (isString) {
      if (this.kindOf(id) === KIND_OBJECT) this.objects.delete(id);
      this.setKind(id, KIND_STRING);
    } else {
      this.setKind(id, KIND_OBJECT);
      this.objects.set(id, value);
    }
  }

  /**
   * replace() of a live string id's value with the decimal text of n (a safe integer),
   * `length` chars (sign and digits): written as digits, in place when the old value has
   * that length (INCR's usual case), so no string is made of it. Returns the old value's
   * length (read here anyway: the caller's byte count needs it).
   */
  replaceInteger(id: number, n: number, length: number): number {
    const slab = this.slab;
    const ref = this.refOf(id);
    const valueAt = this.valueStart(ref);
    const old = slab.lengthOf(ref) - valueAt;
    if (old !== length) this.rewriteValue(id, String(n));
    else slab.writeInteger(ref, valueAt, n, length);
    return old;
  }

  /**
   * Makes the record of id hold `value` after its key: in place when the size is the
   * same (a session saved again), else a new record with the key's bytes copied over.
   */
  private rewriteValue(id: number, value: string): void {
    const slab = this.slab;
    const ref = this.refOf(id);
    const valueAt = this.valueStart(ref);
    if (slab.lengthOf(ref) - valueAt === value.length) {
      if (value.length > 0) slab.writeString(ref, valueAt, value);
      return;
    }
    const moved = slab.alloc(valueAt + value.length, id);
    // The header and key, byte for byte: no string is made of the key.
    slab.copyTo(ref, 0, valueAt, slab.bytesOf(moved), slab.offsetOf(moved));
    if (value.length > 0) slab.writeString(moved, valueAt, value);
    slab.free(ref);
    this.relocated(id, moved);
  }

  /** Removes a live id: its record, its table slot, its value. The caller cancels its timer first. */
  remove(id: number): void {
    const slab = this.slab;
    const ref = this.refOf(id);
    this.table.remove(this.storedKeyHash(ref), id);
    slab.free(ref);
    if (this.kindOf(id) === KIND_OBJECT) this.objects.delete(id);
    this.setKind(id, KIND_FREE);
    this.deadline[id << 1] = Infinity;
    this.setRef(id, this.freeHead);
    this.freeHead = id;
  }

  /** The key of a live id. */
  keyOf(id: number): string {
    const ref = this.refOf(id);
    const valueAt = this.valueStart(ref);
    return this.slab.readString(ref, this.keyAt, valueAt);
  }

  /** Whether the key of a live id starts with prefix (latin1), compared on its stored bytes. */
  keyStartsWith(id: number, prefix: string): boolean {
    const slab = this.slab;
    const ref = this.refOf(id);
    const valueAt = this.valueStart(ref);
    const keyAt = this.keyAt;
    const n = prefix.length;
    if (valueAt - keyAt < n) return false;
    const bytes = slab.bytesOf(ref);
    const p = slab.offsetOf(ref) + keyAt;
    for (let i = 0; i < n; i++) if (bytes[p + i] !== prefix.charCodeAt(i)) return false;
    return true;
  }

  /** Length in bytes of the key of a live id. */
  keyLength(id: number): number {
    const valueAt = this.valueStart(this.refOf(id));
    return valueAt - this.keyAt;
  }

  /** The string value of a live id of KIND_STRING. */
  stringOf(id: number): string {
    const ref = this.refOf(id);
    return this.slab.readString(ref, this.valueStart(ref), this.slab.lengthOf(ref));
  }

  /**
   * Where the string value of a live id of KIND_STRING lies: returns the bytes holding
   * it and sets viewStart/viewEnd (fields: no call returns three numbers), valid until
   * the store changes.
   */
  stringView(id: number): Uint8Array {
    const slab = this.slab;
    const ref = this.refOf(id);
    const offset = slab.offsetOf(ref);
    this.viewStart = offset + this.valueStart(ref);
    this.viewEnd = offset + slab.lengthOf(ref);
    // Segments are carved from the shared arenas; a large record has a buffer of its own.
    const shared = slab.arenaDataOf(ref);
    this.viewShared = shared;
    if (shared !== null) this.viewBase = slab.arenaOffsetOf(ref);
    return slab.bytesOf(ref);
  }
  /**
   * The bytes of a string id's record, for a writer that copies them as they are (SAVE):
   * sets recordKeyStart, recordKeyEnd (where the value starts) and recordEnd in it.
   */
  stringRecord(id: number): Buffer {
    const slab = this.slab;
    const ref = this.refOf(id);
    const offset = slab.offsetOf(ref);
    const valueAt = this.valueStart(ref);
    this.recordKeyStart = offset + this.keyAt;
    this.recordKeyEnd = offset + valueAt;
    this.recordEnd = offset + slab.lengthOf(ref);
    return slab.bytesOf(ref) as Buffer;
  }
  /** Set by stringRecord(). */
  recordKeyStart = 0;
  recordKeyEnd = 0;
  recordEnd = 0;

  /** Set by stringView(). */
  viewStart = 0;
  viewEnd = 0;
  /**
   * Set by stringView(): when the view is of shared memory, a DataView over all of that
   * memory (for the copy out of it: writer.bulkBytes), else null.
   */
  viewShared: DataView | null = null;
  /** Set by stringView() with viewShared: where the view's byte 0 lies in viewShared. */
  viewBase = 0;

  /** Length in bytes of the string value of a live id of KIND_STRING. */
  stringLength(id: number): number {
    const ref = this.refOf(id);
    return this.slab.lengthOf(ref) - this.valueStart(ref);
  }

  /** The value of a live id: its string or its collection. */
  valueOf(id: number): string | ValueObject {
    return this.kindOf(id) === KIND_STRING ? this.stringOf(id) : this.objects.get(id)!;
  }

  /**
   * Redis's expire time in ms of a live id that has a deadline: exact for any int64
   * (a bigint beyond 2^53, kept in farExpireTimes).
   */
  expireTime(id: number): number | bigint {
    const deadline = this.deadline[id << 1]!;
    if (deadline > Number.MAX_SAFE_INTEGER) {
      const exact = this.farExpireTimes.get(id);
      if (exact !== undefined) return exact;
    }
    return deadline - 1;
  }

  /** The columns' next buffer if made ahead (ColumnBuffer), and how many of its pages are left to write (tests). */
  get columnsAhead(): { buffer: ArrayBuffer | null; pagesLeft: number } {
    return this.columns.ahead;
  }

  /** Every id ever given is below this (ids of removed keys are free, KIND_FREE). */
  get idLimit(): number {
    return this.nextId;
  }

  /** Whether id holds a key of this store now. */
  isLive(id: number): boolean {
    return id >= 0 && id < this.nextId && this.kindOf(id) !== KIND_FREE;
  }

  /** Makes room for n keys (RDB load: RESIZEDB). */
  reserve(n: number): void {
    this.table.reserve(n);
    if (n > this.deadline.length >> 1) this.grow(n);
  }

  /**
   * The cron's housekeeping: moves records out of sparse slab segments so their regions
   * are reused or released (at least COMPACT_BYTES_PER_STEP, more while the slab holds
   * much more than its live records: a quarter of the excess, at most COMPACT_BYTES_MAX,
   * a few ms of copying), and advances the table's incremental rehash.
   */
  maintain(): void {
    const slab = this.slab;
    const excess = slab.segmentBytes - 1.1 * this.recordBytes() - slab.segmentSize;
    this.compactLeft = excess <= 0 ? COMPACT_BYTES_PER_STEP : Math.min(COMPACT_BYTES_MAX, Math.max(COMPACT_BYTES_PER_STEP, excess / 4));
    if (this.compactNext === null) this.compactSlice();
    this.table.rehashStep(256);
    slab.forgetSources();
  }

  /**
   * One slice of the tick's compaction: at most COMPACT_SLICE_MS, then the rest after
   * pending I/O (clock.defer), until the tick's budget is used. In one go, a tick moved
   * up to 8 MB, or walked a sparse segment's dead records: during 1M keys expiring in a
   * second, single ticks held clients for 2-7 ms (the mass-expiry probe's slowest round
   * trips).
   */
  private readonly compactSlice = (): void => {
    this.compactNext = null;
    const slab = this.slab;
    const clock = this.clock;
    const until = clock.monotonic() + COMPACT_SLICE_MS;
    slab.compact(this.compactLeft, this, () => clock.monotonic() >= until);
    this.compactLeft -= slab.work;
    if (this.compactLeft > 0 && slab.work > 0) this.compactNext = clock.defer(this.compactSlice);
  };
  /** What is left of the tick's compaction budget (bytes). */
  private compactLeft = 0;
  /** The next compaction slice, when one is due. */
  private compactNext: unknown = null;

  /**
   * Redis's active rehashing (activerehashing yes): drains the table's resize, 1024
   * slots at a time, until it is done or `ms` have passed on `now` (ms). True if there
   * was resize work to do. A table resized by writes is otherwise drained by the writes
   * (8 slots each) and by maintain()'s 256 slots a cron tick: 2,560 slots a second at
   * hz 10, so after a burst of inserts a 1M-key table kept its old array (12.6 MB) and
   * looked keys up in both for minutes.
   */
  rehashFor(ms: number, now: () => number): boolean {
    const table = this.table;
    if (!table.rehashing) return false;
    const start = now();
    while (table.rehashStep(1024) && now() - start < ms);
    return true;
  }

  /** Bytes of the live records: payload plus an 8-byte header and padding each (on average). */
  private recordBytes(): number {
    return this.slab.liveBytes + 8 * this.slab.recordCount;
  }

  /** Stops the wheels' timers (the store is dropped or the server closes). */
  close(): void {
    this.wheel.close();
    this.fieldWheel?.close();
    if (this.compactNext !== null) this.clock.clearTimer(this.compactNext);
    this.compactNext = null;
  }

  /**
   * Where the value starts in a record's payload (after [LEB128 key length][key]); also
   * sets keyAt, where the key starts (a field, so that no call returns two numbers).
   */
  private valueStart(ref: number): number {
    const slab = this.slab;
    const bytes = slab.bytesOf(ref);
    const p = slab.offsetOf(ref);
    const length = bytes[p]!;
    if (length < 0x80) {
      this.keyAt = 1;
      return 1 + length;
    }
    const keyLength = recordKeyLength(bytes, p);
    this.keyAt = lebLength(keyLength);
    return this.keyAt + keyLength;
  }

  private writeRecord(id: number, key: string, value: string): number {
    const slab = this.slab;
    const keyLength = key.length;
    const header = lebLength(keyLength);
    const ref = this.allocRecord(id, keyLength, value.length);
    if (keyLength > 0) slab.writeString(ref, header, key);
    if (value.length > 0) slab.writeString(ref, header + keyLength, value);
    return ref;
  }

  /**
   * A record for id with room for a key and a value of these lengths, its header (the
   * key's length, LEB128) written; key and value are the caller's to write. Returns its ref.
   */
  private allocRecord(id: number, keyLength: number, valueLength: number): number {
    const slab = this.slab;
    const ref = slab.alloc(lebLength(keyLength) + keyLength + valueLength, id);
    const bytes = slab.bytesOf(ref);
    let p = slab.offsetOf(ref);
    let n = keyLength;
    while (n >= 0x80) {
      bytes[p++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    bytes[p] = n;
    return ref;
  }

  private allocateId(): number {
    const free = this.freeHead;
    if (free >= 0) {
      this.freeHead = this.refOf(free);
      return free;
    }
    const id = this.nextId++;
    const capacity = this.deadline.length >> 1;
    if (id >= capacity) this.grow(id + 1);
    else this.columns.given(id, capacity);
    // An id never used before: its links are set here, not when the columns grow (grow()
    // writes only what it copies: ColumnBuffer); its row by enter(), which every caller
    // reaches before anything reads the id.
    this.prev[id] = UNSCHEDULED;
    this.next[id] = UNSCHEDULED;
    return id;
  }

  /** Grows every column to hold at least n ids (doubling), into the buffer made ahead if it is the size needed. */
  private grow(n: number): void {
    const had = this.deadline.length >> 1;
    let capacity = had;
    while (capacity < n) capacity *= 2;
    // Rows are addressed as 4 id + k in an Int32Array: ids stay below 2^29.
    if (capacity > MAX_IDS) throw new RangeError(`KeyStore: more than ${MAX_IDS} keys in one database`);
    const columns = this.columns;
    const buffer = columns.take(capacity);
    // Copied as integers: the rows hold refs and stamps as well as deadlines. Ids from
    // `had` on are set as they are given out (allocateId).
    const cells = new Int32Array(buffer, 0, capacity * 4);
    cells.set(this.cells);
    const prev = new Int32Array(buffer, columns.offset(capacity, 1), capacity);
    prev.set(this.prev);
    const next = new Int32Array(buffer, columns.offset(capacity, 2), capacity);
    next.set(this.next);
    this.cells = cells;
    this.deadline = new Float64Array(buffer, 0, capacity * 2);
    this.prev = prev;
    this.next = next;
  }

  /**
   * Bytes the keys take outside the V8 heap: the columns (and their next buffer, once
   * made ahead: ColumnBuffer), the table and the live records (payload plus an 8-byte header and padding each). Space freed in slab
   * segments and not yet compacted away is not counted, as Redis's used_memory does not
   * count its allocator's fragmentation (see slabBytes for that).
   */
  get heldBytes(): number {
    return (this.deadline.length >> 1) * this.columns.bytesPerId + this.columns.aheadBytes + this.table.bytes + this.recordBytes();
  }

  /** ArrayBuffer bytes the slab holds: arenas (regions in use or not) and large records. */
  get slabBytes(): number {
    return this.slab.bufferBytes;
  }

  /** Creates the field wheel, with the first hash field TTL; `fire` gets a FieldTimer's id. */
  createFieldWheel(fire: (id: number) => void, activeExpire: boolean): void {
    const ids = (this.fieldIds = new TimerIds<FieldTimer>());
    this.fieldWheel = new TimerWheel(this.clock, fire, ids, this.wheelOptions);
    if (!activeExpire) this.fieldWheel.pause();
  }
}

/** The key's length in a record's payload starting at bytes[p] ([LEB128 key length][key][value]). */
export function recordKeyLength(bytes: Uint8Array, p: number): number {
  let length = 0;
  let shift = 0;
  let b: number;
  do {
    b = bytes[p++]!;
    length += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b >= 0x80);
  return length;
}

/** Bytes of the LEB128 form of n. */
export function lebLength(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    bytes++;
  }
  return bytes;
}
