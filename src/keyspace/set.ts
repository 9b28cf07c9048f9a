import type { ValueObject } from './values.js';
import { ARRAY_BYTES, grownCapacity, stringBytes, trimmedCapacity } from './memory-cost.js';
import { parseI64 } from '../util/numbers.js';
import type { Int32Allocator } from './store/key-table.js';
import { MemberIndex } from './member-index.js';

/**
 * A server's settings for the sets it holds: Redis's set-max-intset-entries, set from
 * that server's configuration. One per keyspace (two servers in one process keep their
 * own); a set does not keep a reference to it, the commands pass it to add().
 */
export interface SetEncoding {
  maxIntsetEntries: number;
  /**
   * Where the indexes of the server's large sets get their arrays, so that its memory
   * figures count them (its keyspace's BufferCount, shared with its hashes and sorted
   * sets); null outside a server.
   */
  readonly arrays: Int32Allocator | null;
}

/** Redis 7.0's built-in limit, for sets built outside any server. Frozen: a constant. */
export const REDIS_SET_ENCODING: Readonly<SetEncoding> = Object.freeze({ maxIntsetEntries: 512, arrays: null });

/** A server's SetEncoding, at Redis's default until its configuration is applied. */
export function newSetEncoding(arrays: Int32Allocator | null): SetEncoding {
  return { maxIntsetEntries: REDIS_SET_ENCODING.maxIntsetEntries, arrays };
}

/** t_set.c setTypeAdd: the intset limit is capped at 2^30 entries "due to intset internals". */
const INTSET_HARD_LIMIT = 1 << 30;

/** Tombstones of the table form are squeezed out once there are more than this and more than live members. */
const MIN_HOLES_TO_COMPACT = 64;
/**
 * A hashtable set gets its index once its slots pass this; below it, a lookup is
 * Array.prototype.indexOf over at most this many strings, and the set saves the
 * index's typed array and its two objects (~400 bytes; a Map of 5 members took ~280).
 */
const INDEX_FROM = 32;

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
 * - hashtable: past those limits, for good (Redis never converts back): `members` plus,
 *   from INDEX_FROM slots, `index`, member -> slot (MemberIndex, whose matcher is this set).
 *   A removal leaves a tombstone (null) so slots stay put, and
 *   tombstones are squeezed out when they outnumber live members. Stable slots are what
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
  /** Member -> slot, in the hashtable form from INDEX_FROM slots; else null. */
  private index: MemberIndex | null = null;
  /** Live members in the hashtable form (the intset's are members.length). */
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
    return this.table ? this.live : this.members.length;
  }

  /** True while the set is an intset. */
  get isIntset(): boolean {
    return !this.table;
  }

  /** The name Redis's OBJECT ENCODING reports for the same set. */
  encoding(): string {
    return this.table ? 'hashtable' : 'intset';
  }

  /** KeyMatcher of the index: whether slot holds member. */
  matches(slot: number, member: string): boolean {
    return this.members[slot] === member;
  }

  /**
   * What the set costs, estimated in O(1) (memory-cost.ts): this object (72 bytes: six fields), its
   * array (48 + 8 per slot V8 has given it, spare ones included), its strings, and in
   * the hashtable form its index (its typed arrays, 8 bytes a slot, and ~250 bytes of
   * objects around them). test/unit/collection-memory.test.ts holds MEMORY USAGE to the
   * heap plus the counted arrays within 15%.
   */
  get estimatedBytes(): number {
    let n = 72 + ARRAY_BYTES + 8 * this.capacity + this.stringsBytes;
    if (this.index !== null) n += 250 + this.index.bytes;
    return n;
  }

  /**
   * The members in the set's order (an intset's numeric order; a hashtable's slots, null
   * for a removed member), for iteration without allocation. Read-only.
   */
  get slots(): readonly (string | null)[] {
    return this.members;
  }

  /** Calls fn for every member, in the set's order. */
  forEach(fn: (member: string) => void): void {
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
    if (this.table) return this.slotOf(member) >= 0;
    return isIntsetMember(member) && this.search(member) >= 0;
  }

  /**
   * Adds member; true if it is new. An intset becomes a hashtable when the member is not
   * an integer or the set grows past set-max-intset-entries (capped at 2^30), as Redis's
   * setTypeAdd does.
   */
  add(member: string, encoding: Readonly<SetEncoding> = REDIS_SET_ENCODING): boolean {
    if (this.table) {
      const index = this.index;
      const members = this.members;
      if (index !== null) {
        if (!index.addIfAbsent(member, members.length)) return false;
      } else if (members.indexOf(member) >= 0) {
        return false;
      }
      members.push(member);
      this.live++;
      if (index === null && members.length > INDEX_FROM) this.makeIndex(encoding.arrays);
      this.capacity = grownCapacity(this.capacity, members.length);
      this.stringsBytes += stringBytes(member.length);
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
    const index = this.index;
    const slot = index !== null ? index.remove(member) : members.indexOf(member);
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
    copy.members = this.toArray();
    copy.capacity = copy.members.length;
    copy.stringsBytes = this.stringsBytes;
    if (this.table) copy.convert(this.index === null ? null : this.index.arrays);
    return copy;
  }

  /**
   * Drops the array's spare capacity: a set built by one command (SADD of many members,
   * a STORE result, a load) keeps exactly its members instead of push()'s growth slack.
   */
  fit(): void {
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

  /** The slot of member in the hashtable form, or -1. */
  private slotOf(member: string): number {
    const index = this.index;
    return index !== null ? index.find(member) : this.members.indexOf(member);
  }

  /** From an intset (or a copy's fresh array without tombstones): the hashtable form. */
  private convert(arrays: Int32Allocator | null): void {
    this.table = true;
    this.live = this.members.length;
    if (this.members.length > INDEX_FROM) this.makeIndex(arrays);
  }

  /** Indexes the members in place. */
  private makeIndex(arrays: Int32Allocator | null): void {
    const members = this.members;
    const index = new MemberIndex(this, members.length, arrays);
    for (let i = 0; i < members.length; i++) {
      const m = members[i];
      if (m !== null) index.add(m!, i);
    }
    this.index = index;
  }

  private squeeze(): void {
    const members = this.members;
    const index = this.index;
    let to = 0;
    for (let from = 0; from < members.length; from++) {
      const m = members[from];
      if (m === null) continue;
      if (to !== from) {
        members[to] = m!;
        if (index !== null) index.move(m!, from, to);
      }
      to++;
    }
    this.shorten(to);
  }
}
