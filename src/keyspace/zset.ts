import type { ValueObject } from './values.js';
import { ARRAY_BYTES, grownCapacity, pushedCapacity, stringBytes, trimmedCapacity } from './memory-cost.js';
import { after, firstPassing, insertAt, insertNumberAt, Leaf, removeAt, removeNumberAt, ScoreTree, type PairPredicate } from './score-tree.js';
import type { Int32Allocator } from './store/key-table.js';
import { MemberIndex } from './member-index.js';
import { SlotPages } from './slot-pages.js';

/**
 * A server's limits of the compact sorted-set encoding: Redis's zset-max-listpack-entries
 * and zset-max-listpack-value (aliases zset-max-ziplist-*), set from that server's
 * configuration (server/config-effects.ts). One per keyspace, passed to the value when
 * it grows.
 */
export interface ZSetEncoding {
  maxCompactEntries: number;
  maxCompactValue: number;
  /**
   * Where the indexes of the server's large sorted sets get their arrays, so that its
   * memory figures count them (its keyspace's BufferCount, shared with its hashes and
   * sets); null outside a server.
   */
  readonly arrays: Int32Allocator | null;
}

/** Redis 7.0's built-in defaults, for sorted sets built outside a server. Frozen: a constant. */
export const REDIS_ZSET_ENCODING: Readonly<ZSetEncoding> = Object.freeze({ maxCompactEntries: 128, maxCompactValue: 64, arrays: null });

export function newZSetEncoding(arrays: Int32Allocator | null): ZSetEncoding {
  return { maxCompactEntries: REDIS_ZSET_ENCODING.maxCompactEntries, maxCompactValue: REDIS_ZSET_ENCODING.maxCompactValue, arrays };
}

/**
 * Limits under which a sorted set stays in the form it starts in, whatever is inserted
 * (a copy, a loaded set): no limit while compact, none to pass once large. `arrays` as
 * in ZSetEncoding.
 */
export function keepingForm(compact: boolean, arrays: Int32Allocator | null): Readonly<ZSetEncoding> {
  return compact ? { maxCompactEntries: Infinity, maxCompactValue: Infinity, arrays } : { maxCompactEntries: 0, maxCompactValue: 0, arrays };
}

/** Tombstones of the slot arrays are squeezed out once there are more than this and more than live members. */
const MIN_HOLES_TO_COMPACT = 64;
/** Slots a squeeze examines at each insertion or removal while it runs. */
const SQUEEZE_STEP = 64;

/**
 * A sorted set: members (latin1 strings) with double scores, ordered by score then by
 * member bytes. Two forms, as Redis 7.0:
 *
 * - Compact ("listpack": at most zset-max-listpack-entries members, none longer than
 *   zset-max-listpack-value bytes): two sorted arrays, members and scores; lookups are
 *   linear or binary searches over at most a few hundred entries, as in a listpack.
 * - Large ("skiplist"), for good once converted (Redis converts back only when a store
 *   command or a load builds a small result): a ScoreTree (rank <-> pair in O(log n)),
 *   and member -> slot in `dict`, the slot indexing `slots` (SlotPages: members and
 *   scores in pages of 2,048 slots). `dict` is a MemberIndex whose matcher is this set.
 *   The stable slot numbers give ZSCAN a cursor and ZRANDMEMBER an O(1) random pick, as
 *   the hash table does for Redis; scores live unboxed in double arrays (a Map of member
 *   -> score would box each non-integer score in a 16-byte HeapNumber).
 *
 * The value never talks to the database: commands call Database.willMutate() before a
 * change and Database.valueChanged() after it (maxmemory's accounting).
 */
export class ZSetValue implements ValueObject {
  /** Compact form (null once large). */
  private members: string[] | null = [];
  private scores: number[] | null = [];
  /** Large form (null while compact). */
  private tree: ScoreTree | null = null;
  private dict: MemberIndex | null = null;
  /** Member (null once removed) and score by slot, the large form's (null while compact). */
  private slots: SlotPages | null = null;
  /** Sum of stringBytes of the members, kept up to date for an O(1) estimatedBytes. */
  private stringsBytes = 0;
  /**
   * The slots V8 has given each of the compact form's two arrays (they change together),
   * modelled as memory-cost.ts describes, for estimatedBytes (SlotPages models its own).
   */
  private capacity = 0;

  /**
   * An empty set in the form Redis's zsetTypeCreate(sizeHint, lengthHint) picks: large
   * from the start when the members about to be added could not stay compact.
   */
  constructor(sizeHint = 0, lengthHint = 0, encoding: Readonly<ZSetEncoding> = REDIS_ZSET_ENCODING) {
    if (sizeHint > encoding.maxCompactEntries || lengthHint > encoding.maxCompactValue) this.convert(encoding.arrays);
  }

