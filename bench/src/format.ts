/**
 * Turning results into text: numbers, median-and-spread cells, ratios, rows, and Markdown tables.
 * Pure, so the table the console prints and the one docs/benchmarks.md holds are the same.
 */
import type { CaseResult, MemoryCaseResult, ReplayCaseResult, SagaCaseResult, ScaleCaseResult, SweepCaseResult } from './results.js';
import { peerCounterpart } from './localWorkloads.js';
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

/** The run a case was measured in: its `measuredAt` when kept from an earlier run (merge.ts), else this run. */
export const runOf = (result: CaseResult): string | undefined => ('measuredAt' in result && typeof result.measuredAt === 'string' ? result.measuredAt : undefined);

/**
 * Whether two cases were measured in the same run: only then did their rounds share the machine's
 * load, so only then is their ratio reported (a shared machine's load differs from run to run).
 */
export const sameRun = (a: CaseResult, b: CaseResult): boolean => runOf(a) === runOf(b);

const peerOf = (cases: readonly CaseResult[], workload: string, mode: string, engine: string): SagaCaseResult | undefined =>
  cases.find((c): c is SagaCaseResult => c.kind === 'sagas' && c.engine === engine && c.workload === workload && c.mode === mode && c.status === 'ok');

/**
 * This engine's throughput over a peer's in the same workload and mode (NaN when either is missing);
 * W1-durable is set beside the peer's W1, which checkpoints each step as it does.
 */
export const ratioToPeer = (result: SagaCaseResult, cases: readonly CaseResult[], peer: string): number => {
  if (result.engine === peer || result.status !== 'ok' || result.workload.startsWith('W3')) return Number.NaN;
  const theirs = peerOf(cases, peerCounterpart(result.workload), result.mode, peer);
  return theirs && sameRun(result, theirs) ? ratio(result.throughput?.median, theirs.throughput?.median) : Number.NaN;
};

export const sagaHeaders = [
  'workload',
  'engine',
  'store / broker',
  'mode',
  'sagas/s (min–max)',
  'CPU ms/saga',
  'server CPU ms/saga',
  'appends / reads / readAll per saga',
  'p50 / p99 ms',
  '× DBOS',
  '× Restate',
] as const;

const remote = (result: SagaCaseResult): boolean => result.workload.startsWith('W3');
const where = (result: SagaCaseResult): string => (result.broker && remote(result) ? `${result.store} / ${result.broker}` : result.store);
const modeOf = (result: SagaCaseResult): string => (result.mode === 'sequential' ? 'sequential' : `${result.inFlight} in flight`);


const latency = (result: SagaCaseResult): string => {
  const sample = remote(result) ? result.stepLatencyMs : result.sagaLatencyMs;
  if (sample === undefined || sample.count === 0) return '–';
  return `${remote(result) ? 'step ' : ''}${formatNumber(sample.p50)} / ${formatNumber(sample.p99)}`;
};

