import { KeyTable, type Int32Allocator, type KeyMatcher } from './store/key-table.js';
import { hashString, randomHashSeed } from './store/key-hash.js';

/** Old-table slots a write drains while a resize runs (no cron drives a sorted set's index). */
const STEP = 64;

/**
 * Member -> slot for a large sorted set: the keyspace's own KeyTable (open addressing
 * over an Int32Array), seeded per set, whose matcher is the set (whether a slot holds a
 * member). It replaced a Map<string, number>: V8's OrderedHashMap was a quarter of
 * ZPOPMIN's samples (lookup, insertion, the rehash as it shrank). Large sets used it too
 * until their members moved into a FieldTable, which indexes its own records.
 *
 * Writes move a running resize on by STEP slots, as a hash's index does; lookups do no
 * rehash work (the collections' memory estimates count both arrays while a resize runs,
 * and the Database accounts a value's bytes around writes only).
 */
export class MemberIndex {
  private readonly table: KeyTable<string>;
  private readonly seed = randomHashSeed();
  /**
   * The set's running squeeze of its slot arrays (ZSetValue.squeezeStep), kept here as
   * it exists only in the large form: the next slot it examines, or -1 when none runs,
   * and the slot the next member it meets moves to. Slots between the two are empty.
   */
  squeezeFrom = -1;
  squeezeTo = 0;

  /** Room for `expected` members; `arrays` counts the index's arrays (null: uncounted). */
  constructor(matcher: KeyMatcher<string>, expected: number, arrays: Int32Allocator | null) {
    this.table = new KeyTable<string>(matcher, undefined, false, arrays);
    if (expected > 0) this.table.reserve(expected);
  }

  /** Bytes of the table's arrays (both while a resize runs). */
  get bytes(): number {
    return this.table.bytes;
  }

  /** Where the arrays come from, for a copy of the collection. */
  get arrays(): Int32Allocator | null {
    return this.table.allocator;
  }

  /** The slot of member, or -1. */
  find(member: string): number {
    return this.table.find(hashString(this.seed, member), member);
  }

  /** Adds a member known to be absent, at slot. */
  add(member: string, slot: number): void {
    const table = this.table;
    table.insert(hashString(this.seed, member), slot);
    if (table.rehashing) table.rehashStep(STEP);
  }

  /** Removes member: its slot, or -1 if it was not there. */
  remove(member: string): number {
    const table = this.table;
    const hash = hashString(this.seed, member);
    const slot = table.find(hash, member);
    if (slot < 0) return -1;
    table.remove(hash, slot);
    if (table.rehashing) table.rehashStep(STEP);
    return slot;
  }

  /** The member at slot `from` now sits at `to` (a squeeze of the slot array). */
  move(member: string, from: number, to: number): void {
    this.table.replace(hashString(this.seed, member), from, to);
  }
}