  /** KeyMatcher of the dict: whether slot holds member. */
  matches(slot: number, member: string): boolean {
    return this.slots!.member(slot) === member;
  }

  get type(): 'zset' {
    return 'zset';
  }

  get size(): number {
    return this.tree !== null ? this.tree.size : this.members!.length;
  }

  get compact(): boolean {
    return this.tree === null;
  }

  /** What Redis's OBJECT ENCODING reports for the same set. */
  encoding(): 'listpack' | 'skiplist' {
    return this.tree === null ? 'listpack' : 'skiplist';
  }

  /**
   * O(1) estimate (memory-cost.ts): this object (80 bytes), the two arrays in use
   * (ARRAY_BYTES each and 16 bytes a slot for the pair: a pointer and an unboxed double;
   * `capacity` slots; in the large form SlotPages' pages, and its object, 56 bytes), the
   * members' strings. In the large form also the dict (its typed
   * arrays, 8 bytes a slot, and ~250 bytes of objects) and the tree: ~1,200 bytes a leaf (its object and
   * two arrays, which keep ~65 slots whether the leaf holds 32 pairs or 64: a split
   * slices them, splices grow them) and ~2,400 an inner node (four such arrays).
   * Fitted on sets of 200 to 100,000 members inserted in order and out of order: the
   * tree's share of the heap was 1,250-1,300 bytes a leaf in all ten. MEMORY USAGE is
   * held to the heap within 15% by test/unit/collection-memory.test.ts (before these
   * constants: a 5-member set took 817 bytes a key where it answered 504, 5,000 members
   * 696,000 where the Map counted at 20 bytes a member made it answer 603,000).
   * bench/micro/zset-memory.ts (1M members of 24 bytes, timestamp scores; the heap and the
   * member index's arrays): 98.7 B/member, Redis 7.0 used_memory 125.8 (114.7 while the
   * scores were boxed: see insertNumberAt).
   */
  get estimatedBytes(): number {
    if (this.tree === null) return 80 + 2 * (ARRAY_BYTES + 8 * this.capacity) + this.stringsBytes;
    const tree = this.tree;
    return 80 + 56 + this.slots!.bytes + this.stringsBytes + 250 + this.dict!.bytes + 100 + 1200 * tree.leaves + 2400 * tree.inners;
  }

  /** A deep copy in the same encoding (COPY): members inserted in order under limits that keep the form. */
  copy(): ZSetValue {
    const compact = this.tree === null;
    const keep = keepingForm(compact, compact ? null : this.dict!.arrays);
    const copy = new ZSetValue(compact ? 0 : 1, 0, keep);
    this.forEach((member, score) => copy.insert(member, score, keep));
    return copy;
  }

  /** The member's score, or undefined. */
  score(member: string): number | undefined {
    if (this.dict !== null) {
      const slot = this.dict.find(member);
      return slot < 0 ? undefined : this.slots!.score(slot);
    }
    const i = this.members!.indexOf(member);
    return i < 0 ? undefined : this.scores![i];
  }

  has(member: string): boolean {
    return this.dict !== null ? this.dict.find(member) >= 0 : this.members!.indexOf(member) >= 0;
  }

  /**
   * Where member is, or -1: a slot of the large form, an index of the compact one. For
   * scoreAt() and updateAt(), until the set next changes (ZADD looks a member up once).
   */
  find(member: string): number {
    return this.dict !== null ? this.dict.find(member) : this.members!.indexOf(member);
  }

  /** The score of the member find() placed at `at`. */
  scoreAt(at: number): number {
    return this.dict !== null ? this.slots!.score(at) : this.scores![at]!;
  }

  /**
   * Adds a member that is not in the set, converting to the large form first when the
   * compact one would pass its limits (Redis's zsetAdd).
   */
  insert(member: string, score: number, encoding: Readonly<ZSetEncoding> = REDIS_ZSET_ENCODING): void {
    if (this.tree === null && (this.members!.length + 1 > encoding.maxCompactEntries || member.length > encoding.maxCompactValue)) {
      this.convert(encoding.arrays);
    }
    this.stringsBytes += stringBytes(member.length);
    if (this.tree !== null) {
      this.tree.insert(member, score);
      const slots = this.slots!;
      this.dict!.add(member, slots.length);
      slots.push(member, score);
      if (this.dict!.squeezeFrom >= 0) this.squeezeStep();
      return;
    }
    const members = this.members!;
    const scores = this.scores!;
    // A listpack stores -0 as the integer 0 (double2ll).
    if (score === 0) score = 0;
    const at = insertionIndex(members, scores, member, score);
    insertAt(members, at, member);
    insertNumberAt(scores, at, score);
    this.capacity = grownCapacity(this.capacity, members.length);
  }

