import { performance } from 'node:perf_hooks';
/**
 * Time, passed in. The keyspace and the timer wheel read the time and arm timers only
 * through a Clock, so tests drive expiry with a ManualClock and never sleep.
 *
 * now() is wall-clock milliseconds since the epoch: Redis stores and persists absolute
 * deadlines in that unit, and EXPIREAT/PEXPIREAT take them from clients.
 */
export interface Clock {
  now(): number;
  /** Runs fn once after delayMs (>= 0). */
  setTimer(fn: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /** Runs fn soon, after pending I/O (used to continue a batch of work). */
  defer(fn: () => void): TimerHandle;
  /** A monotonic time in milliseconds, for budgets and latency measurements. */
  monotonic(): number;
  /**
   * now() at the moment monotonic() read `monotonic`: a command reads the clock once and
   * gets both its time (Redis's command time snapshot) and the start of its duration.
   */
  wallAt(monotonic: number): number;
  /** Brings wallAt back to now() if the system clock was set (called by the cron). */
  resync(): void;
}

export type TimerHandle = unknown;

/**
 * How far the derived wall time is kept behind the real one: what the two clocks can
 * drift apart between calibrations. The wall clock is slewed (NTP) against the monotonic
 * one by up to 500 ppm on Linux; measured here 160-220 ppm, which put a clock calibrated
 * with a 1 µs margin ahead of Date.now() in 2% of reads within 200 ms
 * (test/unit/system-clock.test.ts, once in CI).
 */
const DRIFT_MARGIN_MS = 0.2;
/** Calibrated again at least this often, so drift stays within the margin (500 ppm x 400 ms). */
const RECALIBRATE_MS = 400;

/** A calibration is taken when the millisecond's edge is known to within this (ms); else it waits for the next edge. */
const EDGE_PRECISION_MS = 0.05;
/** Edges tried before the best bound so far is taken (each costs up to a millisecond). */
const EDGE_ATTEMPTS = 4;

/**
 * The offset from performance.now() to the wall clock, read where Date.now() turns to the
 * next millisecond W, less the drift margin so that the derived time is never ahead.
 * The edge lies between the monotonic time before the last read that still gave W - 1
 * and the monotonic time after the first read that gave W; the offset is taken at the
 * later bound (never ahead). A thread preempted there (the machine busy) widens the
 * span by as long as it was away, which once put the offset 0.7 ms ahead (when the
 * later bound was the read before Date.now()): a span wider than EDGE_PRECISION_MS is
 * tried again at the next edge.
 */
function calibrate(): number {
  let best = -Infinity;
  for (let attempt = 0; attempt < EDGE_ATTEMPTS; attempt++) {
    let before = performance.now();
    let wall = Date.now();
    for (;;) {
      const m = performance.now();
      const w = Date.now();
      const after = performance.now();
      if (w !== wall) {
        const offset = w - after - DRIFT_MARGIN_MS;
        if (offset > best) best = offset;
        if (after - before <= EDGE_PRECISION_MS) return offset;
        break;
      }
      before = m;
      wall = w;
    }
  }
  return best;
}

/** setTimeout's delay is a signed 32-bit number of milliseconds. */
const MAX_TIMEOUT = 2 ** 31 - 1;

export class SystemClock implements Clock {
  /**
   * wallAt(m) is floor(offset + m), which must never run ahead of Date.now() (a command's
   * time ahead of the wall clock would expire keys early, and Redis's mstime() never is).
   * So the offset is taken at an edge of Date.now()'s millisecond (calibrate(): a spin of
   * at most 1 ms), where the wall clock is known to the microsecond, less DRIFT_MARGIN_MS;
   * resync() (the cron) calibrates again when wallAt has left Date.now()'s millisecond
   * (the clock was set) or RECALIBRATE_MS have passed (the clocks drift apart): a spin
   * of at most 1 ms, half a ms on average, every 400 ms.
   */
  private offset = calibrate();
  private calibratedAt = performance.now();

  now(): number {
    return Date.now();
  }

  wallAt(monotonic: number): number {
    return Math.floor(this.offset + monotonic);
  }

  resync(): void {
    const m = performance.now();
    const wall = Date.now();
    const derived = this.offset + m;
    if (derived < wall - 1 || derived >= wall + 1 || m - this.calibratedAt >= RECALIBRATE_MS) {
      this.offset = calibrate();
      this.calibratedAt = performance.now();
    }
  }

  monotonic(): number {
    return performance.now();
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const t = setTimeout(fn, Math.min(Math.max(0, delayMs), MAX_TIMEOUT));
    t.unref();
    return t;
  }

  clearTimer(handle: TimerHandle): void {
    if (handle === null || handle === undefined) return;
    if (typeof handle === 'object' && handle !== null && 'hasRef' in handle && '_onImmediate' in handle) {
      clearImmediate(handle as NodeJS.Immediate);
    } else {
      clearTimeout(handle as NodeJS.Timeout);
    }
  }

  /**
   * Not unref'd: an unref'd immediate does not keep the event loop from blocking in
   * its poll phase, so it runs only when something else wakes the loop (the next
   * socket event, or the 10 Hz cron): a wheel batch that yielded would resume up to
   * 100 ms late. A referenced one runs on the next turn and holds the loop only until
   * then, and the wheel defers only while it has work due now.
   */
  defer(fn: () => void): TimerHandle {
    const before = this.beforeDeferred;
    return before === null ? setImmediate(fn) : setImmediate(runAfter, before, fn);
  }

  /**
   * Run before each deferred callback: its owner's work that must not wait behind one.
   * The server writes the replies it holds for the end of the turn (they are written
   * from an immediate too, which a timer wheel's continuation, queued a turn earlier,
   * would precede by a whole run).
   */
  beforeDeferred: (() => void) | null = null;

}

/** SystemClock.defer's callback when its owner has work to do first (no closure per call). */
function runAfter(before: () => void, fn: () => void): void {
  before();
  fn();
}

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. advance() runs every timer due up to the new
 * time, in order, including timers armed by those timers; defer() callbacks count as
 * due immediately. monotonic() follows now().
 */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  monotonic(): number {
    return this.time;
  }

  /** monotonic() follows now(): the time it read is the time. */
  wallAt(monotonic: number): number {
    return monotonic;
  }

  resync(): void {}

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const t: ManualTimer = { at: this.time + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return t;
  }

  defer(fn: () => void): TimerHandle {
    return this.setTimer(fn, 0);
  }

  clearTimer(handle: TimerHandle): void {
    if (handle) (handle as ManualTimer).cancelled = true;
  }

  /** Number of timers still armed (for tests that check no work is scheduled). */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by ms, running due timers at their own times. */
  advance(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.timers) {
        if (t.cancelled || t.at > target) continue;
        if (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq)) next = t;
      }
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next && !t.cancelled);
      if (next.at > this.time) this.time = next.at;
      next.fn();
    }
    if (target > this.time) this.time = target;
  }

  /** Sets the wall clock without running timers (a clock jump). */
  set(time: number): void {
    this.time = time;
  }
}
