import type { Clock, TimerHandle } from '../clock.js';

/**
 * A hierarchical timer wheel (Varghese & Lauck 1987; the Linux timer wheel), generic:
 * it knows nodes and deadlines, nothing of keys or Redis. A node is an integer id
 * 0..n-1 whose deadline and list links are slots of typed arrays the owner keeps
 * (TimerColumns), so a scheduled timer is no JavaScript object (issue 17: the keyspace
 * as struct-of-arrays).
 *
 * Layout. Time is in integer milliseconds. There are LEVELS levels of 64 slots; level L
 * has a granularity of 64^L ms. A node is kept at the level of the highest 6-bit digit
 * (base 64) in which its deadline differs from the wheel's current time, in the slot
 * named by that digit of the deadline. So every occupied slot of level L has an index
 * greater than the current time's digit L, and all higher digits agree with the
 * current time. When the time reaches the start of an occupied slot of level L >= 1,
 * the slot is cascaded: its nodes are placed again relative to the new time, which
 * puts them at a lower level. A level-0 slot holds nodes due at exactly one ms.
 *
 * Costs. schedule and cancel are O(1): slots are intrusive circular doubly linked
 * lists (links in the owner's prev/next columns) with a head per slot, so a node is
 * unlinked without knowing its slot, and a slot's occupancy bit is cleared when its head
 * is left alone. Nothing is allocated per operation. A timer costs its owner 16 bytes of
 * columns (8 of deadline, 4 + 4 of links; an object node with a boxed deadline took 64
 * bytes of heap, bench/micro/wheel.ts); a wheel's own heads are two Int32Arrays of 1,027
 * (8 KB). Nothing runs on empty ticks: one clock timer is armed for the next occupied
 * slot, found from per-level 64-bit occupancy bitmaps. Deadlines beyond the wheel's range (64^LEVELS ms, about 8900
 * years, or across a multiple of that range) wait in an overflow list that is examined
 * again when the time reaches the next multiple of the range.
 *
 * Firing. Due nodes move to a due list, which is drained in batches: when a run has
 * used its budget the wheel yields to the event loop (clock.defer) and continues, so a
 * million nodes due in the same millisecond never stall other work. A node is removed
 * from the wheel before its callback runs. Cascading is batched the same way: a slot
 * reached by the time moves in O(1) to a cascade list, whose nodes are placed again
 * within the budget; the time does not move on until that list is empty.
 *
 * Budget. A run may last `share` of the time its work has waited (share / (1 - share) of
 * that: a third of it for 25%), at most `maxBudgetMs` (25 ms, as Redis's slow expire
 * cycle at hz 10), and at least `budgetMs` (1 ms) when it runs on its own timer;
 * runDue() has no floor. The wait is the time since the previous run ended, or, when
 * that run left nothing due, since the first slot now due started: a wheel idle for a
 * while that reaches a slot on time has no backlog, and its run gets the floor. (Counting
 * idle time made the run that reached a slot of a million session keys, 100 ms after the
 * previous run, take 25 ms at once, and others 5-8 ms, while clients waited: the mass
 * expiry bench's slowest round trips.) The owner calls runDue() between units of its own work
 * with a time it already has (lapse: after each batch of a connection's commands, with
 * the last command's time), so the wheel runs within a busy event-loop turn, not only on
 * its timer once per turn.
 *
 * Cascading ahead. A slot of level L >= 2 holds every node due within its span (4 s at
 * level 2, 4.4 min at level 3, 4.7 h at level 4), and placing them all again when the time
 * reaches it took tens of ms at once (200k session keys at a level-3 boundary: 8-24 ms;
 * 1M keys with 30-minute TTLs at a level-4 boundary: 35 ms), while nothing due could
 * fire: the time does not move on before the cascade list is empty. So the next occupied
 * slot of each level >= 2 is sorted ahead of its start, with what is left of a run's
 * budget once the wheel has caught up (at most STAGE_PER_RUN nodes per run): its nodes
 * move to 64 staging lists by their digit of the level below, and nodes scheduled into
 * it meanwhile go there directly. When the time reaches the slot, the staging lists are
 * spliced into the level below in O(64), and only the nodes of digit 0 (due within the
 * first sub-slot) and those not yet sorted are placed one by one. Sorting happens during
 * runs, so a wheel that has nothing due until the slot starts cascades it as before.
 *
 * Why not a fixed budget per turn (the rule until issue 11): during a session churn at
 * saturation (bench churn scenario: 200k sessions, 7-10k keys due a second), event-loop
 * turns lasted 20-30 ms (p99; up to 460 ms) of socket reads, replies and young-generation
 * GC, which took 25-45% of the time in pauses of 10-30 ms (some over 100 ms). The wheel
 * ran once per turn, 20-60 times a second, for at most 2 ms, at 3-6 us per expired key
 * in place (Map delete, accounting, the keyspace event): barely more than the due rate,
 * so every long turn or pause left a backlog that took hundreds of ms to drain. Reclaim
 * lag p99 reached 263 ms and up to 2,678 keys were past their deadline (36% of those due
 * in a second). With the share, a run after a 100 ms pause may take 33 ms, more than
 * its backlog needs, and runs between batches (about 800 a second) keep the wheel within
 * a batch of its deadlines: lag p99 20-77 ms in the same churn, while expiry, when
 * behind, takes about a quarter of the time at most.
 */
