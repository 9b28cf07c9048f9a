/** Order statistics for noisy measurements: medians and spreads, never single times. */

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** min..max of the rounds, as a compact spread. */
export function spread(values: readonly number[], digits = 0): string {
  if (values.length === 0) return '-';
  return `${fmt(Math.min(...values), digits)}..${fmt(Math.max(...values), digits)}`;
}

export function fmt(v: number, digits = 0): string {
  // No figure (a server without that metric): shown as a dash.
  if (Number.isNaN(v)) return '-';
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000 && digits === 0) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(digits);
}

export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '-';
  return (a / b).toFixed(2);
}

/** What a probe's round trips (ms each) are reported as: p99, p99.9, the longest, how many. */
export interface RoundTrips {
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  roundTrips: number;
}

export function roundTrips(latencies: readonly number[]): RoundTrips {
  let max = latencies.length === 0 ? NaN : -Infinity;
  for (const l of latencies) if (l > max) max = l;
  return { p99Ms: quantile(latencies, 0.99), p999Ms: quantile(latencies, 0.999), maxMs: max, roundTrips: latencies.length };
}
