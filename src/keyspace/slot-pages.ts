import { ARRAY_BYTES, grownCapacity, trimmedCapacity } from './memory-cost.js';

/** Slots a page holds: a slot's page is slot >> PAGE_SHIFT. */
const PAGE_SHIFT = 11;
const PAGE = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE - 1;

/**
 * A large sorted set's slots: member (or null, a removed one) and score by slot number,
 * in pages of 2,048 slots, two arrays a page (strings, and unboxed doubles).
 *
 * Why pages: two arrays of all the slots grew by half with a copy in one call (V8's
 * push), which paused a ZADD 24 ms at 258k members, 46 ms at 580k and 66-80 ms at 869k
 * (in-process). Here only the last page grows (by push, at most 2,048 slots copied);
 * a page that fills is cut to its length, so full pages hold no spare slots.
 *
 * `capacity` models the slots V8 gives the arrays (memory-cost.ts), for estimatedBytes.
 */
export class SlotPages {
  private readonly members: (string | null)[][] = [];
  private readonly scores: number[][] = [];
  /** Slots in use. */
  length = 0;
  /** The modelled slots of the last page's arrays (each); full pages hold PAGE. */
  private lastCapacity = 0;

  /**
   * Slots holding `members` and `scores` (equal lengths) in order. Up to a page, the
   * arrays become the first page as they are, with their modelled `capacity`.
   */
  static of(members: (string | null)[], scores: number[], capacity: number): SlotPages {
    const pages = new SlotPages();
    if (members.length > 0 && members.length < PAGE) {
      pages.members.push(members);
      pages.scores.push(scores);
      pages.length = members.length;
      pages.lastCapacity = capacity;
    } else {
      for (let i = 0; i < members.length; i++) pages.push(members[i]!, scores[i]!);
    }
    return pages;
  }

  member(slot: number): string | null {
    return this.members[slot >> PAGE_SHIFT]![slot & PAGE_MASK]!;
  }

  score(slot: number): number {
    return this.scores[slot >> PAGE_SHIFT]![slot & PAGE_MASK]!;
  }

  setMember(slot: number, member: string | null): void {
    this.members[slot >> PAGE_SHIFT]![slot & PAGE_MASK] = member;
  }

  setScore(slot: number, score: number): void {
    this.scores[slot >> PAGE_SHIFT]![slot & PAGE_MASK] = score;
  }

  /** Adds a slot at the end. */
  push(member: string, score: number): void {
    const page = this.length >> PAGE_SHIFT;
    if (page === this.members.length) {
      this.members.push([]);
      this.scores.push([]);
      this.lastCapacity = 0;
    }
    const members = this.members[page]!;
    const scores = this.scores[page]!;
    members.push(member);
    scores.push(score);
    this.length++;
    if (members.length === PAGE) {
      // Full: cut to its slots (one copy of a page), as it will not grow again.
      this.members[page] = members.slice();
      this.scores[page] = scores.slice();
      this.lastCapacity = PAGE;
    } else {
      this.lastCapacity = grownCapacity(this.lastCapacity, members.length);
    }
  }

  /** Drops the slots from `length` on. */
  truncate(length: number): void {
    if (length >= this.length) return;
    const pages = (length + PAGE_MASK) >> PAGE_SHIFT;
    let capacity = this.lastCapacity;
    let oldLength = this.length - ((this.members.length - 1) << PAGE_SHIFT);
    if (pages < this.members.length) {
      this.members.length = pages;
      this.scores.length = pages;
      // The page now last was full.
      capacity = PAGE;
      oldLength = PAGE;
    }
    this.length = length;
    if (pages === 0) {
      this.lastCapacity = 0;
      return;
    }
    const last = length - ((pages - 1) << PAGE_SHIFT);
    this.members[pages - 1]!.length = last;
    this.scores[pages - 1]!.length = last;
    this.lastCapacity = trimmedCapacity(capacity, oldLength, last);
  }

  /** Drops the last page's spare slots (a set built by one command). */
  fit(): void {
    const page = this.members.length - 1;
    if (page < 0 || this.lastCapacity === this.members[page]!.length) return;
    this.members[page] = this.members[page]!.slice();
    this.scores[page] = this.scores[page]!.slice();
    this.lastCapacity = this.members[page]!.length;
  }

  /** Modelled bytes of the arrays: each page's two, and the two lists of pages. */
  get bytes(): number {
    const pages = this.members.length;
    if (pages === 0) return 2 * ARRAY_BYTES;
    const slots = ((pages - 1) << PAGE_SHIFT) + this.lastCapacity;
    return 2 * (ARRAY_BYTES + 8 * pages) + 2 * (pages * ARRAY_BYTES + 8 * slots);
  }
}
