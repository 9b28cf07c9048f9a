/**
 * KeyTable: a hash index from keys to entry ids over typed arrays, off the V8 heap's
 * object graph: no per-key object, nothing for the scavenger to copy, and a miss costs
 * one or two cache lines.
 *
 * Layout: one interleaved Int32Array of 2 * capacity words, slot i at [2i, 2i+1] =
 * [hash | 0, id + 1]; or, made with `aux`, 3 * capacity words, [hash | 0, id + 1, aux],
 * the aux word the owner's, moving with the entry (KeyStore keeps the key's record ref
 * there: a lookup then reads the record straight from the slot while the id's row
 * loads, where it waited for the row before; server CPU per GET over 100k keys -10%,
 * per SET and INCR -5..-7%, for 4 more bytes a slot). The word id + 1 is 0 for an
 * empty slot (so a fresh array needs no fill) and -1 for a tombstone (only in the table
 * being drained, below). Interleaving
 * puts a slot's hash and id on the same cache line, one array to allocate and drain.
 * Measured against two columns (bench/micro/key-table.ts, same probing code, 1M keys,
 * capacity 2^21, shuffled lookups, min of 7 rounds, two runs): misses 78-81 ns
 * interleaved vs 91-104 ns for two columns; hits equal within noise, where the matcher's string
 * compare (two dependent cache misses) dominates. 8 bytes a slot: 16.8 bytes per key at
 * 1M keys (load 0.48), 25.2 at the peak of a resize (with aux: 25.2 and 37.7); a
 * Map<string, number> holds 29 bytes per key of V8 heap for the same index.
 *
 * The table never sees keys. find() compares the stored 32-bit hash first and calls the
 * matcher (given once at construction, so the call site stays monomorphic) only when
 * the hashes are equal. Ids are integers in [0, 2^31 - 2].
 *
 * Probing: linear, power-of-two capacity, load kept at or under 3/4. Measured
 * (bench/micro/key-table.ts, 37-byte session keys): at load 0.48 (1M keys) a hit reads
 * 1.45 slots on average and a miss 2.3; at load 0.75, 2.5 and 8.5, i.e. one or two
 * 64-byte lines (8 slots a line). Robin Hood was not tried: it could only shorten
 * misses near 3/4 load, at the price of swaps on insert. Deletion by backward shift, no
 * tombstones: a run never holds dead slots, so a miss stops at the first empty slot
 * however many deletions happened, and no periodic cleanup is needed.
 * Invariant (both tables): an entry sits in the probe run that starts at its home bucket
 * (hash & mask), with no empty slot between its home and its slot.
 *
 * Incremental resize (Redis's incremental rehash, adapted to open addressing): to grow
 * or shrink, a new array is allocated and becomes the table inserts go to; the old one
 * is drained from slot 0 upwards, MIGRATE_PER_OP slots per insert/remove and `buckets`
 * slots per rehashStep() (the server's cron). A drained or removed slot of the old
 * table becomes a tombstone, never empty: the old table receives no inserts, so its
 * runs keep their shape and a lookup that walks through drained slots still reaches the
 * entries behind them. find/remove/replace/scan/randomId consult both tables; an entry
 * is in exactly one of them at any time. No operation other than reserve() (explicit,
 * for loading) and clear() does more than a bounded amount of work.
 *
 * Sizing: a resize to capacity C is chosen so that C * 3/4 >= size + (slots left to
 * drain) / MIGRATE_PER_OP + 1, so the new table cannot pass 3/4 load before the drain
 * ends, whatever the inserts in between: no resize ever has to start while another runs
 * (a fallback that finishes the drain at once exists but is unreachable by that bound).
 * Grow when size would pass 3/4 of the capacity (to 2x); shrink when size < capacity/8
 * (checked on remove and in rehashStep; by 2x to 4x a time, the margin above limiting
 * it, so a cron with no writes chains the shrinks), never below MIN_CAPACITY. When the
 * last key goes, both arrays are dropped at once (nothing to drain). A table given
 * FreshArrays asks it for a new array of 2 MiB or more and starts the resize when the
 * array arrives (its pages faulted in off this thread): meanwhile a due grow lets the
 * load pass 3/4, up to 13/16, where it resizes at once with an array of its own.
 *
 * SCAN positions. The position of an entry is the bit-reversal of its hash, a 32-bit
 * unsigned number that never changes while the entry exists, however the table grows,
 * shrinks or drains. With capacity 2^k the entries whose home bucket is b are exactly
 * those whose position has reverse_k(b) as its top k bits: a home bucket is a position
 * range of 2^(32-k). scan(cursor) visits, in increasing position ranges, all entries
 * (of both tables) with position >= cursor in the ranges it covers, and returns the end
 * of the last range (0 after the last). So a full iteration (cursor 0 to 0) returns
 * every entry present throughout exactly once, never one twice, and entries with equal
 * hashes in the same call, whatever inserts, removes and resizes happen BETWEEN calls.
 *
 * Snapshot walker contract: a walk driven by scan() has written every entry whose
 * position is < the cursor it holds and none whose position is >= it. Before an entry
 * changes or is removed, the owner compares KeyTable.positionOf(hash) with the walk's
 * cursor: >= cursor means "not written yet, write it first". An entry inserted during
 * the walk at a position >= cursor will be visited by the walk (the owner must tell it
 * apart, e.g. by a creation stamp); one inserted below the cursor never is.
 *
 * Not safe: changing the table (insert/remove/replace/clear/reserve/rehashStep) from
 * inside scan()'s visit callback. Collect the ids and act after scan returns.
 */