/** One row of the W1–W3 table; a case that did not run has its reason instead of figures. */
export const sagaRow = (result: SagaCaseResult, cases: readonly CaseResult[]): string[] => {
  const head = [`${result.workload}${keptMark(result)}`, result.engine, where(result), modeOf(result)];
  if (result.status !== 'ok') return [...head, `${result.status}: ${result.reason ?? 'no reason given'}`];
  return [
    ...head,
    formatSummary(result.throughput),
    formatSummary(result.cpuMsPerSaga),
    result.serverCpuMsPerSaga ? formatSummary(result.serverCpuMsPerSaga) : '–',
    result.appendsPerSaga === undefined ? '–' : `${formatNumber(result.appendsPerSaga)} / ${formatNumber(result.readsPerSaga)} / ${formatNumber(result.readAllsPerSaga)}`,
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
  const head = [`W4${keptMark(result)}`, result.events.toLocaleString('en-US'), result.streams.toLocaleString('en-US'), formatBytes(result.bytes)];
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

export const sweepHeaders = ['store', 'open executions claimed', 'wall s', 'CPU ms (bench process)', 'server CPU ms', 'reads', 'CPU µs per execution'] as const;

/** A recovery sweep's row; `width` pads the reason of one that failed. */
export const sweepRow = (sweep: SweepCaseResult, width: number = sweepHeaders.length): string[] => {
  if (sweep.status !== 'ok') return [`${sweep.store}${keptMark(sweep)}`, `${sweep.status}: ${sweep.reason ?? 'no reason given'}`, ...Array<string>(Math.max(0, width - 2)).fill('')];
  const scanned = sweep.scanned ?? 0;
  const cpu = (sweep.cpuMs ?? 0) + (sweep.serverCpuMs ?? 0);
  return [
    `${sweep.store}${keptMark(sweep)}`,
    scanned.toLocaleString('en-US'),
    formatNumber((sweep.wallMs ?? Number.NaN) / 1_000),
    formatNumber(sweep.cpuMs),
    sweep.serverCpuMs === undefined ? '–' : formatNumber(sweep.serverCpuMs),
    sweep.reads === undefined ? '–' : sweep.reads.toLocaleString('en-US'),
    scanned > 0 ? formatNumber((cpu * 1_000) / scanned) : '–',
  ];
};

/** What each side makes durable, per saga, in the same-guarantee comparison. */
export const durability = {
  W1: 'one append per saga: start, the 3 local steps and the end in one transaction',
  'W1-durable': 'the start appended before step 1, then each of the 3 local step results appended before the next step runs (the last with the end): 4 appends',
  W3: 'each of the 3 remote steps: request recorded before it is sent, reply recorded after; then the votes and the commit (two-phase): the outcome stored before commit is published, and TransactionNotified after it',
  'W3-no2pc': 'each of the 3 remote steps: request recorded before it is sent, reply recorded after; no vote (autocommit off)',
  dbos: 'a checkpoint per step: each of the 3 step outputs after the step, and the workflow status at start and end',
  restate: 'each of the 3 ctx.run results journaled before the next step, and the invocation',
} as const;

/** What a ratio compares, beside it. */
export const ratioLabel = (workload: string): string =>
  workload === 'W1'
    ? 'one append per saga vs one checkpoint per step'
    : workload === 'W1-durable'
      ? "each step's result durable before the next step runs, on both sides"
      : workload === 'W2'
        ? 'one append per saga vs one checkpoint per step, compensations included'
        : 'same per-step durability: each remote step recorded before and after vs each step checkpointed';

export const comparisonHeaders = ['this engine (PostgreSQL, memory broker)', 'mode', 'sagas/s', 'appends / reads per saga', 'vs', 'peer sagas/s', 'ratio', 'what the ratio compares'] as const;

/**
 * The same-guarantee comparison: W1, W1-durable and W3 (with and without the two-phase commit) of this
 * engine on PostgreSQL, each against DBOS's W1 and Restate's W1 in the same mode. W1-durable's steps and
 * W3's remote steps are each recorded before the next one runs, as DBOS checkpoints each of its 3 steps.
 */
export const comparisonRows = (cases: readonly CaseResult[]): string[][] => {
  const ok = cases.filter((c): c is SagaCaseResult => c.kind === 'sagas' && c.status === 'ok');
  const rows: string[][] = [];
  for (const mode of ['sequential', 'concurrent'] as const) {
    for (const workload of ['W1', 'W1-durable', 'W3', 'W3-no2pc'] as const) {
      const local = !workload.startsWith('W3');
      const ours = ok.find((c) => c.engine === 'saga-engine' && c.store === 'postgres' && c.workload === workload && c.mode === mode && (local || c.broker === 'memory'));
      if (!ours) continue;
      for (const peer of ['dbos', 'restate'] as const) {
        const theirs = ok.find((c) => c.engine === peer && c.workload === 'W1' && c.mode === mode);
        rows.push([
          `${local ? workload : workload === 'W3' ? 'W3 (two-phase commit)' : 'W3-no2pc (no vote)'}${keptMark(ours)}`,
          modeOf(ours),
          formatNumber(ours.throughput?.median),
          `${formatNumber(ours.appendsPerSaga)} / ${formatNumber(ours.readsPerSaga)}`,
          `${peer === 'dbos' ? 'DBOS' : 'Restate'} W1`,
          theirs ? `${formatNumber(theirs.throughput?.median)}${keptMark(theirs)}` : 'not measured',
          theirs === undefined ? '–' : sameRun(ours, theirs) ? formatRatio(ratio(ours.throughput?.median, theirs.throughput?.median)) : '– (measured in different runs)',
          ratioLabel(workload),
        ]);
      }
    }
  }
  return rows;
};

export const scaleHeaders = [
  'store',
  'executions (open)',
  'generated in s (how)',
  'setup() + recovery ms',
  'claimed / re-armed',
  'setup reads / claims',
  'sweep ms (claimed)',
  'list({status}) ms',
  'get(id) ms',
] as const;

/** Scale cases by store, then by size. */
export const byStoreAndSize = (a: ScaleCaseResult, b: ScaleCaseResult): number => a.store.localeCompare(b.store) || a.executions - b.executions;

/** One row of the scale table; a case that did not run has its reason instead of figures. */
export const scaleRow = (result: ScaleCaseResult): string[] => {
  const head = [`${result.store}${keptMark(result)}`, `${result.executions.toLocaleString('en-US')} (${result.open.toLocaleString('en-US')})`];
  if (result.status !== 'ok') return [...head, `${result.status}: ${result.reason ?? 'no reason given'}`];
  return [
    ...head,
    result.generation ? `${formatNumber(result.generation.wallMs / 1_000)} (${result.generation.method === 'sql' ? 'multi-row SQL' : 'append'})` : '–',
    formatNumber(result.setupMs),
    `${result.claimed ?? '–'} / ${result.recovered ?? '–'}`,
    result.setupCalls ? `${result.setupCalls.reads} / ${result.setupCalls.claims}` : '–',
    `${formatNumber(result.sweepMs)} (${result.sweepScanned ?? '–'})`,
    `${formatSummary(result.listMs)} (${result.listed ?? 0} ${result.listStatus ?? ''})`,
    formatSummary(result.getMs),
  ];
};

/** The memory case as rows of (what, figure). */
export const memoryRows = (result: MemoryCaseResult): string[][] => {
  if (result.status !== 'ok') return [[result.id, `${result.status}: ${result.reason ?? 'no reason given'}`]];
  const rows: string[][] = [];
  const stores = [...new Set([...(result.series ?? []).map((series) => series.store), ...(result.runs ?? []).map((run) => run.store)])];
  for (const store of stores) {
    const series = result.series?.find((entry) => entry.store === store);
    if (series) rows.push([`${store} store: heap used before the first saga`, `${series.baselineHeapMiB} MiB`]);
    for (const run of (result.runs ?? []).filter((entry) => entry.store === store)) {
      rows.push([
        `${store} store: heap used after ${run.sagas.toLocaleString('en-US')} W1 sagas (one manager, cache ≤ ${(result.cacheMaxEntries ?? 0).toLocaleString('en-US')})`,
        `${run.heapUsedMiB} MiB${store === 'memory' ? ` (the store holds ${run.storeEventMiB} MiB of event JSON)` : ' (events on disk)'}`,
      ]);
    }
    if (series) rows.push([`${store} store: heap used once the manager is destroyed and the store kept`, `${series.storeOnlyHeapMiB} MiB`]);
  }
  const waiting = result.waiting;
  if (waiting) {
    rows.push([`${waiting.runs.toLocaleString('en-US')} runs waiting at once (W3, nobody replies)`, `${waiting.waitingAtOnce.toLocaleString('en-US')} waiting, started in ${formatNumber(waiting.startMs / 1_000)} s; heap used ${waiting.heapUsedMiB} MiB`]);
    rows.push(['store listeners (onAppended) held', `${waiting.storeListeners} (at most ${waiting.maxStoreListeners} at once); store feed active: ${waiting.feedActive ? 'yes' : 'no'}, serving ${waiting.feedListeners.toLocaleString('en-US')} runs`]);
    rows.push(['reads while they waited', `${waiting.readAlls.toLocaleString('en-US')} readAll, ${waiting.reads.toLocaleString('en-US')} stream reads`]);
    const counted = new Map<string, number>();
    for (const warning of waiting.warnings) counted.set(warning, (counted.get(warning) ?? 0) + 1);
    const warnings = [...counted].map(([warning, count]) => (count > 1 ? `${count}× ${warning}` : warning));
    rows.push(['process warnings while they waited', warnings.length === 0 ? 'none (no MaxListenersExceededWarning)' : warnings.join(' | ')]);
  }
  const first = rows[0];
  if (first) first[0] = `${first[0]}${keptMark(result)}`;
  return rows;
};

/** `†` after a case kept from an earlier run (see merge.ts): its figures are not of this run. */
export const keptMark = (result: CaseResult): string => ('measuredAt' in result && typeof result.measuredAt === 'string' ? ' †' : '');

const escapeCell = (cell: string): string => cell.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** A GitHub-flavoured Markdown table; a short row (a reason) is padded with empty cells. */
export const markdownTable = (headers: readonly string[], rows: readonly (readonly string[])[]): string => {
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  const pad = (row: readonly string[]) => [...row, ...Array<string>(Math.max(0, headers.length - row.length)).fill('')];
  return [line(headers), line(headers.map(() => '---')), ...rows.map((row) => line(pad(row)))].join('\n');
};