  /**
   * Changes the score of the member find() placed at `at`. A score equal to the old one
   * (-0 equals 0, as Redis's `score != curscore`) changes nothing.
   */
  updateAt(at: number, member: string, score: number): void {
    if (this.tree !== null) {
      const old = this.slots!.score(at);
      if (old === score) return;
      this.tree.delete(member, old);
      this.tree.insert(member, score);
      this.slots!.setScore(at, score);
      return;
    }
    const members = this.members!;
    const scores = this.scores!;
    if (scores[at] === score) return;
    if (score === 0) score = 0;
    removeAt(members, at);
    removeNumberAt(scores, at);
    const to = insertionIndex(members, scores, member, score);
    insertAt(members, to, member);
    insertNumberAt(scores, to, score);
  }

  /** Removes member; true if it was there. */
  remove(member: string): boolean {
    if (this.tree !== null) {
      const slot = this.dict!.remove(member);
      if (slot < 0) return false;
      this.tree.delete(member, this.slots!.score(slot));
      this.dropSlot(slot);
    } else {
      const i = this.members!.indexOf(member);
      if (i < 0) return false;
      removeAt(this.members!, i);
      removeNumberAt(this.scores!, i);
      this.capacity = trimmedCapacity(this.capacity, this.members!.length + 1, this.members!.length);
    }
    this.stringsBytes -= stringBytes(member.length);
    return true;
  }

  /** The 0-based rank of member in ascending order, or -1. O(log n) in the large form. */
  rank(member: string): number {
    if (this.tree !== null) {
      const slot = this.dict!.find(member);
      return slot < 0 ? -1 : this.tree.rankOf(member, this.slots!.score(slot));
    }
    return this.members!.indexOf(member);
  }

  /** The rank of the first pair (ascending) for which the monotone pred holds; size if none. */
  firstRank(pred: PairPredicate): number {
    if (this.tree !== null) return this.tree.firstRank(pred);
    return firstPassing(this.members!, this.scores!, pred);
  }

  /**
   * Calls visit for the pairs of ascending ranks from..to (inclusive, both in range),
   * walking down from `from` to `to` when from > to. O(log n + pairs).
   */
  walk(from: number, to: number, visit: (member: string, score: number) => void): void {
    const down = from > to;
    let n = down ? from - to + 1 : to - from + 1;
    if (this.tree === null) {
      const members = this.members!;
      const scores = this.scores!;
      for (let i = from; n > 0; n--, i += down ? -1 : 1) visit(members[i]!, scores[i]!);
      return;
    }
    const tree = this.tree;
    tree.locate(from);
    let leaf: Leaf | null = tree.foundLeaf;
    let i = tree.foundIndex;
    while (n > 0 && leaf !== null) {
      visit(leaf.members[i]!, leaf.scores[i]!);
      n--;
      if (down) {
        if (--i < 0) {
          leaf = leaf.prev;
          if (leaf !== null) i = leaf.members.length - 1;
        }
      } else if (++i >= leaf.members.length) {
        leaf = leaf.next;
        i = 0;
      }
    }
  }

  /** The pairs of ranks from..to (either direction), flat: [m0, s0, m1, s1, ...]. */
  range(from: number, to: number): (string | number)[] {
    const out: (string | number)[] = [];
    this.walk(from, to, (m, s) => out.push(m, s));
    return out;
  }

  /** Calls fn for every pair in ascending order. */
  forEach(fn: (member: string, score: number) => void): void {
    if (this.size > 0) this.walk(0, this.size - 1, fn);
  }

  /**
   * Visits up to `count` members of the large form from cursor (0 = start), examining
   * at most count*10 slots, and returns the next cursor (0 when done): the hash's
   * contract (FieldTable.scan) over the slot arrays, newest slot first.
   */
  scan(cursor: number, count: number, visit: (member: string, score: number) => void): number {
    const slots = this.slots!;
    const top = slots.length - 1;
    let slot = cursor === 0 || cursor - 1 > top ? top : cursor - 1;
    const maxExamined = Math.max(count, 1) * 10;
    let visited = 0;
    for (let examined = 0; slot >= 0 && visited < count && examined < maxExamined; slot--, examined++) {
      const member = slots.member(slot);
      if (member === null) continue;
      visited++;
      visit(member, slots.score(slot));
    }
    return slot >= 0 ? slot + 1 : 0;
  }