/**
 * Does entry `id` hold `key`? Called by find() only for slots whose hash equals the key's.
 * `aux` is the slot's aux word in a table made with one (else meaningless).
 */
export interface KeyMatcher<K> {
  matches(id: number, key: K, aux: number): boolean;
  /** Does entry `id` hold the key whose bytes are bytes[start, end)? Needed by findBytes() only. */
  matchesBytes?(id: number, bytes: Uint8Array, start: number, end: number, aux: number): boolean;
}

/** Smallest capacity (slots); the table never shrinks below it. */
export const MIN_CAPACITY = 16;
/** Largest capacity: 2^30 slots = 8 GiB of array. */
const MAX_CAPACITY = 2 ** 30;
/** Old-table slots drained per insert and per remove while a resize runs. */
export const MIGRATE_PER_OP = 8;

const EMPTY = 0;
const TOMBSTONE = -1;
const TWO_32 = 4294967296;

/** Bit-reversal of a 32-bit value, unsigned. */
function reverse32(x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
  return ((x >>> 16) | (x << 16)) >>> 0;
}

/** log2 of a power of two. */
function log2(capacity: number): number {
  return 31 - Math.clz32(capacity);
}

/** The smallest power-of-two capacity >= MIN_CAPACITY whose 3/4 holds n entries. */
function capacityFor(n: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity * 3 < n * 4) capacity *= 2;
  if (capacity > MAX_CAPACITY) throw new RangeError(`KeyTable: ${n} keys exceed the largest table`);
  return capacity;
}

/**
 * Where a table gets a resize's new array with its pages already in memory (FreshMemory):
 * `ready` gets a zeroed buffer of `bytes`, or null, on a later turn; false: not available.
 */
export interface FreshArrays {
  request(bytes: number, ready: (buffer: ArrayBuffer | null) => void): boolean;
}

/** A resize's new array from this size is asked of FreshArrays (smaller ones fault in a few pages). */
const FRESH_MIN_BYTES = 2 << 20;

/** Where a table's arrays come from, when its owner counts them (a hash's table: BufferCount). */
export interface Int32Allocator {
  int32(length: number): Int32Array;
  /** Told of an array it gave that its owner dropped: garbage until V8 collects it. */
  release?(bytes: number): void;
}

