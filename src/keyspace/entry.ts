import type { Value } from './values.js';

/** No deadline. Comparisons with a time are false, so a persistent key never expires. */
export const NO_DEADLINE = Infinity;

/**
 * One key. A key with a deadline holds an id of its database's key timer registry
 * (TimerIds: the timer wheel's columns), so a TTL costs no allocation of its own and
 * cancelling it is O(1).
 *
 * `deadline` is the first millisecond at which the key no longer exists: Redis's
 * expire time + 1, because Redis treats a key as expired only when now > its time.
 * Reading it through expireTimeOf() gives Redis's value.
 */
export class Entry {
  /** Its id in the database's key timer registry while it has a deadline, else -1. */
  timerId = -1;
  constructor(
    readonly key: string,
    public value: Value,
    public deadline: number,
    /** Insertion sequence number in its database; orders SCAN and RANDOMKEY. */
    readonly seq: number,
    /**
     * When the key was last accessed, for eviction: Redis's 24-bit LRU clock or LFU
     * stamp and counter (access.ts), stamped by every lookup. A Smi: 8 bytes, no box.
     */
    public access: number,
  ) {}
}

/**
 * Redis's absolute expire time in ms for an entry with a deadline. Exact while the time
 * is below 2^53 ms (year 287396); Database.expireTime() is exact for any int64.
 */
export function expireTimeOf(entry: Entry): number {
  return entry.deadline - 1;
}

/** The deadline to store for Redis's absolute expire time `when` (ms). */
export function deadlineFor(when: number): number {
  return when + 1;
}
