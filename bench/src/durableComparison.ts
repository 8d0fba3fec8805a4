/**
 * W1-durable against DBOS's W1: the same guarantee on both sides (each step's result is durable before
 * the next step runs), so the goal (≥ 3× DBOS, sequential and 50 in flight) is judged on it.
 * Pure: rows for the console and docs/benchmarks.md, and the targets.
 */
import { formatNumber, formatRatio, formatSummary, keptMark, sameRun } from './format.js';
import type { CaseResult, SagaCaseResult, TargetCheck } from './results.js';
import { ratio, summarize, type Summary } from './stats.js';

export const durableLabel = "each step's result durable before the next step runs, on both sides";

/** The goal: this engine's W1-durable at least this many times DBOS's W1, in each mode. */
export const durableGoal = 3;

/** What each side stores per saga, in the words the report uses beside the ratio. */
export const durableSides = {
  ours: 'start appended before step 1, then each step result appended before the next step runs (the last with the end): 4 appends, each committed before the next step runs (on PostgreSQL, appends of different sagas that wait at the same moment share one transaction: group commit, on by default)',
  dbos: 'the workflow status row at start, then one output row per step after it runs, then the status at the end',
} as const;

export const durableComparisonHeaders = [
  'mode',
  'this engine W1-durable, sagas/s (min–max)',
  'appends / reads per saga',
  'CPU ms/saga: process + PostgreSQL',
  'DBOS W1, sagas/s (min–max)',
  'CPU ms/saga: process + PostgreSQL',
  'ratio of medians',
  'ratio per round (min–max)',
  `goal ≥ ${durableGoal}×`,
] as const;

const modes = ['sequential', 'concurrent'] as const;
type ComparedMode = (typeof modes)[number];

const find = (cases: readonly CaseResult[], engine: string, workload: string, mode: ComparedMode): SagaCaseResult | undefined =>
  cases.find((c): c is SagaCaseResult => c.kind === 'sagas' && c.status === 'ok' && c.engine === engine && c.store === 'postgres' && c.workload === workload && c.mode === mode);

export interface DurableComparison {
  readonly mode: ComparedMode;
  readonly ours?: SagaCaseResult;
  readonly dbos?: SagaCaseResult;
  /** Median sagas/s over median sagas/s. */
  readonly ratio: number;
  /** Round r of ours over round r of DBOS: the rounds are interleaved, so each pair shared the machine's load. */
  readonly perRound?: Summary;
  /** undefined: a side was not measured. */
  readonly met?: boolean;
}

/** Per-round ratios, when both sides kept their rounds' figures and ran as many rounds. */
const pairedRatios = (ours: SagaCaseResult, dbos: SagaCaseResult): Summary | undefined => {
  const a = ours.throughputPerRound;
  const b = dbos.throughputPerRound;
  if (a === undefined || b === undefined || a.length !== b.length || a.length === 0) return undefined;
  return summarize(a.map((value, round) => ratio(value, b[round])));
};

export const durableComparisons = (cases: readonly CaseResult[]): DurableComparison[] =>
  modes.flatMap((mode) => {
    const ours = find(cases, 'saga-engine', 'W1-durable', mode);
    const dbos = find(cases, 'dbos', 'W1', mode);
    if (ours === undefined && dbos === undefined) return [];
    // Figures of two different runs met different loads of a shared machine: no ratio between them.
    const value = ours && dbos && sameRun(ours, dbos) ? ratio(ours.throughput?.median, dbos.throughput?.median) : Number.NaN;
    const perRound = ours && dbos && sameRun(ours, dbos) ? pairedRatios(ours, dbos) : undefined;
    return [{ mode, ...(ours ? { ours } : {}), ...(dbos ? { dbos } : {}), ratio: value, ...(perRound ? { perRound } : {}), ...(Number.isFinite(value) ? { met: value >= durableGoal } : {}) }];
  });

const cpu = (result: SagaCaseResult | undefined): string =>
  result?.cpuMsPerSaga === undefined ? '–' : `${formatNumber(result.cpuMsPerSaga.median)} + ${result.serverCpuMsPerSaga ? formatNumber(result.serverCpuMsPerSaga.median) : '?'}`;

const modeName = (comparison: DurableComparison): string =>
  comparison.mode === 'sequential' ? 'sequential' : `${comparison.ours?.inFlight ?? comparison.dbos?.inFlight ?? '?'} in flight`;

export const durableComparisonRows = (cases: readonly CaseResult[]): string[][] =>
  durableComparisons(cases).map((c) => [
    modeName(c),
    c.ours ? `${formatSummary(c.ours.throughput)}${keptMark(c.ours)}` : 'not measured',
    c.ours?.appendsPerSaga === undefined ? '–' : `${formatNumber(c.ours.appendsPerSaga)} / ${formatNumber(c.ours.readsPerSaga)}`,
    cpu(c.ours),
    c.dbos ? `${formatSummary(c.dbos.throughput)}${keptMark(c.dbos)}` : 'not measured',
    cpu(c.dbos),
    formatRatio(c.ratio),
    c.perRound ? formatSummary(c.perRound, formatRatio) : '–',
    c.met === undefined ? '–' : c.met ? 'met' : 'missed',
  ]);

/** The goal, one target per mode, for the targets table. */
export const durableTargets = (cases: readonly CaseResult[]): TargetCheck[] =>
  modes.map((mode) => {
    const comparison = durableComparisons(cases).find((c) => c.mode === mode);
    const target = `W1-durable ${mode} on PostgreSQL vs DBOS W1 (${durableLabel}): ≥ ${durableGoal}× DBOS`;
    const ours = comparison?.ours?.throughput?.median;
    const theirs = comparison?.dbos?.throughput?.median;
    if (ours === undefined) return { target, measured: 'not measured in this run' };
    if (theirs === undefined) return { target, measured: `${formatNumber(ours)}/s; DBOS not measured` };
    if (!Number.isFinite(comparison?.ratio)) return { target, measured: `${formatNumber(ours)}/s vs ${formatNumber(theirs)}/s, measured in different runs` };
    return { target, measured: `${formatNumber(ours)}/s vs ${formatNumber(theirs)}/s = ${formatRatio(ours / theirs)}`, met: ours >= durableGoal * theirs };
  });