export class KeyTable<K> {
  private readonly matcher: KeyMatcher<K>;
  /**
   * Words per slot: 2 ([hash, id + 1]), or 3 with an aux word the owner keeps for each
   * entry ([hash, id + 1, aux]; KeyStore: the ref of the key's record, so that a lookup
   * reaches the record from the slot while the id's row loads, instead of after it).
   */
  private readonly width: number;
  /** The table inserts go to: `width` words per slot. */
  private slots: Int32Array;
  private mask: number;
  /** log2(capacity of slots). */
  private bits: number;
  /** The table being drained, or null when no resize runs. Holds tombstones, never receives inserts. */
  private old: Int32Array | null = null;
  private oldMask = 0;
  private oldBits = 0;
  /** Slots of `old` below this index are drained (tombstones or empty). */
  private drained = 0;
  /** Entries in both tables. */
  private count = 0;
  /** Capacity reserve() asked for: no shrink below it until the next remove or clear. */
  private reserved = 0;
  /** An array has been asked of `fresh` for a due resize (its capacity travels with the answer). */
  private awaiting = false;
  /** Tells a request's answer from a cancelled one's. */
  private awaitToken = 0;

  constructor(
    matcher: KeyMatcher<K>,
    initialCapacity = MIN_CAPACITY,
    aux = false,
    /** Where its arrays come from (null: plain Int32Arrays); read by an owner's copy, to allocate as it does. */
    readonly allocator: Int32Allocator | null = null,
    /**
     * Where a resize of its own arrays (no allocator) from FRESH_MIN_BYTES gets them, its
     * pages already in memory; the resize starts when the array arrives, the table
     * meanwhile staying as it is (an insert past 13/16 load resizes at once).
     */
    private readonly fresh: FreshArrays | null = null,
  ) {
    this.matcher = matcher;
    this.width = aux ? 3 : 2;
    const capacity = capacityFor(Math.floor((initialCapacity * 3) / 4));
    this.slots = this.newSlots(capacity * this.width);
    this.mask = capacity - 1;
    this.bits = log2(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Slots of the table inserts go to (the target of a running resize). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Whether a resize is draining an old table. */
  get rehashing(): boolean {
    return this.old !== null;
  }

  /** Old-table slots not drained yet (0 when no resize runs): the pending incremental work. */
  get pendingRehash(): number {
    return this.old === null ? 0 : this.oldMask + 1 - this.drained;
  }

  /**
   * Bytes held by the typed arrays (both while a resize runs). From their lengths: V8
   * (node 20) calls a builtin for a typed array's byteLength (~11 ns), inlines length.
   */
  get bytes(): number {
    return 4 * (this.slots.length + (this.old === null ? 0 : this.old.length));
  }

  /** Scan position of a hash: its bit-reversal, unsigned. Never changes for an entry. */
  static positionOf(hash: number): number {
    return reverse32(hash);
  }

  /** The entry id stored for key (whose hash is `hash`), or -1. Reads only; does no rehash work. */
  find(hash: number, key: K): number {
    const h = hash | 0;
    const id = this.findIn(this.slots, this.mask, h, key);
    if (id >= 0 || this.old === null) return id;
    return this.findIn(this.old, this.oldMask, h, key);
  }

  /** find() for a key given as bytes[start, end) (an RDB load: no string is made of it). */
  findBytes(hash: number, bytes: Uint8Array, start: number, end: number): number {
    const h = hash | 0;
    const id = this.findBytesIn(this.slots, this.mask, h, bytes, start, end);
    if (id >= 0 || this.old === null) return id;
    return this.findBytesIn(this.old, this.oldMask, h, bytes, start, end);
  }

  // The matcher gets the slot's last word as aux: the aux word with width 3, else the id
  // word (meaningless to it), so that no branch on the width is taken per probe.
  private findBytesIn(slots: Int32Array, mask: number, h: number, bytes: Uint8Array, start: number, end: number): number {
    const matcher = this.matcher;
    const w = this.width;
    let i = h & mask;
    for (;;) {
      const at = w * i;
      const word = slots[at + 1]!;
      if (word === EMPTY) return -1;
      if (slots[at] === h && word > 0 && matcher.matchesBytes!(word - 1, bytes, start, end, slots[at + w - 1]!)) return word - 1;
      i = (i + 1) & mask;
    }
  }

  private findIn(slots: Int32Array, mask: number, h: number, key: K): number {
    const w = this.width;
    let i = h & mask;
    for (;;) {
      const at = w * i;
      const word = slots[at + 1]!;
      if (word === EMPTY) return -1;
      if (slots[at] === h && word > 0 && this.matcher.matches(word - 1, key, slots[at + w - 1]!)) return word - 1;
      i = (i + 1) & mask;
    }
  }

  /** Adds id under hash (with its aux word, in a table that has one); the caller guarantees the key is not present. */
  insert(hash: number, id: number, aux = 0): void {
    if (this.old !== null) {
      this.drain(MIGRATE_PER_OP);
      // Unreachable by the sizing bound (class comment); kept so the table can never fill.
      if (this.old !== null && (this.count + 1) * 4 > (this.mask + 1) * 3) this.drain(Infinity);
    }
    if (this.old === null && (this.count + 1) * 4 > (this.mask + 1) * 3) this.startResize(this.count + 1, (this.count + 1) * 16 > (this.mask + 1) * 13);
    this.place(this.slots, this.mask, hash | 0, id + 1, aux);
    this.count++;
  }

  /** Puts [h, word, aux] in the first empty slot of h's run. */
  private place(slots: Int32Array, mask: number, h: number, word: number, aux: number): void {
    const w = this.width;
    let i = h & mask;
    while (slots[w * i + 1] !== EMPTY) i = (i + 1) & mask;
    slots[w * i] = h;
    slots[w * i + 1] = word;
    if (w === 3) slots[w * i + 2] = aux;
  }

  /** Sets the aux word of the slot holding id (stored under hash); false if absent. */
  setAux(hash: number, id: number, aux: number): boolean {
    return this.setWord(hash | 0, id + 1, 2, aux);
  }

  /** Sets word `at` (1: the id word, 2: aux) of the slot holding [h, word], in whichever table has it; false if none. */
  private setWord(h: number, word: number, at: number, value: number): boolean {
    let i = this.slotOf(this.slots, this.mask, h, word);
    if (i >= 0) {
      this.slots[this.width * i + at] = value;
      return true;
    }
    if (this.old === null) return false;
    i = this.slotOf(this.old, this.oldMask, h, word);
    if (i < 0) return false;
    this.old[this.width * i + at] = value;
    return true;
  }

  /** Removes the slot holding id (stored under hash); false if absent. Does bounded rehash work. */
  remove(hash: number, id: number): boolean {
    const h = hash | 0;
    const word = id + 1;
    let removed = false;
    let i = this.slotOf(this.slots, this.mask, h, word);
    if (i >= 0) {
      this.shiftBack(i);
      removed = true;
    } else if (this.old !== null) {
      i = this.slotOf(this.old, this.oldMask, h, word);
      if (i >= 0) {
        this.old[this.width * i + 1] = TOMBSTONE;
        removed = true;
      }
    }
    if (!removed) return false;
    this.count--;
    this.reserved = 0;
    // The last key gone: drop both arrays now (nothing to drain), so memory comes back at once.
    if (this.count === 0 && (this.old !== null || this.mask + 1 > MIN_CAPACITY)) this.clear();
    else if (this.old !== null) this.drain(MIGRATE_PER_OP);
    else if (this.shouldShrink()) this.startResize(this.count);
    return true;
  }

  /** The slot of [h, word] in a table, or -1. */
  private slotOf(slots: Int32Array, mask: number, h: number, word: number): number {
    const width = this.width;
    let i = h & mask;
    for (;;) {
      const w = slots[width * i + 1]!;
      if (w === EMPTY) return -1;
      if (w === word && slots[width * i] === h) return i;
      i = (i + 1) & mask;
    }
  }

  /** Backward-shift deletion of slot i of the insert table: later members of the run move up when their home allows. */
  private shiftBack(i: number): void {
    const slots = this.slots;
    const mask = this.mask;
    const w = this.width;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const word = slots[w * j + 1]!;
      if (word === EMPTY) break;
      const h = slots[w * j]!;
      // The entry at j may fill the hole at i unless its home lies in the cyclic range (i, j].
      if (((j - (h & mask)) & mask) >= ((j - i) & mask)) {
        slots[w * i] = h;
        slots[w * i + 1] = word;
        if (w === 3) slots[w * i + 2] = slots[w * j + 2]!;
        i = j;
      }
    }
    slots[w * i] = 0;
    slots[w * i + 1] = EMPTY;
    if (w === 3) slots[w * i + 2] = 0;
  }

  /** Replaces the id stored for an entry (same hash) with another; false if oldId is absent. */
  replace(hash: number, oldId: number, newId: number): boolean {
    return this.setWord(hash | 0, oldId + 1, 1, newId + 1);
  }

  /**
   * Visits the ids of entries with position >= cursor, whole home buckets at a time in
   * increasing position order, until at least `count` ids were visited or 10 * count
   * buckets examined; returns the position after the last range covered, 0 when the
   * iteration is complete (cursor 0 also starts one). See the class comment for the
   * guarantee. The callback must not change the table.
   */
  scan(cursor: number, count: number, visit: (id: number) => void): number {
    let position = cursor >>> 0;
    const maxExamined = Math.max(count, 1) * 10;
    let visited = 0;
    let examined = 0;
    for (;;) {
      // A range is one home bucket of the coarser table; it spans whole buckets of the finer one.
      const coarseBits = this.old !== null && this.oldBits < this.bits ? this.oldBits : this.bits;
      const span = 2 ** (32 - coarseBits);
      const end = (Math.floor(position / span) + 1) * span;
      visited += this.visitRange(this.slots, this.mask, this.bits, position, end, visit);
      examined += 2 ** (this.bits - coarseBits);
      if (this.old !== null) {
        visited += this.visitRange(this.old, this.oldMask, this.oldBits, position, end, visit);
        examined += 2 ** (this.oldBits - coarseBits);
      }
      if (end >= TWO_32) return 0;
      position = end;
      if (visited >= count || examined >= maxExamined) return position;
    }
  }

  /** Visits a table's entries with position in [low, high), high on a bucket boundary of this table. Returns how many. */
  private visitRange(slots: Int32Array, mask: number, bits: number, low: number, high: number, visit: (id: number) => void): number {
    const span = 2 ** (32 - bits);
    const w = this.width;
    let visited = 0;
    for (let position = Math.floor(low / span) * span; position < high; position += span) {
      const home = reverse32(position) & mask;
      let i = home;
      for (;;) {
        const word = slots[w * i + 1]!;
        if (word === EMPTY) break;
        const h = slots[w * i]!;
        if (word > 0 && (h & mask) === home && reverse32(h) >= low) {
          visit(word - 1);
          visited++;
        }
        i = (i + 1) & mask;
      }
    }
    return visited;
  }

  /**
   * A stored id chosen from a slot drawn with `random` (in [0, 1)), walking forward to the
   * next live slot; -1 when empty. Uniform over slots, so ids after longer gaps are
   * likelier (as Redis's bucket-then-chain draw); the walk is short at load >= 1/8,
   * longer only transiently while a shrink drains a sparse table.
   */
  randomId(random: number): number {
    if (this.count === 0) return -1;
    const capacity = this.mask + 1;
    const oldLeft = this.old === null ? 0 : this.oldMask + 1 - this.drained;
    const total = capacity + oldLeft;
    let n = Math.floor(random * total);
    if (n >= total || n < 0) n = 0;
    for (let step = 0; step < total; step++) {
      const word = n < capacity ? this.slots[this.width * n + 1]! : this.old![this.width * (this.drained + n - capacity) + 1]!;
      if (word > 0) return word - 1;
      n = n + 1 === total ? 0 : n + 1;
    }
    return -1;
  }

  /** Removes everything; capacity goes back to MIN_CAPACITY (the arrays are dropped, their memory returns). */
  clear(): void {
    this.cancelFresh();
    this.allocator?.release?.(this.bytes);
    this.old = null;
    this.drained = 0;
    this.count = 0;
    this.reserved = 0;
    this.setTable(MIN_CAPACITY);
  }

  /**
   * Makes room for n keys up front (RDB load after RESIZEDB). On an empty table the
   * arrays are replaced at once; otherwise a running resize is finished now (O(capacity),
   * acceptable where loading calls it) and an incremental one to the larger size starts.
   * The reservation holds until the next remove() or clear(): the cron's shrink check
   * (rehashStep) leaves a reserved table alone while a load fills it.
   */
  reserve(n: number): void {
    this.reserved = capacityFor(n);
    if (this.reserved <= this.mask + 1) return;
    if (this.old !== null && this.count !== 0) this.drain(Infinity);
    this.startResize(n, true);
  }

  /** Drains up to `buckets` old slots, and starts a due shrink; true if resize work remains. */
  rehashStep(buckets: number): boolean {
    if (this.old === null && this.shouldShrink()) this.startResize(this.count);
    if (this.old !== null) this.drain(buckets);
    return this.old !== null || (!this.awaiting && this.shouldShrink());
  }

  private shouldShrink(): boolean {
    return this.mask + 1 > MIN_CAPACITY && this.mask + 1 > this.reserved && this.count * 8 < this.mask + 1;
  }

  /**
   * Starts draining the current table into one sized for `n` entries plus the inserts
   * that can happen before the drain ends (class comment). No resize must be running.
   * With `fresh`, a large array is asked for and the resize starts when it arrives
   * (freshArrived) unless `now`.
   */
  private startResize(n: number, now = false): void {
    if (this.awaiting && !now) return;
    if (this.count === 0) {
      // Nothing to drain, so no margin for inserts during a drain: straight to the size n needs.
      this.cancelFresh();
      this.allocator?.release?.(this.bytes);
      this.old = null;
      this.drained = 0;
      this.setTable(capacityFor(n));
      return;
    }
    const current = this.mask + 1;
    const capacity = capacityFor(n + Math.ceil(current / MIGRATE_PER_OP) + 1);
    if (capacity === current) return;
    const bytes = 4 * capacity * this.width;
    if (!now && this.fresh !== null && this.allocator === null && bytes >= FRESH_MIN_BYTES) {
      const token = ++this.awaitToken;
      if (this.fresh.request(bytes, (buffer) => this.freshArrived(token, capacity, buffer))) {
        this.awaiting = true;
        return;
      }
    }
    this.cancelFresh();
    this.begin(capacity, this.newSlots(capacity * this.width));
  }

  /**
   * The array asked for a resize has come (null: none will). The resize starts if it is
   * still due and the array still large enough for the margin (class comment); a late
   * or unsuitable array is dropped, and the next insert or remove that finds a resize
   * due asks again.
   */
  private freshArrived(token: number, capacity: number, buffer: ArrayBuffer | null): void {
    if (token !== this.awaitToken) return;
    this.awaiting = false;
    if (buffer === null || this.old !== null) return;
    const current = this.mask + 1;
    const due = capacity > current ? (this.count + 1) * 4 > current * 3 : capacity < current && this.shouldShrink();
    if (!due || capacity < capacityFor(this.count + Math.ceil(current / MIGRATE_PER_OP) + 1)) return;
    this.begin(capacity, new Int32Array(buffer));
  }

  /** Forgets an array asked for: if it comes, it is dropped. */
  private cancelFresh(): void {
    this.awaiting = false;
    this.awaitToken++;
  }

  /** Starts draining the insert table into `slots`, an empty array of `capacity` slots. */
  private begin(capacity: number, slots: Int32Array): void {
    this.old = this.slots;
    this.oldMask = this.mask;
    this.oldBits = this.bits;
    this.drained = 0;
    this.slots = slots;
    this.mask = capacity - 1;
    this.bits = log2(capacity);
  }

  /** Makes a fresh empty array of `capacity` slots the insert table. */
  private setTable(capacity: number): void {
    this.slots = this.newSlots(capacity * this.width);
    this.mask = capacity - 1;
    this.bits = log2(capacity);
  }

  private newSlots(length: number): Int32Array {
    return this.allocator === null ? new Int32Array(length) : this.allocator.int32(length);
  }

  /** Moves the live entries of up to `buckets` old slots into the insert table; drops the old table at the end. */
  private drain(buckets: number): void {
    const old = this.old!;
    const end = Math.min(this.oldMask + 1, this.drained + buckets);
    const slots = this.slots;
    const mask = this.mask;
    const w = this.width;
    for (let i = this.drained; i < end; i++) {
      const word = old[w * i + 1]!;
      if (word > 0) {
        this.place(slots, mask, old[w * i]!, word, w === 3 ? old[w * i + 2]! : 0);
        old[w * i + 1] = TOMBSTONE;
      }
    }
    this.drained = end;
    if (end === this.oldMask + 1) {
      this.allocator?.release?.(old.byteLength);
      this.old = null;
      this.drained = 0;
    }
  }
}
