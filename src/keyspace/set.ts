import type { ValueObject } from './values.js';
import { ARRAY_BYTES, grownCapacity, stringBytes, trimmedCapacity } from './memory-cost.js';
import { parseI64 } from '../util/numbers.js';
import { FieldTable, type ArenaAllocator } from './field-table.js';

/**
 * A server's settings for the sets it holds: Redis's set-max-intset-entries, set from
 * that server's configuration. One per keyspace (two servers in one process keep their
 * own); a set does not keep a reference to it, the commands pass it to add().
 */
export interface SetEncoding {
  maxIntsetEntries: number;
  /**
   * Where the server's large sets get their arenas and index arrays, so that its memory
   * figures count them (its keyspace's BufferCount, shared with its hashes and sorted
   * sets); null outside a server.
   */
  readonly arrays: ArenaAllocator | null;
}

/** Redis 7.0's built-in limit, for sets built outside any server. Frozen: a constant. */
export const REDIS_SET_ENCODING: Readonly<SetEncoding> = Object.freeze({ maxIntsetEntries: 512, arrays: null });

/** A server's SetEncoding, at Redis's default until its configuration is applied. */
export function newSetEncoding(arrays: ArenaAllocator | null): SetEncoding {
  return { maxIntsetEntries: REDIS_SET_ENCODING.maxIntsetEntries, arrays };
}

/** t_set.c setTypeAdd: the intset limit is capped at 2^30 entries "due to intset internals". */
const INTSET_HARD_LIMIT = 1 << 30;

/** Tombstones of the table form are squeezed out once there are more than this and more than live members. */
const MIN_HOLES_TO_COMPACT = 64;
/**
 * A hashtable set keeps its members in a FieldTable once its slots pass this; below
 * it, a lookup is Array.prototype.indexOf over at most this many strings, and the set
 * saves the table's arena, arrays and objects (~750 bytes; a Map of 5 members took ~280).
 */
const INDEX_FROM = 32;
/** `members` of a set whose members are in its FieldTable. */
const NO_MEMBERS = Object.freeze([]) as unknown as (string | null)[];

/**
 * Whether a member is what Redis keeps in an intset: the canonical text of an int64
 * (string2ll: no sign but '-', no leading zero, no "-0", no spaces).
 */
export function isIntsetMember(member: string): boolean {
  const c = member.charCodeAt(0);
  if (c !== 0x2d && (c < 0x30 || c > 0x39)) return false;
  return parseI64(member) !== undefined;
}

/**
 * Orders two canonical int64 texts by their numeric value, exactly (no conversion to
 * double, which would merge neighbours beyond 2^53): sign, then length, then digits.
 */
export function compareIntTexts(a: string, b: string): number {
  const na = a.charCodeAt(0) === 0x2d;
  const nb = b.charCodeAt(0) === 0x2d;
  if (na !== nb) return na ? -1 : 1;
  let r: number;
  if (a.length !== b.length) r = a.length < b.length ? -1 : 1;
  else r = a < b ? -1 : a > b ? 1 : 0;
  return na ? -r : r;
}

/**
 * A set of latin1 strings, in Redis 7.0's two encodings:
 *
 * - intset (OBJECT ENCODING "intset"): while every member is the canonical text of an
 *   int64 and there are at most set-max-intset-entries of them. `members` holds them
 *   sorted by numeric value, as Redis's intset does, so SMEMBERS, SSCAN and the RDB
 *   intset blob come out in Redis's order; lookups are binary searches and an insertion
 *   moves the tail, as intsetAdd's memmove does. Members are kept as their texts (what
 *   every reply sends) rather than numbers: an int64 beyond 2^53 is not a double.
 * - hashtable: past those limits, for good (Redis never converts back). Up to
 *   INDEX_FROM slots, `members` with no index: a removal leaves a tombstone (null) so
 *   slots stay put, squeezed out when they outnumber live members. Past it, `big`: the
 *   members as bytes in a FieldTable's arena (empty values), indexed by the keyspace's
 *   KeyTable with each record's offset in its slot, and `members` is empty. A lookup
 *   there reads the index slot, then the record: with the members as V8 strings in an
 *   array it read the slot, the array's element, then the string's header, and SADD of
 *   existing members into a 100k-member set spent a third of the server's samples
 *   waiting on those three loads. Stable positions (slots, pair numbers) are what
 *   SSCAN's cursor and an O(1) fair random pick (SPOP, SRANDMEMBER) need; a JS Set has
 *   neither positions nor random access.
 *
 * Memory: see estimatedBytes and bench/micro/set-memory.ts.
 */
export class SetValue implements ValueObject {
  /** intset: sorted members; hashtable: members by slot, null for a removed one. */
  private members: (string | null)[] = [];
  /** Whether the set is in the hashtable form. */
  private table = false;
  /** The members of a hashtable set past INDEX_FROM slots (then `members` is empty); else null. */
  private big: FieldTable | null = null;
  /** Live members in the small hashtable form (the intset's are members.length). */
  private live = 0;
  /** stringBytes of every member, kept up to date so estimatedBytes is O(1). */
  private stringsBytes = 0;
  /** The slots V8 has given `members` (memory-cost.ts's model of its growth and trimming). */
  private capacity = 0;