/**
 * The columns an owner keeps per node id: the wheel's nodes are ids 0..n-1 and these
 * typed arrays hold their deadline and list links. Every id passed to the wheel is below
 * the arrays' length (an id past it would read as scheduled). The owner writes
 * deadline[id] before schedule(id) and fills the prev and next slots of ids it has never
 * scheduled with UNSCHEDULED; the wheel alone writes prev and next afterwards. The owner may replace
 * the arrays (to grow them, copying what they hold) between calls to the wheel and from
 * its callbacks: the wheel reads them through this object each time and keeps no array
 * across a callback.
 */
export interface TimerColumns {
  /**
   * First millisecond at which the node is due, at index id << deadlineShift (1: the
   * deadline shares a row with other fields of the owner's, KeyStore; absent: 0). Written
   * by the owner before schedule().
   */
  deadline: Float64Array;
  readonly deadlineShift?: number;
  /** The previous link of a scheduled node, UNSCHEDULED for any other. */
  prev: Int32Array;
  /** The next link of a scheduled node, UNSCHEDULED for any other. */
  next: Int32Array;
}

/** prev and next of a node that is not in the wheel. */
export const UNSCHEDULED = -1;

const SLOT_BITS = 6;
const SLOTS = 1 << SLOT_BITS; // 64
const LEVELS = 8;
const GRANULARITY: number[] = Array.from({ length: LEVELS + 1 }, (_, l) => SLOTS ** l);
const RANGE = GRANULARITY[LEVELS]!; // 2^48 ms
/**
 * List heads, by index: the wheel slots first (level * SLOTS + index), then the due,
 * overflow and cascade lists, then the staging lists (STAGE_HEADS + level * SLOTS + the
 * digit of the level below). A head is not a node: its links are the wheel's own
 * headPrev/headNext, and a link to it is stored as linkOf(head) = -2 - head, a negative
 * number that is neither a node id (>= 0) nor UNSCHEDULED (-1). So node ids stay
 * 0..n-1, dense in the owner's columns, and one sign test tells which array a link is
 * in. (The alternative, heads as the first ids of the owner's columns, would make the
 * owner offset every id it keeps by a constant of the wheel's.)
 */
const SLOT_HEADS = LEVELS * SLOTS;
const DUE = SLOT_HEADS;
const OVERFLOW = SLOT_HEADS + 1;
const CASCADE = SLOT_HEADS + 2;
const STAGE_HEADS = SLOT_HEADS + 3;
const HEADS = STAGE_HEADS + LEVELS * SLOTS;
/** Lowest level whose slots are sorted ahead (level-1 slots span only 64 ms). */
const FIRST_STAGED_LEVEL = 2;
/** Most nodes one run sorts ahead, so that a run that has caught up stays short. */
const STAGE_PER_RUN = 4096;

