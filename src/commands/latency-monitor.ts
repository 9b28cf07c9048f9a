import { PerformanceObserver } from 'node:perf_hooks';

/** Redis's LATENCY_TS_LEN: samples kept per event. */
export const LATENCY_SAMPLES = 160;

/** One event's history (Redis's latencyTimeSeries): a ring of (second, ms) samples and the all-time maximum. */
export class LatencySeries {
  /** Unix seconds per slot; 0: empty. */
  readonly times = new Float64Array(LATENCY_SAMPLES);
  readonly latencies = new Float64Array(LATENCY_SAMPLES);
  /** The next slot to write. */
  index = 0;
  max = 0;

  /** The samples oldest first, as [time, latency]. */
  samples(): [number, number][] {
    const out: [number, number][] = [];
    for (let j = 0; j < LATENCY_SAMPLES; j++) {
      const i = (this.index + j) % LATENCY_SAMPLES;
      if (this.times[i] !== 0) out.push([this.times[i]!, this.latencies[i]!]);
    }
    return out;
  }

  /** The last sample written. */
  latest(): [number, number] {
    const last = (this.index + LATENCY_SAMPLES - 1) % LATENCY_SAMPLES;
    return [this.times[last]!, this.latencies[last]!];
  }
}

/**
 * One server's latency monitor (Redis's latency.c): per event, the samples of at least
 * latency-monitor-threshold ms, one per second (the largest of that second), the last
 * 160 seconds that had one. Events are kept in the order they first happened.
 *
 * Events, as Redis names them where lapse does the same work: `command` and
 * `fast-command` (a command's run), `command-unblocking` (serving a blocked client),
 * `expire-cycle` (a batch of the expiry wheel), `eviction-cycle` (evicting before a
 * command), `eviction-del` (one key's eviction). lapse's own: `bgsave-turn` (one turn of
 * a fork-less background save) and `gc` (a garbage-collection pause observed by V8).
 */
export class LatencyMonitor {
  readonly events = new Map<string, LatencySeries>();
  /** latency-monitor-threshold, ms; 0: off. */
  private threshold = 0;
  /** V8's garbage collections, observed while the monitor is on (each server its own observer). */
  private gcObserver: PerformanceObserver | null = null;

  get thresholdMs(): number {
    return this.threshold;
  }

  /** latency-monitor-threshold: 0 turns the monitor off, and with it the observation of GC pauses. */
  set thresholdMs(ms: number) {
    this.threshold = ms;
    if (ms > 0 && this.gcObserver === null) {
      this.gcObserver = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) this.addIfNeeded('gc', entry.duration);
      });
      this.gcObserver.observe({ entryTypes: ['gc'] });
    } else if (ms === 0) {
      this.close();
    }
  }

  /** Stops observing GC (the server closes). */
  close(): void {
    this.gcObserver?.disconnect();
    this.gcObserver = null;
  }

  /** latencyAddSampleIfNeeded: records `ms` (whole ms) if the monitor is on and it reaches the threshold. */
  addIfNeeded(event: string, ms: number): void {
    if (this.threshold > 0 && ms >= this.threshold) this.add(event, Math.floor(ms));
  }

  add(event: string, ms: number): void {
    let series = this.events.get(event);
    if (series === undefined) {
      series = new LatencySeries();
      this.events.set(event, series);
    }
    const now = Math.floor(Date.now() / 1000);
    if (ms > series.max) series.max = ms;
    const prev = (series.index + LATENCY_SAMPLES - 1) % LATENCY_SAMPLES;
    if (series.times[prev] === now) {
      if (ms > series.latencies[prev]!) series.latencies[prev] = ms;
      return;
    }
    series.times[series.index] = now;
    series.latencies[series.index] = ms;
    series.index = (series.index + 1) % LATENCY_SAMPLES;
  }

  /** LATENCY RESET: every event (null) or those named (ASCII case-insensitive); how many were dropped. */
  reset(event: string | null): number {
    let n = 0;
    for (const name of [...this.events.keys()]) {
      if (event === null || name.toLowerCase() === event.toLowerCase()) {
        this.events.delete(name);
        n++;
      }
    }
    return n;
  }
}