  /** On the prototype: one slot less per set. */
  get type(): 'set' {
    return 'set';
  }

  get size(): number {
    return this.big !== null ? this.big.size : this.table ? this.live : this.members.length;
  }

  /** True while the set is an intset. */
  get isIntset(): boolean {
    return !this.table;
  }

  /** The name Redis's OBJECT ENCODING reports for the same set. */
  encoding(): string {
    return this.table ? 'hashtable' : 'intset';
  }

  /**
   * What the set costs, estimated in O(1) (memory-cost.ts): this object (72 bytes: six fields), its
   * array (48 + 8 per slot V8 has given it, spare ones included) and its strings, or
   * its FieldTable (arena, arrays and objects, counted exactly).
   * test/unit/collection-memory.test.ts holds MEMORY USAGE to the heap plus the counted
   * arrays within 15%.
   */
  get estimatedBytes(): number {
    let n = 72 + ARRAY_BYTES + 8 * this.capacity + this.stringsBytes;
    if (this.big !== null) n += this.big.bytesUsed;
    return n;
  }

  /**
   * An intset's members in numeric order, for iteration without allocation (the RDB
   * intset blob). Read-only; empty for a large set (see slotCount).
   */
  get slots(): readonly (string | null)[] {
    return this.members;
  }

  /**
   * One past the last position in use: memberAt takes positions below it (slots, or a
   * large set's pair numbers), some of them empty (removed members).
   */
  get slotCount(): number {
    return this.big !== null ? this.big.pairCount : this.members.length;
  }

  /** The member at a position below slotCount, or null (removed). */
  memberAt(slot: number): string | null {
    return this.big !== null ? this.big.fieldAt(slot) : this.members[slot]!;
  }

  /**
   * Where the member at a live position starts in arenaBytes(slot), or -1 when it is a
   * string only (a small set): a reply copies the bytes, no string made.
   */
  memberStartAt(slot: number): number {
    return this.big !== null && this.big.isLive(slot) ? this.big.fieldStartAt(slot) : -1;
  }

  /** The length of the member at a live position whose memberStartAt is not -1. */
  memberLengthAt(slot: number): number {
    return this.big!.fieldLengthAt(slot);
  }

  /** The arena chunk holding a large set's member at a live position (memberStartAt's offset is into it); valid until the set changes. */
  arenaBytes(slot: number): Buffer {
    return this.big!.arenaOf(slot);
  }

  /** A DataView over arenaBytes(slot), for copies in words; valid until the set changes. */
  arenaView(slot: number): DataView {
    return this.big!.arenaViewOf(slot);
  }

  /** Calls fn for every member, in the set's order. */
  forEach(fn: (member: string) => void): void {
    if (this.big !== null) {
      this.big.forEachField(fn);
      return;
    }
    const members = this.members;
    for (let i = 0; i < members.length; i++) {
      const m = members[i];
      if (m !== null) fn(m!);
    }
  }

  /** The members, in the set's order. */
  toArray(): string[] {
    if (!this.table) return this.members.slice() as string[];
    const out: string[] = [];
    this.forEach((m) => out.push(m));
    return out;
  }

  has(member: string): boolean {
    if (this.big !== null) return this.big.find(member) >= 0;
    if (this.table) return this.members.indexOf(member) >= 0;
    return isIntsetMember(member) && this.search(member) >= 0;
  }

  /**
   * Adds member; true if it is new. An intset becomes a hashtable when the member is not
   * an integer or the set grows past set-max-intset-entries (capped at 2^30), as Redis's
   * setTypeAdd does.
   */
  add(member: string, encoding: Readonly<SetEncoding> = REDIS_SET_ENCODING): boolean {
    if (this.big !== null) return this.big.add(member);
    if (this.table) {
      const members = this.members;
      if (members.indexOf(member) >= 0) return false;
      members.push(member);
      this.live++;
      this.capacity = grownCapacity(this.capacity, members.length);
      this.stringsBytes += stringBytes(member.length);
      if (members.length > INDEX_FROM) this.makeBig(encoding.arrays);
      return true;
    }
    if (!isIntsetMember(member)) {
      this.convert(encoding.arrays);
      return this.add(member, encoding);
    }
    const at = this.search(member);
    if (at >= 0) return false;
    this.members.splice(-at - 1, 0, member);
    this.capacity = grownCapacity(this.capacity, this.members.length);
    this.stringsBytes += stringBytes(member.length);
    const max = Math.min(encoding.maxIntsetEntries, INTSET_HARD_LIMIT);
    if (this.members.length > max) this.convert(encoding.arrays);
    return true;
  }