  /**
   * A uniformly random member's rank (compact) or slot (large), see memberOf/scoreOf.
   * The set must not be empty.
   */
  randomPick(): number {
    if (this.tree === null) return Math.floor(Math.random() * this.members!.length);
    const slots = this.slots!;
    for (;;) {
      const slot = Math.floor(Math.random() * slots.length);
      if (slots.member(slot) !== null) return slot;
    }
  }

  /** The member at a pick of randomPick(). */
  memberOf(pick: number): string {
    return this.tree === null ? this.members![pick]! : this.slots!.member(pick)!;
  }

  /** The score at a pick of randomPick(). */
  scoreOf(pick: number): number {
    return this.tree === null ? this.scores![pick]! : this.slots!.score(pick);
  }

  /**
   * Drops the arrays' spare slots: a set built by one command (ZADD of many members on a
   * new key) keeps exactly its pairs instead of the growth slack of its insertions
   * (a ZADD of 5 members: 17 slots in each array).
   */
  fit(): void {
    if (this.tree === null) {
      this.members = this.members!.slice();
      this.scores = this.scores!.slice();
      this.capacity = this.members.length;
    } else {
      this.slots!.fit();
    }
  }

  /** Converts a large set back to the compact form if it fits (Redis's zsetConvertToListpackIfNeeded). */
  shrinkIfSmall(encoding: Readonly<ZSetEncoding>): void {
    if (this.tree === null || this.tree.size > encoding.maxCompactEntries) return;
    const members: string[] = [];
    const scores: number[] = [];
    let fits = true;
    this.forEach((m, s) => {
      if (m.length > encoding.maxCompactValue) fits = false;
      members.push(m);
      scores.push(s);
    });
    if (!fits) return;
    this.members = members;
    this.scores = scores;
    this.capacity = pushedCapacity(members.length);
    this.tree = null;
    this.dict = null;
    this.slots = null;
  }

  /**
   * Moves to the large form (Redis's zsetConvert to skiplist); SORT calls it on the set
   * it sorts, as sort.c does. The caller brackets it with willMutate()/valueChanged().
   */
  convert(arrays: Int32Allocator | null = null): void {
    const tree = new ScoreTree();
    const members = this.members!;
    const scores = this.scores!;
    this.slots = SlotPages.of(members, scores, this.capacity);
    this.capacity = 0;
    const dict = new MemberIndex(this, members.length, arrays);
    for (let i = 0; i < members.length; i++) {
      tree.insert(members[i]!, scores[i]!);
      dict.add(members[i]!, i);
    }
    this.tree = tree;
    this.dict = dict;
    this.members = null;
    this.scores = null;
  }

  private dropSlot(slot: number): void {
    const slots = this.slots!;
    const dict = this.dict!;
    if (slot === slots.length - 1) {
      // The last slot: drop it and the empty ones before it (a running squeeze's gap
      // too: it is then done).
      let length = slot;
      while (length > 0 && slots.member(length - 1) === null) length--;
      slots.truncate(length);
      if (dict.squeezeFrom >= length) dict.squeezeFrom = -1;
      return;
    }
    slots.setMember(slot, null);
    if (dict.squeezeFrom >= 0) {
      this.squeezeStep();
      return;
    }
    const live = this.tree!.size;
    const holes = slots.length - live;
    if (holes > MIN_HOLES_TO_COMPACT && holes > live) {
      dict.squeezeFrom = 0;
      dict.squeezeTo = 0;
      this.squeezeStep();
    }
  }

  /**
   * One step of closing the slot arrays' holes, SQUEEZE_STEP slots at a time (one pass
   * over a million slots took 121 ms): slots only move towards the start (the scan
   * contract), each with its score and index entry; members added meanwhile are moved
   * when the squeeze reaches them.
   */
  private squeezeStep(): void {
    const slots = this.slots!;
    const dict = this.dict!;
    const end = slots.length;
    let from = dict.squeezeFrom;
    let to = dict.squeezeTo;
    for (let examined = 0; from < end && examined < SQUEEZE_STEP; from++, examined++) {
      const member = slots.member(from);
      if (member === null) continue;
      if (to !== from) {
        slots.setMember(to, member);
        slots.setScore(to, slots.score(from));
        slots.setMember(from, null);
        dict.move(member, from, to);
      }
      to++;
    }
    dict.squeezeTo = to;
    dict.squeezeFrom = from;
    if (from === end) {
      dict.squeezeFrom = -1;
      slots.truncate(to);
    }
  }
}

/** Where (member, score) goes in sorted compact arrays. */
function insertionIndex(members: string[], scores: number[], member: string, score: number): number {
  let lo = 0;
  let hi = members.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (after(scores[mid]!, members[mid]!, score, member)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