/** The link value that names list head h. */
function linkOf(head: number): number {
  return -2 - head;
}

export interface TimerWheelOptions {
  /**
   * Shortest budget of a run on the wheel's own timer (default 1 ms): what a client's
   * request may wait behind a run while the wheel works through a backlog. Measured with
   * 1M keys due over one second and one client's GET/SET round trips (3 alternated
   * probes): 2 ms gave p99.9 4.12-5.07 ms, p99 1.14-2.35; 1 ms 3.69-4.29, p99 1.08-1.22,
   * and 10-33% more round trips.
   */
  budgetMs?: number;
  /** Share of the time a run may take: of its gap since the previous run (default 0.25). */
  share?: number;
  /** Longest budget the share gives a run (default 25 ms, Redis's slow expire cycle at hz 10). */
  maxBudgetMs?: number;
  /** Callbacks between two reads of the monotonic clock while draining. */
  checkEvery?: number;
  /**
   * Called when the wheel's next work moves earlier: at is the new dueAt. The owner of
   * several wheels keeps the earliest to know when to call runDue().
   */
  onWake?: (at: number) => void;
  /** Called after each run that fired something, with how long it took (ms). */
  onRun?: (elapsedMs: number) => void;
}

export class TimerWheel {
  /** Every deadline <= time has been moved to the due list. */
  private time: number;
  /** The heads' links (see SLOT_HEADS): an empty list's head links to itself. */
  private readonly headPrev = new Int32Array(HEADS);
  private readonly headNext = new Int32Array(HEADS);
  /** Occupancy bits per level: slots 0-31 in lo, 32-63 in hi. */
  private readonly occupiedLo = new Uint32Array(LEVELS);
  private readonly occupiedHi = new Uint32Array(LEVELS);
  /**
   * Per level, the index of the slot being sorted ahead of its start, or -1 (see
   * Cascading ahead). While it is set, the slot's occupancy bit stays set, whatever its
   * own list holds.
   */
  private readonly stageIndex = new Int8Array(LEVELS).fill(-1);
  /** Nodes placed again one by one when the time reached their slot (tests, benchmarks). */
  cascadedNodes = 0;
  /** When to place the overflow list again; Infinity exactly when the list is empty. */
  private overflowRecheckAt = Infinity;
  private count = 0;
  private armedAt = Infinity;
  private armed: TimerHandle = null;
  /**
   * A time at or before which the wheel has nothing to do (Infinity: nothing at all): the
   * wheel's time while nodes wait to fire or to be placed, else the next slot's time.
   * Exact after a run, lowered by schedule(); a node cancelled since may leave it early.
   */
  private nextDue = Infinity;
  /** Monotonic time at which the last run ended: the gap the next run's share is taken of. */
  private lastRunEnd: number;
  private draining = false;
  /**
   * The wall time (ms) at which the timers being fired fire: read when a run starts and
   * again every checkEvery fired timers (with the budget check), so that a callback needs
   * no clock read of its own (a million keys may expire in a second).
   */
  firedAt = 0;
  private closed = false;
  /** Active expiry off (DEBUG SET-ACTIVE-EXPIRE 0): nothing fires until resume(). */
  private paused = false;
  private readonly budgetMs: number;
  /** share / (1 - share): the budget per ms of gap. */
  private readonly budgetPerGapMs: number;
  private readonly maxBudgetMs: number;
  private readonly checkEvery: number;
  private readonly onWake: ((at: number) => void) | null;
  private readonly onRun: ((elapsedMs: number) => void) | null;
  /** The clock timer's callback, made once (not a closure per arming). */
  private readonly onTimer = (): void => {
    this.armed = null;
    this.armedAt = Infinity;
    this.advance();
  };

  /** columns.deadlineShift. */
  private readonly shift: number;

