import { UNSCHEDULED, type TimerColumns } from './timer-wheel.js';

/** Ids a new registry has room for before it first grows. */
const INITIAL_CAPACITY = 16;

/**
 * Timer ids for owners that are objects (a hash field's FieldTimer; a key is an id of
 * its KeyStore already, whose columns the key wheel uses): the TimerColumns of one TimerWheel, with the object each id stands for,
 * so the wheel's fire(id) finds it. An id is acquired when its owner gets a deadline and
 * released when the owner loses it or leaves; released ids are reused (last released,
 * first reused: its column slots are likely still in cache), so the columns stay as
 * large as the most timers held at once.
 *
 * The columns grow by doubling, copied into new arrays (TimerColumns lets the owner
 * replace them between the wheel's calls and from its callbacks); they shrink back only
 * in reset().
 *
 * Contract: release(id) only of an id the wheel does not hold (cancel it first, or from
 * inside fire(id), where the wheel has unlinked it already); write deadline[id] before
 * scheduling it.
 */
export class TimerIds<T> implements TimerColumns {
  deadline: Float64Array;
  readonly deadlineShift = 0;
  prev: Int32Array;
  next: Int32Array;
  /** The owner of each id acquired and not released; null for a free id. */
  private owners: (T | null)[] = [];
  /** Released ids, a stack: free[0..freeCount) (its length is the columns' capacity). */
  private free: Int32Array;
  private freeCount = 0;
  /** Ids 0..used-1 have been handed out at least once. */
  private used = 0;

  constructor() {
    this.deadline = new Float64Array(INITIAL_CAPACITY);
    this.prev = new Int32Array(INITIAL_CAPACITY).fill(UNSCHEDULED);
    this.next = new Int32Array(INITIAL_CAPACITY).fill(UNSCHEDULED);
    this.free = new Int32Array(INITIAL_CAPACITY);
  }

  /** Number of ids held (acquired and not released). */
  get size(): number {
    return this.used - this.freeCount;
  }

  /** Length of the columns: every id is below it. */
  get capacity(): number {
    return this.deadline.length;
  }

  /** An id for owner, not scheduled, its deadline slot to be written by the caller. */
  acquire(owner: T): number {
    let id: number;
    if (this.freeCount > 0) {
      id = this.free[--this.freeCount]!;
      this.owners[id] = owner;
    } else {
      id = this.used++;
      if (id === this.deadline.length) this.grow();
      this.owners.push(owner);
    }
    return id;
  }

  /** Gives id back: it is no longer scheduled (see the contract above). */
  release(id: number): void {
    this.owners[id] = null;
    this.free[this.freeCount++] = id;
  }

  /** The owner of an id held. */
  owner(id: number): T {
    return this.owners[id]!;
  }

  /**
   * Forgets every id, back to the initial capacity (after TimerWheel.clear(),
   * which leaves the nodes it held UNSCHEDULED). Owners still holding an id must drop it.
   */
  reset(): void {
    this.deadline = new Float64Array(INITIAL_CAPACITY);
    this.prev = new Int32Array(INITIAL_CAPACITY).fill(UNSCHEDULED);
    this.next = new Int32Array(INITIAL_CAPACITY).fill(UNSCHEDULED);
    this.free = new Int32Array(INITIAL_CAPACITY);
    this.owners = [];
    this.freeCount = 0;
    this.used = 0;
  }

  /** Doubles the columns (and the free stack, which never holds more ids than they have). */
  private grow(): void {
    const capacity = this.deadline.length * 2;
    const deadline = new Float64Array(capacity);
    deadline.set(this.deadline);
    const prev = new Int32Array(capacity).fill(UNSCHEDULED);
    prev.set(this.prev);
    const next = new Int32Array(capacity).fill(UNSCHEDULED);
    next.set(this.next);
    const free = new Int32Array(capacity);
    free.set(this.free);
    this.deadline = deadline;
    this.prev = prev;
    this.next = next;
    this.free = free;
  }
}
