/**
 * The fan-out workload's result: 10 remote requests in one parallel step against the same 10 steps in
 * sequence, on one store, in one mode. The issue's goal: the fan-out takes about one round trip of wall
 * time, not ten. Pure: rows for the console and docs/benchmarks.md, and the target.
 */
import { formatNumber, formatRatio, formatSummary, keptMark, sameRun } from '../format.js';
import type { CaseResult, SagaCaseResult, TargetCheck } from '../results.js';
import { ratio, summarize, type Summary } from '../stats.js';

/** How many remote requests one fan-out saga makes. */
export const fanoutWidth = 10;

export const fanoutWorkloads = ['F10-parallel', 'F10-sequence'] as const;
export type FanoutWorkload = (typeof fanoutWorkloads)[number];

export const isFanout = (workload: string): workload is FanoutWorkload => (fanoutWorkloads as readonly string[]).includes(workload);

/**
 * The goal, in round trips: the fan-out's saga time over one step of the sequence (the sequence's
 * saga time / 10). "About one" is read as at most this; ten would mean nothing ran at once.
 */
export const fanoutGoalRoundTrips = 2;

export const fanoutHeaders = [
  'store',
  'mode',
  '10 in sequence: sagas/s (min–max)',
  'p50 ms',
  '1 parallel step of 10: sagas/s (min–max)',
  'p50 ms',
  'appends per saga (seq. / par.)',
  'wall-time ratio seq. ÷ par. (round by round)',
  'fan-out in round trips',
  `goal ≤ ${fanoutGoalRoundTrips}`,
] as const;

export interface FanoutComparison {
  readonly store: string;
  readonly mode: string;
  readonly sequence?: SagaCaseResult;
  readonly parallel?: SagaCaseResult;
  /**
   * Wall time of the sequence over the fan-out's, from the medians of sagas/s (the same number of
   * sagas per round on both sides, so sagas/s is inversely proportional to wall time).
   */
  readonly ratio: number;
  /** The same, round r over round r: the rounds are interleaved, so each pair met the same load. */
  readonly perRound?: Summary;
  /** The fan-out's median saga time in steps of the sequence (its median saga time / width). */
  readonly roundTrips: number;
  readonly met?: boolean;
}

const find = (cases: readonly CaseResult[], workload: FanoutWorkload, store: string, mode: string): SagaCaseResult | undefined =>
  cases.find((c): c is SagaCaseResult => c.kind === 'sagas' && c.status === 'ok' && c.workload === workload && c.store === store && c.mode === mode);

const pairedRatios = (parallel: SagaCaseResult, sequence: SagaCaseResult): Summary | undefined => {
  const a = parallel.throughputPerRound;
  const b = sequence.throughputPerRound;
  if (a === undefined || b === undefined || a.length !== b.length || a.length === 0) return undefined;
  return summarize(a.map((value, round) => ratio(value, b[round])));
};

/** One comparison per store and mode that measured either side, in the order the cases appear. */
export const fanoutComparisons = (cases: readonly CaseResult[], width: number): FanoutComparison[] => {
  const keys = new Map<string, { store: string; mode: string }>();
  for (const c of cases) {
    if (c.kind === 'sagas' && c.status === 'ok' && isFanout(c.workload)) keys.set(`${c.store}/${c.mode}`, { store: c.store, mode: c.mode });
  }
  return [...keys.values()].map(({ store, mode }) => {
    const sequence = find(cases, 'F10-sequence', store, mode);
    const parallel = find(cases, 'F10-parallel', store, mode);
    // Figures of two runs met different loads of a shared machine: no ratio between them.
    const both = sequence !== undefined && parallel !== undefined && sameRun(sequence, parallel);
    const value = both ? ratio(parallel.throughput?.median, sequence.throughput?.median) : Number.NaN;
    const perRound = both ? pairedRatios(parallel, sequence) : undefined;
    const roundTrips = both ? ratio(parallel.sagaLatencyMs?.p50, (sequence.sagaLatencyMs?.p50 ?? Number.NaN) / width) : Number.NaN;
    return {
      store,
      mode,
      ...(sequence ? { sequence } : {}),
      ...(parallel ? { parallel } : {}),
      ratio: value,
      ...(perRound ? { perRound } : {}),
      roundTrips,
      // The goal is about one saga's wall time: with 50 in flight a saga's time is mostly its wait for the
      // CPU behind the others, so that mode's figures are reported and not judged.
      ...(Number.isFinite(roundTrips) && mode === 'sequential' ? { met: roundTrips <= fanoutGoalRoundTrips } : {}),
    };
  });
};

const modeName = (comparison: FanoutComparison): string =>
  comparison.mode === 'sequential' ? 'sequential' : `${comparison.parallel?.inFlight ?? comparison.sequence?.inFlight ?? '?'} in flight`;

const spread = (summary: Summary): string =>
  summary.min === summary.max ? formatRatio(summary.min) : `${formatRatio(summary.min)}–${formatRatio(summary.max)}`;

const rate = (result: SagaCaseResult | undefined): string => (result ? `${formatSummary(result.throughput)}${keptMark(result)}` : 'not measured');

export const fanoutRows = (cases: readonly CaseResult[], width: number): string[][] =>
  fanoutComparisons(cases, width).map((c) => [
    c.store,
    modeName(c),
    rate(c.sequence),
    formatNumber(c.sequence?.sagaLatencyMs?.p50),
    rate(c.parallel),
    formatNumber(c.parallel?.sagaLatencyMs?.p50),
    `${formatNumber(c.sequence?.appendsPerSaga)} / ${formatNumber(c.parallel?.appendsPerSaga)}`,
    Number.isFinite(c.ratio) ? `${formatRatio(c.ratio)}${c.perRound ? ` (rounds ${spread(c.perRound)})` : ''}` : '–',
    Number.isFinite(c.roundTrips) ? c.roundTrips.toFixed(2) : '–',
    c.met === undefined ? '–' : c.met ? 'met' : 'missed',
  ]);

/** The issue's goal, one target per store, judged on sagas run one at a time (see `met`). */
export const fanoutTargets = (cases: readonly CaseResult[], width: number): TargetCheck[] =>
  fanoutComparisons(cases, width)
    .filter((c) => c.mode === 'sequential')
    .map((c) => {
    const target = `Fan-out of ${width} remote requests in one parallel step, ${c.mode} on ${c.store}: about one round trip (≤ ${fanoutGoalRoundTrips} steps of the same ${width} in sequence)`;
    if (!Number.isFinite(c.roundTrips)) return { target, measured: c.sequence && c.parallel ? 'the two sides were measured in different runs' : 'one side not measured in this run' };
    return { target, measured: `${c.roundTrips.toFixed(2)} round trips; the sequence takes ${formatRatio(c.ratio)} its wall time`, met: c.met === true };
  });