  /**
   * fire(id) runs when id is due, after the wheel has unlinked it (id is no longer
   * scheduled): the owner may schedule it again, release it or reuse it from there.
   */
  constructor(
    private readonly clock: Clock,
    private readonly fire: (id: number) => void,
    private readonly columns: TimerColumns,
    options: TimerWheelOptions = {},
  ) {
    this.time = Math.floor(clock.now());
    this.shift = columns.deadlineShift ?? 0;
    this.lastRunEnd = clock.monotonic();
    this.budgetMs = options.budgetMs ?? 1;
    const share = Math.min(0.9, Math.max(0, options.share ?? 0.25));
    this.budgetPerGapMs = share / (1 - share);
    this.maxBudgetMs = options.maxBudgetMs ?? 25;
    this.checkEvery = options.checkEvery ?? 64;
    this.onWake = options.onWake ?? null;
    this.onRun = options.onRun ?? null;
    this.emptyHeads();
  }

  /**
   * The time from which the wheel may have work: runDue(now) does nothing before it.
   * Never after the earliest deadline scheduled; Infinity when nothing is scheduled.
   */
  get dueAt(): number {
    return this.nextDue;
  }

  /** Number of scheduled nodes, including those due and not yet fired. */
  get size(): number {
    return this.count;
  }

  isScheduled(id: number): boolean {
    return this.columns.prev[id] !== UNSCHEDULED;
  }

  /** Schedules id at columns.deadline[id], rescheduling it if it was already scheduled. */
  schedule(id: number): void {
    if (this.columns.prev[id] !== UNSCHEDULED) this.unlink(id);
    else this.count++;
    const deadline = this.columns.deadline[id << this.shift]!;
    if (deadline <= this.time && !this.draining) {
      // Due by the wheel's time. If the wall clock went back since, that time is ahead
      // of it: follow the clock, so that nothing fires before its deadline.
      const now = Math.floor(this.clock.now());
      if (deadline > now) this.rebase(now);
    }
    this.place(id);
    if (this.draining) return;
    if (deadline <= this.time) this.wake(this.time);
    else if (deadline < this.nextDue) this.wake(this.nextEventTime());
  }

  /** Removes id if scheduled; a no-op otherwise. The last one out disarms the timer. */
  cancel(id: number): void {
    if (this.columns.prev[id] === UNSCHEDULED) return;
    this.unlink(id);
    if (--this.count === 0) {
      this.dropStaging();
      if (!this.draining) this.disarm();
    }
  }

  /** Removes every node without firing it (FLUSHDB). Nodes are left UNSCHEDULED. */
  clear(): void {
    const prev = this.columns.prev;
    const next = this.columns.next;
    for (let h = 0; h < HEADS; h++) {
      let n = this.headNext[h]!;
      while (n >= 0) {
        const following = next[n]!;
        prev[n] = UNSCHEDULED;
        next[n] = UNSCHEDULED;
        n = following;
      }
    }
    this.emptyHeads();
    this.occupiedLo.fill(0);
    this.occupiedHi.fill(0);
    this.stageIndex.fill(-1);
    this.overflowRecheckAt = Infinity;
    this.count = 0;
    this.disarm();
  }

  /** Stops the clock timer for good (server shutdown): nothing fires afterwards. */
  close(): void {
    this.closed = true;
    this.disarm();
  }

  /**
   * Stops firing (DEBUG SET-ACTIVE-EXPIRE 0): the clock timer is disarmed, advance() and
   * runDue() fire nothing, and nodes stay scheduled, so resume() reclaims what fell due
   * meanwhile. The owner's lazy expiry on access is not the wheel's business.
   */
  pause(): void {
    this.paused = true;
    this.disarm();
  }

