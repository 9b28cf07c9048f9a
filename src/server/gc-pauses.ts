import { PerformanceObserver, constants } from 'node:perf_hooks';

/** V8's collection kinds, as Node reports them on 'gc' entries (detail.kind). */
const KINDS: ReadonlyMap<number, string> = new Map([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

export interface GcPauseStats {
  count: number;
  seconds: number;
  maxSeconds: number;
}

/**
 * V8's garbage-collection pauses (node:perf_hooks 'gc' entries), counted by kind: how
 * many, their total and the longest, in seconds. One per server, started with its
 * metrics endpoint (a server without one observes nothing). V8's collections are the
 * process's: two servers in one process see the same pauses, each in its own counts.
 */
export class GcPauses {
  private readonly byKind = new Map<string, GcPauseStats>();
  private observer: PerformanceObserver | null = null;

  start(): void {
    if (this.observer !== null) return;
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const detail = (entry as { detail?: { kind?: number } }).detail;
        const kind = KINDS.get(detail?.kind ?? -1) ?? 'other';
        let s = this.byKind.get(kind);
        if (s === undefined) this.byKind.set(kind, (s = { count: 0, seconds: 0, maxSeconds: 0 }));
        const seconds = entry.duration / 1000;
        s.count++;
        s.seconds += seconds;
        if (seconds > s.maxSeconds) s.maxSeconds = seconds;
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** The counts so far, by kind. */
  get stats(): ReadonlyMap<string, GcPauseStats> {
    return this.byKind;
  }

  stop(): void {
    this.observer?.disconnect();
    this.observer = null;
  }
}
