/**
 * How late things happened over a recent window of time: a histogram of lags in
 * milliseconds, kept in time slices so that old samples leave the window. Generic: it
 * knows lags and times, nothing of keys.
 *
 * Recording is O(1) with no allocation (one bucket increment), so it can sit on the
 * reclaim path of every expired key. Lags below 64 ms are kept exactly; larger ones in
 * buckets 1/32 of a power of two wide, so a percentile above 64 ms is reported within
 * about 3% (as the bucket's upper bound, never above the exact maximum). The window is
 * `slices` slices of `sliceMs`: a summary covers the current slice and the ones before
 * it, i.e. between (slices - 1) * sliceMs and slices * sliceMs of history.
 */

/** Lags below this many ms have a bucket each. */
const EXACT = 64;
/** Buckets per power of two above EXACT. */
const SUB_BITS = 5;
const SUB = 1 << SUB_BITS;
/** Powers of two from 2^6 to 2^31 ms; larger lags (25 days and more) share the last bucket. */
const BUCKETS = EXACT + (32 - 6) * SUB;

export interface LagSummary {
  /** Number of lags in the window. */
  samples: number;
  /** Median, 99th percentile (nearest rank) and maximum, in ms; 0 when there are none. */
  p50: number;
  p99: number;
  max: number;
}

export class LagWindow {
  private readonly counts: Uint32Array;
  private readonly maxes: Float64Array;
  private readonly totals: Float64Array;
  /** Absolute number (time / sliceMs) of the slice being filled. */
  private slice = -Infinity;
  /**
   * Every lag since the start (or reset()), by bucket, with their number and sum: the
   * counters of a Prometheus histogram, which only grow (cumulative()).
   */
  private readonly allCounts = new Float64Array(BUCKETS);
  private allSamples = 0;
  private allSumMs = 0;

  constructor(
    private readonly sliceMs = 5_000,
    private readonly slices = 12,
  ) {
    this.counts = new Uint32Array(slices * BUCKETS);
    this.maxes = new Float64Array(slices);
    this.totals = new Float64Array(slices);
  }

  /** Records a lag (ms, negative counts as 0) observed at time `at` (ms). */
  record(lagMs: number, at: number): void {
    const s = Math.floor(at / this.sliceMs);
    if (s > this.slice) this.moveTo(s);
    const i = ((this.slice % this.slices) + this.slices) % this.slices;
    const lag = lagMs > 0 ? Math.floor(lagMs) : 0;
    const b = bucketOf(lag);
    this.counts[i * BUCKETS + b]!++;
    this.totals[i]!++;
    this.allCounts[b]!++;
    this.allSamples++;
    this.allSumMs += lag;
    if (lag > this.maxes[i]!) this.maxes[i] = lag;
  }

  /** The lags recorded in the window that ends at `now`. */
  summary(now: number): LagSummary {
    const s = Math.floor(now / this.sliceMs);
    if (s > this.slice) this.moveTo(s);
    let samples = 0;
    let max = 0;
    for (let i = 0; i < this.slices; i++) {
      samples += this.totals[i]!;
      if (this.maxes[i]! > max) max = this.maxes[i]!;
    }
    if (samples === 0) return { samples: 0, p50: 0, p99: 0, max: 0 };
    return { samples, p50: this.percentile(0.5, samples, max), p99: this.percentile(0.99, samples, max), max };
  }

  /**
   * Every lag recorded since the start (or reset()): how many were at most each bound
   * (ms, ascending; exact when each bound is a bucket's upper bound, see upperBoundOf),
   * their number and their sum in ms.
   */
  cumulative(boundsMs: readonly number[]): { atMost: number[]; count: number; sumMs: number } {
    const atMost: number[] = [];
    let seen = 0;
    let b = 0;
    for (const bound of boundsMs) {
      while (b < BUCKETS && upperBoundOf(b) <= bound) seen += this.allCounts[b++]!;
      atMost.push(seen);
    }
    return { atMost, count: this.allSamples, sumMs: this.allSumMs };
  }

  /** Forgets every sample (CONFIG RESETSTAT). */
  reset(): void {
    this.allCounts.fill(0);
    this.allSamples = 0;
    this.allSumMs = 0;
    this.counts.fill(0);
    this.maxes.fill(0);
    this.totals.fill(0);
  }

  /** Nearest rank: the smallest lag with at least p of the samples at or below it. */
  private percentile(p: number, samples: number, max: number): number {
    const rank = Math.max(1, Math.ceil(p * samples));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      for (let i = 0; i < this.slices; i++) seen += this.counts[i * BUCKETS + b]!;
      if (seen >= rank) return Math.min(upperBoundOf(b), max);
    }
    return max;
  }

  /** Starts slice s, clearing the slices that fall out of the window. */
  private moveTo(s: number): void {
    const clear = Math.min(this.slices, s - this.slice);
    for (let k = 0; k < clear; k++) {
      const i = (((s - k) % this.slices) + this.slices) % this.slices;
      this.counts.fill(0, i * BUCKETS, (i + 1) * BUCKETS);
      this.maxes[i] = 0;
      this.totals[i] = 0;
    }
    this.slice = s;
  }
}

/** The bucket of a lag (an integer >= 0). */
export function bucketOf(lag: number): number {
  if (lag < EXACT) return lag;
  if (lag >= 2 ** 32) return BUCKETS - 1;
  const e = 31 - Math.clz32(lag);
  const sub = (lag >>> (e - SUB_BITS)) & (SUB - 1);
  return EXACT + (e - 6) * SUB + sub;
}

/** The largest lag that falls in bucket b. */
export function upperBoundOf(b: number): number {
  if (b < EXACT) return b;
  if (b === BUCKETS - 1) return Infinity;
  const e = 6 + Math.floor((b - EXACT) / SUB);
  const sub = (b - EXACT) % SUB;
  return (SUB + sub + 1) * 2 ** (e - SUB_BITS) - 1;
}