  /** Fires again after pause(): what is due now fires on the next run. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.count > 0) this.wake(this.hasWorkNow() ? this.time : this.nextEventTime());
  }

  /**
   * Moves time to now and fires what is due, within the budget: the run's share of the
   * time since the previous run (see Budget above), and at least floorMs. Returns true
   * when everything due has fired, false when the budget ran out (a continuation is
   * armed).
   */
  advance(now: number = this.clock.now(), floorMs: number = this.budgetMs): boolean {
    if (this.paused) return false;
    now = Math.floor(now);
    if (now < this.time) this.rebase(now);
    this.draining = true;
    const start = this.clock.monotonic();
    this.firedAt = this.clock.wallAt(start);
    const countBefore = this.count;
    // The share is of the time work has waited: since the last run ended, unless that run
    // left nothing to do; then since the first slot now due started (idle time is no
    // backlog: a run that starts on time gets the floor).
    let waited = start - this.lastRunEnd;
    if (!this.hasWorkNow()) waited = Math.min(waited, Math.max(0, this.firedAt - this.nextEventTime()));
    const budget = Math.max(floorMs, Math.min(this.maxBudgetMs, waited * this.budgetPerGapMs));
    try {
      for (;;) {
        if (!this.drainCascade(start, budget)) return false;
        if (!this.drainDue(start, budget)) return false;
        const next = this.nextEventTime();
        if (next > now) break;
        this.time = next;
        this.processEvent(next);
      }
      if (now > this.time) this.time = now;
      this.sortAhead(start, budget);
      return true;
    } finally {
      this.draining = false;
      this.lastRunEnd = this.clock.monotonic();
      if (this.onRun !== null && this.count !== countBefore) this.onRun(this.lastRunEnd - start);
      this.nextDue = Infinity;
      if (this.count === 0) this.dropStaging();
      if (!this.closed) this.wake(this.hasWorkNow() ? this.time : this.nextEventTime());
    }
  }

  /**
   * advance(now) if the wheel has work due by now, with no floor to its budget: for an
   * owner that calls it between batches of other work, with a time it has already read
   * (a command's time). The time never goes back here (a time older than the wheel's is
   * taken as the wheel's); a clock stepping back is the wheel's own timer's business.
   */
  runDue(now: number): void {
    if (now < this.nextDue || this.closed || this.paused) return;
    this.advance(Math.max(now, this.time), 0);
  }

  /**
   * Number of scheduled nodes whose deadline is at or before `now`: due and not fired
   * yet, because the due list is being drained in batches or because the clock timer
   * has not run yet. Exact, and costs no bookkeeping on schedule or cancel: it walks
   * the due and cascade lists and the slots that start at or before `now`. The wheel
   * keeps every slot it has not reached after its time, so those are the slots the
   * clock has passed and the wheel has not: the walk is O(nodes past their deadline),
   * plus the rest of at most one partly passed slot per level, and nothing when the
   * wheel is on time.
   */
  countDueBy(now: number): number {
    let n = this.countList(DUE, now) + this.countList(CASCADE, now);
    const t = this.time;
    for (let level = 0; level < LEVELS; level++) {
      const span = GRANULARITY[level + 1]!;
      const base = Math.floor(t / span) * span;
      for (let half = 0; half < 2; half++) {
        let bits = half === 0 ? this.occupiedLo[level]! : this.occupiedHi[level]!;
        while (bits !== 0) {
          const index = half * 32 + lowestBit(bits);
          bits &= bits - 1;
          if (base + index * GRANULARITY[level]! > now) break;
          n += this.countList(level * SLOTS + index, now);
        }
      }
    }
    for (let level = FIRST_STAGED_LEVEL; level < LEVELS; level++) {
      const index = this.stageIndex[level]!;
      if (index < 0 || this.slotStart(level, index) > now) continue;
      for (let digit = 0; digit < SLOTS; digit++) n += this.countList(STAGE_HEADS + level * SLOTS + digit, now);
    }
    if (this.overflowRecheckAt <= now) n += this.countList(OVERFLOW, now);
    return n;
  }

  /** Nodes wait to fire or to be placed again: continue without waiting for a slot. */
  private hasWorkNow(): boolean {
    return !this.isEmpty(DUE) || !this.isEmpty(CASCADE);
  }

  /** The wheel's time: every node due at or before it has fired or is firing. */
  currentTime(): number {
    return this.time;
  }

