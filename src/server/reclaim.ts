/**
 * When lapse asks V8 for a full garbage collection by itself, so that memory freed by
 * deleted keys goes back to the system without a client's MEMORY PURGE (heap.ts says
 * where the memory is and why it waits for a full GC).
 *
 * A forced GC is atomic: every client waits for it. Its pause grows with the live heap
 * (measured, node 20 on this project's shared 2-core machine, so noisy: a bare Map of
 * session-sized entries took ~3 ms at 7 MB, ~15 ms at 43 MB, ~45 ms at 127 MB, ~130 ms at
 * 400 MB; lapse itself, after a FLUSHDB left 1 KB values alive, 12-34 ms at 60 MB, 42 ms
 * at 180 MB, 66 ms at 360 MB: 0.2-0.35 ms per MB). So the Reclaimer predicts each pause
 * from the live memory and the pauses it has seen, and collects only:
 *
 * - when the server is quiet (no command for QUIET_MS) and V8 holds much more than the
 *   live data: held - live >= max(16 MB, live / 2), where held is the heap's committed
 *   pages plus external memory (garbage, free pages, a grown young generation) and live
 *   is the estimate at the last full GC plus the keys' change since; or when at least
 *   16 MB are known to be garbage (garbage(): a large set or hash that grew left its old
 *   arenas, ~28 MB for 1M members, which live / 2 hid, the live estimate counting the
 *   arenas that a GC never traces); and the predicted pause is at most
 *   QUIET_PAUSE_MAX_MS. A busy server's young generation is not counted as something to
 *   give back then: V8 gives it back at a quiet GC.
 * - or, while commands run, just after a large deletion: the old generation and external
 *   memory in use exceed live by max(64 MB, live), and the predicted pause is at most
 *   BUSY_PAUSE_MAX_MS (the order of V8's own young-generation pauses), which holds only
 *   when little is left alive (after a FLUSHALL).
 *
 * Not while commands run and the live data is shrinking by DELETING_BYTES or more a tick:
 * a deletion in progress (a million session keys expiring within a second, at ~27 MB a
 * tick) ends with more to give back than its middle has, and collecting in its middle
 * paused the clients twice (this collection, 8 ms, and the calibration's a tick later,
 * 15 ms: in one of four traced rounds of the mass-expiry bench at stop 35, that round's
 * slowest round trips). The collection comes at the first tick after the shrinking stops
 * (a FLUSHALL: one tick later).
 *
 * Never more often than once a second, nor more than 1/PAUSE_SHARE of the time; when a
 * collection leaves the condition true (memory V8 will not give back yet, e.g. a young
 * generation that shrinks only once the allocation rate has been low for seconds), the
 * wait doubles, up to a minute, and is reset when the condition clears.
 */

/** What the Reclaimer reads and does; the server's Memory implements it over V8. */
export interface ReclaimProbe {
  /** Live bytes (heap.ts liveMemory), estimated: at the last full GC plus the keys' change since. */
  live(): number;
  /** The same bytes in use now, garbage included (liveMemory now). */
  inUse(): number;
  /** Bytes V8 holds now that a GC could give back or keep: committed heap pages (free ones included) and external memory, the clients' buffers left out. */
  held(): number;
  /**
   * Bytes known to be garbage since the last full GC lapse ran: stores dropped, slab
   * segments released, collections' arenas and index arrays replaced (Keyspace.garbageBytes).
   */
  garbage(): number;
  /** Runs a full GC and re-anchors the live estimate; returns the pause in ms. */
  collect(): number;
}

/** A server is quiet after this long without a command. */
export const QUIET_MS = 500;
const MB = 1024 * 1024;
const QUIET_MIN_BYTES = 16 * MB;
const BUSY_MIN_BYTES = 64 * MB;
/** A shrink of the live data in one tick from which a deletion is taken to be in progress. */
const DELETING_BYTES = MB;
const QUIET_PAUSE_MAX_MS = 200;
const BUSY_PAUSE_MAX_MS = 10;
const MIN_INTERVAL_MS = 1000;
const MAX_INTERVAL_MS = 64_000;
/** Forced pauses take at most 1/PAUSE_SHARE of the time. */
const PAUSE_SHARE = 50;
/** The pause per live byte assumed before one was measured (0.5 ms per MB, above what was measured). */
const INITIAL_MS_PER_BYTE = 0.5 / MB;
/** Below this, a pause is mostly fixed costs: the rate is learned from larger heaps only. */
const LEARN_MIN_LIVE = 32 * MB;

export class Reclaimer {
  /** Collections the Reclaimer ran, and their pauses (INFO lapse_reclaim_*). */
  collections = 0;
  lastPauseMs = 0;
  maxPauseMs = 0;
  private msPerByte = INITIAL_MS_PER_BYTE;
  private lastCommands = -1;
  private quietSince = 0;
  private notBefore = 0;
  private interval = MIN_INTERVAL_MS;
  /** The last tick collected: if the next due tick finds the condition still true, the wait doubles. */
  private collectedLast = false;
  /** live() at the previous tick (-1 before the first). */
  private liveBefore = -1;

  constructor(private readonly probe: ReclaimProbe) {}

  /** The pause a full GC would take now, ms (predicted). */
  predictedPauseMs(): number {
    return this.probe.live() * this.msPerByte;
  }

  /**
   * Called from the server's cron (10 times a second) with a monotonic time (ms) and
   * the count of commands processed so far; collects when the rules above say so.
   */
  tick(now: number, commandsProcessed: number): void {
    if (commandsProcessed !== this.lastCommands) {
      this.lastCommands = commandsProcessed;
      this.quietSince = now;
    }
    const live = this.probe.live();
    const deleting = this.liveBefore >= 0 && this.liveBefore - live >= DELETING_BYTES;
    this.liveBefore = live;
    if (now < this.notBefore) return;
    const quiet = now - this.quietSince >= QUIET_MS;
    if (!quiet && deleting) return;
    if (!this.due(quiet)) {
      this.collectedLast = false;
      this.interval = MIN_INTERVAL_MS;
      return;
    }
    if (this.collectedLast) this.interval = Math.min(MAX_INTERVAL_MS, this.interval * 2);
    const pause = this.probe.collect();
    this.collections++;
    this.lastPauseMs = pause;
    this.maxPauseMs = Math.max(this.maxPauseMs, pause);
    if (live >= LEARN_MIN_LIVE) this.msPerByte = (this.msPerByte + pause / live) / 2;
    this.collectedLast = true;
    this.notBefore = now + Math.max(this.interval, PAUSE_SHARE * pause);
  }

  private due(quiet: boolean): boolean {
    const live = this.probe.live();
    const predicted = live * this.msPerByte;
    if (quiet) {
      if (predicted > QUIET_PAUSE_MAX_MS) return false;
      return this.probe.held() - live >= Math.max(QUIET_MIN_BYTES, live / 2) || this.probe.garbage() >= QUIET_MIN_BYTES;
    }
    return predicted <= BUSY_PAUSE_MAX_MS && this.probe.inUse() - live >= Math.max(BUSY_MIN_BYTES, live);
  }
}
