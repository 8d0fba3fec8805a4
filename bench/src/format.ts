/**
 * Turning results into text: numbers, median-and-spread cells, ratios, rows, and Markdown tables.
 * Pure, so the table the console prints and the one docs/benchmarks.md holds are the same.
 */
import type { CaseResult, ReplayCaseResult, SagaCaseResult, SweepCaseResult } from './results.js';
import { ratio, type Summary } from './stats.js';

/** A number with about three significant digits and thousands separators: 12,345 · 123 · 12.3 · 1.23 · 0.123. */
export const formatNumber = (value: number | undefined): string => {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 || magnitude === 0 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
};

/** "median (min–max)", each formatted alike. */
export const formatSummary = (summary: Summary | undefined, format: (value: number) => string = formatNumber): string => {
  if (summary === undefined || summary.n === 0) return '–';
  if (summary.n === 1 || summary.min === summary.max) return format(summary.median);
  return `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})`;
};

export const formatRatio = (value: number): string => (Number.isFinite(value) ? `${value >= 10 ? value.toFixed(0) : value.toFixed(2)}×` : '–');

export const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(0)} KiB` : `${bytes} B`;

export const formatPercent = (share: number): string => (Number.isFinite(share) ? `${(share * 100).toFixed(0)} %` : '–');

const peerOf = (cases: readonly CaseResult[], workload: string, mode: string, engine: string): SagaCaseResult | undefined =>
  cases.find((c): c is SagaCaseResult => c.kind === 'sagas' && c.engine === engine && c.workload === workload && c.mode === mode && c.status === 'ok');

/** This engine's throughput over a peer's in the same workload and mode (NaN when either is missing). */
export const ratioToPeer = (result: SagaCaseResult, cases: readonly CaseResult[], peer: string): number => {
  if (result.engine === peer || result.status !== 'ok' || result.workload === 'W3') return Number.NaN;
  return ratio(result.throughput?.median, peerOf(cases, result.workload, result.mode, peer)?.throughput?.median);
};

export const sagaHeaders = [
  'workload',
  'engine',
  'store / broker',
  'mode',
  'sagas/s (min–max)',
  'CPU ms/saga',
  'server CPU ms/saga',
  'appends / reads per saga',
  'p50 / p99 ms',
  '× DBOS',
  '× Restate',
] as const;

const where = (result: SagaCaseResult): string => (result.broker && result.workload === 'W3' ? `${result.store} / ${result.broker}` : result.store);
const modeOf = (result: SagaCaseResult): string => (result.mode === 'sequential' ? 'sequential' : `${result.inFlight} in flight`);


const latency = (result: SagaCaseResult): string => {
  const sample = result.workload === 'W3' ? result.stepLatencyMs : result.sagaLatencyMs;
  if (sample === undefined || sample.count === 0) return '–';
  return `${result.workload === 'W3' ? 'step ' : ''}${formatNumber(sample.p50)} / ${formatNumber(sample.p99)}`;
};

/** One row of the W1–W3 table; a case that did not run has its reason instead of figures. */
export const sagaRow = (result: SagaCaseResult, cases: readonly CaseResult[]): string[] => {
  const head = [result.workload, result.engine, where(result), modeOf(result)];
  if (result.status !== 'ok') return [...head, `${result.status}: ${result.reason ?? 'no reason given'}`];
  return [
    ...head,
    formatSummary(result.throughput),
    formatSummary(result.cpuMsPerSaga),
    result.serverCpuMsPerSaga ? formatSummary(result.serverCpuMsPerSaga) : '–',
    result.appendsPerSaga === undefined ? '–' : `${formatNumber(result.appendsPerSaga)} / ${formatNumber(result.readsPerSaga)}`,
    latency(result),
    formatRatio(ratioToPeer(result, cases, 'dbos')),
    formatRatio(ratioToPeer(result, cases, 'restate')),
  ];
};

export const replayHeaders = [
  'workload',
  'events',
  'streams',
  'bytes',
  'events/s, bytes → execution',
  'events/s, decode + fold',
  'events/s, JSON.parse',
  'full ÷ JSON.parse',
  'decode + fold ÷ JSON.parse',
  'parse / decode / fold',
] as const;

const times = (value: number): string => `${value.toFixed(2)}×`;

export const replayRow = (result: ReplayCaseResult): string[] => {
  const head = ['W4', result.events.toLocaleString('en-US'), result.streams.toLocaleString('en-US'), formatBytes(result.bytes)];
  if (result.status !== 'ok') return [...head, `${result.status}: ${result.reason ?? 'no reason given'}`];
  return [
    ...head,
    formatSummary(result.eventsPerSecond),
    formatSummary(result.decodeFoldEventsPerSecond),
    formatSummary(result.jsonParseEventsPerSecond),
    formatSummary(result.costVsJsonParse, times),
    formatSummary(result.decodeFoldVsJsonParse, times),
    result.phases ? `${formatPercent(result.phases.parse)} / ${formatPercent(result.phases.decode)} / ${formatPercent(result.phases.fold)}` : '–',
  ];
};

export const sweepHeaders = ['store', 'executions scanned', 'wall s', 'CPU ms (bench process)', 'server CPU ms', 'reads', 'CPU µs per execution'] as const;

/** A recovery sweep's row; `width` pads the reason of one that failed. */
export const sweepRow = (sweep: SweepCaseResult, width: number = sweepHeaders.length): string[] => {
  if (sweep.status !== 'ok') return [sweep.store, `${sweep.status}: ${sweep.reason ?? 'no reason given'}`, ...Array<string>(Math.max(0, width - 2)).fill('')];
  const scanned = sweep.scanned ?? 0;
  const cpu = (sweep.cpuMs ?? 0) + (sweep.serverCpuMs ?? 0);
  return [
    sweep.store,
    scanned.toLocaleString('en-US'),
    formatNumber((sweep.wallMs ?? Number.NaN) / 1_000),
    formatNumber(sweep.cpuMs),
    sweep.serverCpuMs === undefined ? '–' : formatNumber(sweep.serverCpuMs),
    sweep.reads === undefined ? '–' : sweep.reads.toLocaleString('en-US'),
    scanned > 0 ? formatNumber((cpu * 1_000) / scanned) : '–',
  ];
};

const escapeCell = (cell: string): string => cell.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** A GitHub-flavoured Markdown table; a short row (a reason) is padded with empty cells. */
export const markdownTable = (headers: readonly string[], rows: readonly (readonly string[])[]): string => {
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  const pad = (row: readonly string[]) => [...row, ...Array<string>(Math.max(0, headers.length - row.length)).fill('')];
  return [line(headers), line(headers.map(() => '---')), ...rows.map((row) => line(pad(row)))].join('\n');
};