  /**
   * Moves the wheel's time back to `now` (the wall clock went back) and places every
   * node again relative to it. O(n), and only after a backward clock step: slots are
   * positions relative to the wheel's time, and a node whose deadline is not after that
   * time would otherwise count as due. Every list is spliced onto the cascade list
   * first (O(1) each), then its nodes are placed one by one: no array of ids is built.
   */
  private rebase(now: number): void {
    for (let h = 0; h < HEADS; h++) if (h !== CASCADE && !this.isEmpty(h)) this.spliceInto(h, CASCADE);
    this.occupiedLo.fill(0);
    this.occupiedHi.fill(0);
    this.stageIndex.fill(-1);
    this.overflowRecheckAt = Infinity;
    this.time = now;
    while (!this.isEmpty(CASCADE)) {
      const id = this.headNext[CASCADE]!;
      this.unlink(id);
      this.place(id);
    }
    this.disarm();
    if (!this.draining) this.wake(this.hasWorkNow() ? now : this.nextEventTime());
  }

  /** Links id (not in any list) into the list its deadline belongs to, relative to the time. */
  private place(id: number): void {
    const d = this.columns.deadline[id << this.shift]!;
    const t = this.time;
    let head: number;
    if (d <= t) {
      head = DUE;
    } else {
      let level = 0;
      while (level < LEVELS && Math.floor(d / GRANULARITY[level + 1]!) !== Math.floor(t / GRANULARITY[level + 1]!)) {
        level++;
      }
      if (level === LEVELS) {
        head = OVERFLOW;
        // Digits above the top level change only at multiples of RANGE: look again then.
        if (this.overflowRecheckAt === Infinity) this.overflowRecheckAt = (Math.floor(t / RANGE) + 1) * RANGE;
      } else {
        const index = Math.floor(d / GRANULARITY[level]!) & (SLOTS - 1);
        if (index === this.stageIndex[level]) {
          // The slot is being sorted ahead: straight to its staging list.
          head = STAGE_HEADS + level * SLOTS + (Math.floor(d / GRANULARITY[level - 1]!) & (SLOTS - 1));
        } else {
          head = level * SLOTS + index;
          if (index < 32) this.occupiedLo[level]! |= 1 << index;
          else this.occupiedHi[level]! |= 1 << (index - 32);
        }
      }
    }
    this.append(head, id);
  }

  /** Links id (not in any list) at the end of list `head`. */
  private append(head: number, id: number): void {
    const c = this.columns;
    const last = this.headPrev[head]!;
    c.prev[id] = last;
    c.next[id] = linkOf(head);
    // last < 0: the list was empty and last is the head itself.
    if (last >= 0) c.next[last] = id;
    else this.headNext[head] = id;
    this.headPrev[head] = id;
  }

  /** Unlinks a scheduled id from its list, whichever it is; its links become UNSCHEDULED. */
  private unlink(id: number): void {
    const c = this.columns;
    const prev = c.prev[id]!;
    const next = c.next[id]!;
    if (prev >= 0) c.next[prev] = next;
    else this.headNext[-2 - prev] = next;
    if (next >= 0) c.prev[next] = prev;
    else this.headPrev[-2 - next] = prev;
    c.prev[id] = UNSCHEDULED;
    c.next[id] = UNSCHEDULED;
    if (prev === next) {
      // Only the head is left (two equal links around a node name the head): the list is empty.
      const head = -2 - prev;
      if (head < SLOT_HEADS) {
        if ((head & (SLOTS - 1)) !== this.stageIndex[head >> SLOT_BITS]) this.clearBit(head);
      } else if (head === OVERFLOW) {
        this.overflowRecheckAt = Infinity;
      }
    }
  }

  private isEmpty(head: number): boolean {
    return this.headNext[head] === linkOf(head);
  }

  /** Every head links to itself: every list empty. */
  private emptyHeads(): void {
    for (let h = 0; h < HEADS; h++) {
      this.headPrev[h] = linkOf(h);
      this.headNext[h] = linkOf(h);
    }
  }

  private clearBit(slot: number): void {
    const level = slot >> SLOT_BITS;
    const index = slot & (SLOTS - 1);
    if (index < 32) this.occupiedLo[level]! &= ~(1 << index);
    else this.occupiedHi[level]! &= ~(1 << (index - 32));
  }