  /** Removes member; true if it was there. */
  remove(member: string): boolean {
    if (this.big !== null) return this.big.remove(member);
    const members = this.members;
    if (!this.table) {
      if (!isIntsetMember(member)) return false;
      const at = this.search(member);
      if (at < 0) return false;
      members.splice(at, 1);
      this.capacity = trimmedCapacity(this.capacity, members.length + 1, members.length);
      this.stringsBytes -= stringBytes(member.length);
      return true;
    }
    const slot = members.indexOf(member);
    if (slot < 0) return false;
    this.live--;
    this.stringsBytes -= stringBytes(member.length);
    if (slot === members.length - 1) {
      // The last slot: drop it, and any tombstones it was covering.
      this.shorten(members.length - 1);
      while (members.length > 0 && members[members.length - 1] === null) this.shorten(members.length - 1);
      return true;
    }
    members[slot] = null;
    const holes = members.length - this.live;
    if (holes > MIN_HOLES_TO_COMPACT && holes > this.live) this.squeeze();
    return true;
  }

  /**
   * A uniformly random member; the set must not be empty. In the hashtable form a probe
   * that lands on a tombstone is retried: tombstones never outnumber live members by
   * more than MIN_HOLES_TO_COMPACT, so this takes fewer than ~2 probes on average, and
   * every live member is equally likely (Redis's dictGetFairRandomKey is only nearly fair).
   */
  random(): string {
    if (this.big !== null) return this.big.fieldAt(this.big.randomPair())!;
    const members = this.members;
    for (;;) {
      const m = members[Math.floor(Math.random() * members.length)];
      if (m !== null) return m!;
    }
  }

  /**
   * Visits up to `count` members of the hashtable form from cursor (0 = start), examining
   * at most count*10 slots, and returns the next cursor (0 when done). Walks from the
   * newest slot to the oldest: members added during an iteration are not visited, and
   * squeezing tombstones out only moves members towards the start, so a cursor is never
   * past a member it has not visited; at worst it visits some again, which SCAN allows.
   * An intset is scanned whole in one call by the caller, as Redis does.
   */
  scan(cursor: number, count: number, visit: (member: string) => void): number {
    if (this.big !== null) return this.big.scanFields(cursor, count, visit);
    const members = this.members;
    const top = members.length - 1;
    let slot = cursor === 0 || cursor - 1 > top ? top : cursor - 1;
    const maxExamined = Math.max(count, 1) * 10;
    let visited = 0;
    for (let examined = 0; slot >= 0 && visited < count && examined < maxExamined; slot--, examined++) {
      const m = members[slot];
      if (m === null || m === undefined) continue;
      visited++;
      visit(m);
    }
    return slot >= 0 ? slot + 1 : 0;
  }

  /** A deep copy in the same encoding (COPY): tombstones squeezed out, slots renumbered. */
  copy(): SetValue {
    const copy = new SetValue();
    copy.table = this.table;
    if (this.big !== null) {
      copy.members = NO_MEMBERS;
      copy.big = this.big.copy();
      return copy;
    }
    copy.members = this.toArray();
    copy.capacity = copy.members.length;
    copy.stringsBytes = this.stringsBytes;
    copy.live = copy.members.length;
    return copy;
  }

  /**
   * Drops the array's spare capacity: a set built by one command (SADD of many members,
   * a STORE result, a load) keeps exactly its members instead of push()'s growth slack.
   */
  fit(): void {
    if (this.big !== null) return;
    this.members = this.members.slice();
    this.capacity = this.members.length;
  }

  /** Sets the array's length, following what V8 does to its slots. */
  private shorten(length: number): void {
    this.capacity = trimmedCapacity(this.capacity, this.members.length, length);
    this.members.length = length;
  }

  /** The index of member in an intset, or -(insertion point) - 1. */
  private search(member: string): number {
    const members = this.members;
    let lo = 0;
    let hi = members.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = compareIntTexts(members[mid]!, member);
      if (r === 0) return mid;
      if (r < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /** From an intset: the hashtable form. */
  private convert(arrays: ArenaAllocator | null): void {
    this.table = true;
    this.live = this.members.length;
    if (this.members.length > INDEX_FROM) this.makeBig(arrays);
  }

  /** Moves the members (no tombstones among them once squeezed) into a FieldTable. */
  private makeBig(arrays: ArenaAllocator | null): void {
    const members = this.members;
    let chars = 0;
    for (let i = 0; i < members.length; i++) chars += members[i]?.length ?? 0;
    const big = new FieldTable(arrays, this.live, chars + 16 * this.live);
    for (let i = 0; i < members.length; i++) {
      const m = members[i];
      if (m !== null) big.add(m!);
    }
    this.big = big;
    this.members = NO_MEMBERS;
    this.capacity = 0;
    this.stringsBytes = 0;
    this.live = 0;
  }

  private squeeze(): void {
    const members = this.members;
    let to = 0;
    for (let from = 0; from < members.length; from++) {
      const m = members[from];
      if (m === null) continue;
      if (to !== from) members[to] = m!;
      to++;
    }
    this.shorten(to);
  }
}
