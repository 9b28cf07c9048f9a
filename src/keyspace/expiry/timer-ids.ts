import { UNSCHEDULED, type TimerColumns } from './timer-wheel.js';
import { ColumnBuffer } from '../store/column-buffer.js';

/** Ids a new registry has room for before it first grows. */
const INITIAL_CAPACITY = 16;
/** Owners a page of `owners` holds: an id's page is id >> OWNER_PAGE_SHIFT. */
const OWNER_PAGE_SHIFT = 12;
const OWNER_PAGE_MASK = (1 << OWNER_PAGE_SHIFT) - 1;

/**
 * Timer ids for owners that are objects (a hash field's FieldTimer; a key is an id of
 * its KeyStore already, whose columns the key wheel uses): the TimerColumns of one TimerWheel, with the object each id stands for,
 * so the wheel's fire(id) finds it. An id is acquired when its owner gets a deadline and
 * released when the owner loses it or leaves; released ids are reused (last released,
 * first reused: its column slots are likely still in cache), so the columns stay as
 * large as the most timers held at once.
 *
 * The columns grow by doubling, copied into a new buffer made ahead (ColumnBuffer:
 * no pause at a million timers; TimerColumns lets the owner replace them between the
 * wheel's calls and from its callbacks); they shrink back only in reset().
 *
 * Contract: release(id) only of an id the wheel does not hold (cancel it first, or from
 * inside fire(id), where the wheel has unlinked it already); write deadline[id] before
 * scheduling it.
 */
export class TimerIds<T> implements TimerColumns {
  // Set by reset(), from the constructor on.
  deadline!: Float64Array;
  readonly deadlineShift = 0;
  prev!: Int32Array;
  next!: Int32Array;
  /**
   * The owner of each id acquired and not released (null for a free id), in pages of
   * 4,096: one array of them grew by half with a copy in one call (V8's push), 6-28 ms
   * from 170k field timers up (in-process); only the last page grows here.
   */
  private owners: (T | null)[][] = [];
  /** Released ids, a stack: free[0..freeCount) (its length is the columns' capacity). */
  private free!: Int32Array;
  private freeCount = 0;
  /** Ids 0..used-1 have been handed out at least once. */
  private used = 0;
  /** The buffer of the columns: deadline, prev, next, free. */
  private readonly columns = new ColumnBuffer([8, 4, 4, 4]);

  constructor() {
    this.reset();
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
      this.owners[id >> OWNER_PAGE_SHIFT]![id & OWNER_PAGE_MASK] = owner;
    } else {
      id = this.used++;
      const capacity = this.deadline.length;
      if (id === capacity) this.grow();
      else this.columns.given(id, capacity);
      // Its links are set here, not when the columns grow (ColumnBuffer).
      this.prev[id] = UNSCHEDULED;
      this.next[id] = UNSCHEDULED;
      if ((id & OWNER_PAGE_MASK) === 0) this.owners.push([]);
      this.owners[id >> OWNER_PAGE_SHIFT]!.push(owner);
    }
    return id;
  }

  /** Gives id back: it is no longer scheduled (see the contract above). */
  release(id: number): void {
    this.owners[id >> OWNER_PAGE_SHIFT]![id & OWNER_PAGE_MASK] = null;
    this.free[this.freeCount++] = id;
  }

  /** The owner of an id held. */
  owner(id: number): T {
    return this.owners[id >> OWNER_PAGE_SHIFT]![id & OWNER_PAGE_MASK]!;
  }

  /**
   * Forgets every id, back to the initial capacity (after TimerWheel.clear(),
   * which leaves the nodes it held UNSCHEDULED). Owners still holding an id must drop it.
   */
  reset(): void {
    this.columns.reset();
    this.place(this.columns.take(INITIAL_CAPACITY), INITIAL_CAPACITY, false);
    this.owners = [];
    this.freeCount = 0;
    this.used = 0;
  }

  /** Doubles the columns (and the room of the free stack, which never holds more ids than they have). */
  private grow(): void {
    const capacity = this.deadline.length * 2;
    this.place(this.columns.take(capacity), capacity, true);
  }

  /** Makes the columns views of `buffer`, holding `capacity` ids, copying the current ones into it if `copy`. */
  private place(buffer: ArrayBuffer, capacity: number, copy: boolean): void {
    const columns = this.columns;
    const deadline = new Float64Array(buffer, 0, capacity);
    const prev = new Int32Array(buffer, columns.offset(capacity, 1), capacity);
    const next = new Int32Array(buffer, columns.offset(capacity, 2), capacity);
    const free = new Int32Array(buffer, columns.offset(capacity, 3), capacity);
    if (copy) {
      deadline.set(this.deadline);
      prev.set(this.prev);
      next.set(this.next);
      // Not the free stack: acquire() grows only when it is empty.
    }
    this.deadline = deadline;
    this.prev = prev;
    this.next = next;
    this.free = free;
  }

  /** The columns' next buffer if made ahead, and its pages left to write (tests). */
  get columnsAhead(): { buffer: ArrayBuffer | null; pagesLeft: number } {
    return this.columns.ahead;
  }
}