  /** The earliest time at which a slot needs processing, or Infinity. */
  private nextEventTime(): number {
    let best = this.overflowRecheckAt;
    const t = this.time;
    for (let level = 0; level < LEVELS; level++) {
      const lo = this.occupiedLo[level]!;
      const hi = this.occupiedHi[level]!;
      if (lo === 0 && hi === 0) continue;
      const index = lo !== 0 ? lowestBit(lo) : 32 + lowestBit(hi);
      const span = GRANULARITY[level + 1]!;
      const at = Math.floor(t / span) * span + index * GRANULARITY[level]!;
      if (at < best) best = at;
    }
    return best;
  }

  /**
   * Collects every occupied slot that starts at time e, in O(1) per slot: level 0 into
   * the due list, higher levels (and the overflow list at its recheck time) into the
   * cascade list. Placed relative to e, cascaded nodes land in slots after e or, when
   * due at e, in the due list; never in a slot collected here.
   */
  private processEvent(e: number): void {
    for (let level = LEVELS - 1; level >= 1; level--) {
      const g = GRANULARITY[level]!;
      if (e % g !== 0) continue;
      const index = Math.floor(e / g) & (SLOTS - 1);
      const head = level * SLOTS + index;
      const staged = this.stageIndex[level] === index;
      if (this.isEmpty(head) && !staged) continue;
      this.clearBit(head);
      if (staged) this.unstage(level);
      if (!this.isEmpty(head)) this.spliceInto(head, CASCADE);
    }
    const head0 = e & (SLOTS - 1);
    if (!this.isEmpty(head0)) {
      this.clearBit(head0);
      this.spliceInto(head0, DUE);
    }
    if (e >= this.overflowRecheckAt) {
      this.overflowRecheckAt = Infinity;
      if (!this.isEmpty(OVERFLOW)) this.spliceInto(OVERFLOW, CASCADE);
    }
  }

  /**
   * The time has reached the staged slot of `level` (its start, e): its staging lists go
   * to the level below, each into the slot of its digit (e's digit there is 0, so a
   * node of digit j >= 1 belongs at level - 1, slot j), in O(1) each; digit 0 is due
   * within the first sub-slot and is placed one by one with the cascade list.
   */
  private unstage(level: number): void {
    this.stageIndex[level] = -1;
    const below = level - 1;
    for (let digit = 0; digit < SLOTS; digit++) {
      const staging = STAGE_HEADS + level * SLOTS + digit;
      if (this.isEmpty(staging)) continue;
      if (digit === 0) {
        this.spliceInto(staging, CASCADE);
        continue;
      }
      this.spliceInto(staging, below * SLOTS + digit);
      if (digit < 32) this.occupiedLo[below]! |= 1 << digit;
      else this.occupiedHi[below]! |= 1 << (digit - 32);
    }
  }

  /**
   * The wheel holds no node: no slot stays staged, since a staged slot keeps its
   * occupancy bit and would arm a timer for nothing.
   */
  private dropStaging(): void {
    for (let level = FIRST_STAGED_LEVEL; level < LEVELS; level++) {
      const index = this.stageIndex[level]!;
      if (index < 0) continue;
      this.stageIndex[level] = -1;
      this.clearBit(level * SLOTS + index);
    }
  }

  /** When slot `index` of `level` starts, relative to the wheel's time. */
  private slotStart(level: number, index: number): number {
    const span = GRANULARITY[level + 1]!;
    return Math.floor(this.time / span) * span + index * GRANULARITY[level]!;
  }

