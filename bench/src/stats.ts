/**
 * Statistics over repeated rounds: medians and spreads, and latency percentiles. Pure functions.
 */

/** What a figure measured over several rounds is reported as: the median, and how far the rounds spread. */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** First and third quartiles (linear interpolation between closest ranks). */
  readonly p25: number;
  readonly p75: number;
  readonly mean: number;
}

const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

/**
 * The q-quantile (0 ≤ q ≤ 1) of already sorted values, interpolating linearly between the two
 * closest ranks (the method spreadsheets and numpy use by default).
 */
export const quantileSorted = (values: readonly number[], q: number): number => {
  if (values.length === 0) return Number.NaN;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be between 0 and 1, got ${q}`);
  const position = (values.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = values[lower] as number;
  const high = values[upper] as number;
  return low + (high - low) * (position - lower);
};

export const quantile = (values: readonly number[], q: number): number => quantileSorted(sorted(values), q);

export const median = (values: readonly number[]): number => quantile(values, 0.5);

export const summarize = (values: readonly number[]): Summary => {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) {
    return { n: 0, median: Number.NaN, min: Number.NaN, max: Number.NaN, p25: Number.NaN, p75: Number.NaN, mean: Number.NaN };
  }
  const s = sorted(finite);
  return {
    n: s.length,
    median: quantileSorted(s, 0.5),
    min: s[0] as number,
    max: s[s.length - 1] as number,
    p25: quantileSorted(s, 0.25),
    p75: quantileSorted(s, 0.75),
    mean: s.reduce((sum, value) => sum + value, 0) / s.length,
  };
};

/** Latency percentiles of a sample, in the sample's unit. */
export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export const percentiles = (samples: readonly number[]): Percentiles => {
  const s = sorted(samples.filter((value) => Number.isFinite(value)));
  return {
    count: s.length,
    p50: quantileSorted(s, 0.5),
    p99: quantileSorted(s, 0.99),
    max: s.length === 0 ? Number.NaN : (s[s.length - 1] as number),
  };
};

/** Spread of the rounds relative to their median: (max − min) / median, e.g. 0.08 for ±4 %. */
export const relativeSpread = (summary: Summary): number =>
  summary.n === 0 || summary.median === 0 ? Number.NaN : (summary.max - summary.min) / summary.median;

/** a / b of two medians, NaN when either is missing. */
export const ratio = (a: number | undefined, b: number | undefined): number =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? Number.NaN : a / b;
