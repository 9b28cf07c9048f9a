/**
 * A latency histogram in nanoseconds with two significant digits, laid out as Redis's
 * HdrHistogram (hdr_init(1, 1e9, 2)): 256 sub-buckets, values below 256 exact, then
 * buckets that double in width, each split in 128. What Redis prints from it (INFO
 * latencystats, LATENCY HISTOGRAM) comes from the same layout here: a percentile is
 * the highest value equivalent to the recorded one (1000 ns reads 1003 ns, as in Redis).
 *
 * Recording is a few integer operations and one array increment: it runs per command.
 */

/** Redis's LATENCY_HISTOGRAM_MIN_VALUE and _MAX_VALUE: 1 ns and 1 s. */
export const HISTOGRAM_MIN_NS = 1;
export const HISTOGRAM_MAX_NS = 1_000_000_000;

const SUB_BUCKET_HALF_BITS = 7;
const SUB_BUCKET_HALF = 1 << SUB_BUCKET_HALF_BITS; // 128
const SUB_BUCKET_COUNT = SUB_BUCKET_HALF * 2; // 256
/** Buckets needed to reach 1e9: bucket b covers [128 << b, 256 << b) from b = 1 on. */
const BUCKETS = 23;
const COUNTS = (BUCKETS + 1) * SUB_BUCKET_HALF;

/** The counts index of a value in [1, 1e9]. */
function indexOf(v: number): number {
  if (v < SUB_BUCKET_COUNT) return v;
  // Bucket b: the value's top bit is at 7 + b (v >> b is then in [128, 256)).
  const b = 31 - Math.clz32(v) - SUB_BUCKET_HALF_BITS;
  return ((b + 1) << SUB_BUCKET_HALF_BITS) + ((v >>> b) - SUB_BUCKET_HALF);
}

/** The lowest value of a counts index, and its bucket's width. */
function lowestAt(index: number): number {
  if (index < SUB_BUCKET_COUNT) return index;
  const b = (index >> SUB_BUCKET_HALF_BITS) - 1;
  const sub = (index & (SUB_BUCKET_HALF - 1)) + SUB_BUCKET_HALF;
  return sub * 2 ** b;
}

function widthAt(index: number): number {
  return index < SUB_BUCKET_COUNT ? 1 : 2 ** ((index >> SUB_BUCKET_HALF_BITS) - 1);
}

/** hdr's highest_equivalent_value: the last value that lands in the same count. */
function highestAt(index: number): number {
  return lowestAt(index) + widthAt(index) - 1;
}

export class LatencyHistogram {
  /** Float64: exact counts up to 2^53 calls. */
  private readonly counts = new Float64Array(COUNTS);
  total = 0;

  /** Records a duration in ns, clamped to [1 ns, 1 s] as Redis clamps it. */
  record(ns: number): void {
    const v = ns < HISTOGRAM_MIN_NS ? HISTOGRAM_MIN_NS : ns > HISTOGRAM_MAX_NS ? HISTOGRAM_MAX_NS : Math.floor(ns);
    this.counts[indexOf(v)]!++;
    this.total++;
  }

  /**
   * hdr_value_at_percentile: the highest equivalent value of the first count at which
   * the running total reaches percentile% of all (rounded half up, at least 1); 0 if
   * empty.
   */
  valueAtPercentile(percentile: number): number {
    if (this.total === 0) return 0;
    const p = percentile < 100 ? percentile : 100;
    const wanted = Math.max(1, Math.floor((p / 100) * this.total + 0.5));
    let running = 0;
    for (let i = 0; i < COUNTS; i++) {
      running += this.counts[i]!;
      if (running >= wanted) return highestAt(i);
    }
    return 0;
  }

  /**
   * The cumulative distribution LATENCY HISTOGRAM prints (hdr_iter_log_init(1024, 2)):
   * steps at 1024 ns and each power of two after it; for each step, the values up to its
   * highest equivalent value, in µs, with the running count, only where it grew.
   */
  cumulativeLog2(): [number, number][] {
    const out: [number, number][] = [];
    if (this.total === 0) return out;
    let maxIndex = 0;
    for (let i = COUNTS - 1; i >= 0; i--) {
      if (this.counts[i] !== 0) {
        maxIndex = i;
        break;
      }
    }
    const maxValue = lowestAt(maxIndex);
    let running = 0;
    let index = 0;
    let previous = 0;
    // A step at level L (1024, 2048, ...) counts the values below L and is labelled with
    // the highest value equivalent to L, in whole µs (1, 2, 4, ... 1056 at 2^20), as the
    // iterator reports it.
    for (let limit = 1024; ; limit *= 2) {
      const top = indexOf(Math.min(limit - 1, HISTOGRAM_MAX_NS));
      while (index <= top && index < COUNTS) running += this.counts[index++]!;
      if (running > previous) out.push([Math.floor(highestAt(indexOf(Math.min(limit, HISTOGRAM_MAX_NS))) / 1000), running]);
      previous = running;
      if (limit > maxValue || limit > HISTOGRAM_MAX_NS) break;
    }
    return out;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }
}