  /**
   * Sorts ahead (see Cascading ahead), within what is left of the run's budget and at
   * most STAGE_PER_RUN nodes: each level >= 2 stages its next occupied slot, the one that
   * starts first is sorted first.
   */
  private sortAhead(start: number, budget: number): void {
    let moved = 0;
    for (;;) {
      let level = -1;
      let at = Infinity;
      for (let l = FIRST_STAGED_LEVEL; l < LEVELS; l++) {
        let index = this.stageIndex[l]!;
        if (index < 0) {
          const lo = this.occupiedLo[l]!;
          const hi = this.occupiedHi[l]!;
          if (lo === 0 && hi === 0) continue;
          index = lo !== 0 ? lowestBit(lo) : 32 + lowestBit(hi);
          this.stageIndex[l] = index;
        }
        if (this.isEmpty(l * SLOTS + index)) continue;
        const slotAt = this.slotStart(l, index);
        if (slotAt < at) {
          at = slotAt;
          level = l;
        }
      }
      if (level < 0) return;
      const head = level * SLOTS + this.stageIndex[level]!;
      const below = GRANULARITY[level - 1]!;
      const staging = STAGE_HEADS + level * SLOTS;
      while (!this.isEmpty(head)) {
        const id = this.headNext[head]!;
        this.unlink(id);
        this.append(staging + (Math.floor(this.columns.deadline[id << this.shift]! / below) & (SLOTS - 1)), id);
        if (++moved >= STAGE_PER_RUN) return;
        if (moved % this.checkEvery === 0 && this.clock.monotonic() - start >= budget) return;
      }
    }
  }

  /** Moves every node of the non-empty list `from` to the end of list `to`, in O(1). */
  private spliceInto(from: number, to: number): void {
    const c = this.columns;
    const first = this.headNext[from]!;
    const last = this.headPrev[from]!;
    const tail = this.headPrev[to]!;
    if (tail >= 0) c.next[tail] = first;
    else this.headNext[to] = first;
    c.prev[first] = tail;
    c.next[last] = linkOf(to);
    this.headPrev[to] = last;
    this.headNext[from] = linkOf(from);
    this.headPrev[from] = linkOf(from);
  }

  /** Places cascading nodes until none is left (true) or the budget is spent (false). */
  private drainCascade(start: number, budget: number): boolean {
    let sinceCheck = 0;
    while (!this.isEmpty(CASCADE)) {
      const id = this.headNext[CASCADE]!;
      this.unlink(id);
      this.place(id);
      this.cascadedNodes++;
      if (++sinceCheck >= this.checkEvery) {
        sinceCheck = 0;
        if (this.clock.monotonic() - start >= budget) return this.isEmpty(CASCADE);
      }
    }
    return true;
  }

  /**
   * Fires due nodes until the list is empty (true) or the budget is spent (false). The
   * callback may grow the owner's columns: nothing read from them is kept across it.
   */
  private drainDue(start: number, budget: number): boolean {
    let sinceCheck = 0;
    while (!this.isEmpty(DUE)) {
      const id = this.headNext[DUE]!;
      this.unlink(id);
      this.count--;
      this.fire(id);
      if (++sinceCheck >= this.checkEvery) {
        sinceCheck = 0;
        const m = this.clock.monotonic();
        this.firedAt = this.clock.wallAt(m);
        if (m - start >= budget) return this.isEmpty(DUE);
      }
    }
    return true;
  }

  /** Number of nodes of list `head` whose deadline is at or before now. */
  private countList(head: number, now: number): number {
    const next = this.columns.next;
    const deadline = this.columns.deadline;
    const shift = this.shift;
    let n = 0;
    for (let id = this.headNext[head]!; id >= 0; id = next[id]!) if (deadline[id << shift]! <= now) n++;
    return n;
  }

  /**
   * The wheel has work from time at (Infinity: none): lowers dueAt, telling the owner,
   * and arms the clock timer for it unless it is armed for an earlier time already.
   */
  private wake(at: number): void {
    if (this.closed || this.paused) return;
    if (at === Infinity) {
      this.disarm();
      return;
    }
    if (at < this.nextDue) {
      this.nextDue = at;
      this.onWake?.(at);
    }
    if (this.armed !== null) {
      if (at >= this.armedAt) return;
      this.clock.clearTimer(this.armed);
    }
    this.armedAt = at;
    const delay = at - this.clock.now();
    this.armed = delay <= 0 ? this.clock.defer(this.onTimer) : this.clock.setTimer(this.onTimer, Math.ceil(delay));
  }

  /** Stops the timer: nothing is scheduled (or the wheel is closed). */
  private disarm(): void {
    if (this.armed !== null) this.clock.clearTimer(this.armed);
    this.armed = null;
    this.armedAt = Infinity;
    this.nextDue = Infinity;
  }
}

function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}
