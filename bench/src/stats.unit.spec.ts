import { describe, expect, it } from 'vitest';
import { median, percentiles, quantile, ratio, relativeSpread, summarize } from './stats.js';

describe('summarize', () => {
  it('gives the median and the spread of the rounds, whatever their order', () => {
    const summary = summarize([120, 100, 110, 130, 90]);
    expect(summary).toMatchObject({ n: 5, median: 110, min: 90, max: 130, p25: 100, p75: 120, mean: 110 });
  });

  it('interpolates the median of an even number of rounds', () => {
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(summarize([4, 1]).median).toBe(2.5);
  });

  it('ignores values that are not finite, and is all NaN when none is left', () => {
    expect(summarize([Number.NaN, 5, Number.POSITIVE_INFINITY])).toMatchObject({ n: 1, median: 5, min: 5, max: 5 });
    const empty = summarize([]);
    expect(empty.n).toBe(0);
    expect(empty.median).toBeNaN();
  });
});

describe('quantile and percentiles', () => {
  it('interpolates linearly between the closest ranks', () => {
    expect(quantile([10, 20, 30, 40, 50], 0.25)).toBe(20);
    expect(quantile([10, 20], 0.99)).toBeCloseTo(19.9);
    expect(quantile([7], 0.5)).toBe(7);
  });

  it('rejects a quantile outside 0…1', () => {
    expect(() => quantile([1, 2], 1.5)).toThrow(RangeError);
  });

  it('gives p50, p99 and the maximum of a latency sample', () => {
    const sample = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentiles(sample)).toEqual({ count: 100, p50: 50.5, p99: 99.01, max: 100 });
  });
});

describe('ratio and relativeSpread', () => {
  it('divides two medians, NaN when one is missing or zero', () => {
    expect(ratio(300, 100)).toBe(3);
    expect(ratio(300, undefined)).toBeNaN();
    expect(ratio(300, 0)).toBeNaN();
  });

  it('measures the spread of the rounds against their median', () => {
    expect(relativeSpread(summarize([90, 100, 110]))).toBeCloseTo(0.2);
  });
});
