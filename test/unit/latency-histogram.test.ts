import { describe, expect, test } from 'vitest';
import { LatencyHistogram } from '../../src/util/latency-histogram.js';

/**
 * The histogram behind INFO latencystats and LATENCY HISTOGRAM, laid out as Redis's
 * hdr_init(1, 1e9, 2): values below 256 ns exact, then two significant digits; a
 * percentile reads the highest value equivalent to the recorded one.
 */
describe('LatencyHistogram', () => {
  test('percentiles are the highest equivalent values, as Redis prints them (1 µs reads 1.003)', () => {
    const h = new LatencyHistogram();
    h.record(1000);
    expect(h.valueAtPercentile(50)).toBe(1003);
    const exact = new LatencyHistogram();
    for (const v of [1, 2, 255]) exact.record(v);
    expect([exact.valueAtPercentile(0), exact.valueAtPercentile(50), exact.valueAtPercentile(100)]).toEqual([1, 2, 255]);
    const wide = new LatencyHistogram();
    wide.record(256);
    wide.record(1e9);
    expect(wide.valueAtPercentile(50)).toBe(257);
    expect(wide.valueAtPercentile(100)).toBe(998244352 + 2 ** 22 - 1);
  });

  test('values are clamped to [1 ns, 1 s]; an empty histogram reads 0', () => {
    const h = new LatencyHistogram();
    expect(h.valueAtPercentile(99)).toBe(0);
    h.record(0);
    h.record(5e9);
    expect(h.total).toBe(2);
    expect(h.valueAtPercentile(1)).toBe(1);
    expect(h.valueAtPercentile(100)).toBeGreaterThanOrEqual(1e9);
  });

  test('percentile ranks round half up, at least the first count (hdr_value_at_percentile)', () => {
    const h = new LatencyHistogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.valueAtPercentile(50)).toBe(50);
    expect(h.valueAtPercentile(99)).toBe(99);
    expect(h.valueAtPercentile(99.9)).toBe(100);
    expect(h.valueAtPercentile(0)).toBe(1);
  });

  test('the cumulative distribution steps at 1024 ns and each power of two, labelled in whole µs where it grows', () => {
    const h = new LatencyHistogram();
    for (const v of [500, 500, 500, 1500, 5000]) h.record(v);
    expect(h.cumulativeLog2()).toEqual([[1, 3], [2, 4], [8, 5]]);
    const slow = new LatencyHistogram();
    slow.record(40_000);
    slow.record(1_500_000);
    expect(slow.cumulativeLog2()).toEqual([[66, 1], [2113, 2]]);
    expect(new LatencyHistogram().cumulativeLog2()).toEqual([]);
  });
});
