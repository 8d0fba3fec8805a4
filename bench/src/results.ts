/**
 * What a benchmark run produces: the shape of `bench/results/latest.json`, which the console table
 * and `docs/benchmarks.md` are both rendered from.
 */
import type { Percentiles, Summary } from './stats.js';

export type WorkloadId = 'W1' | 'W1-durable' | 'W2' | 'W3' | 'W3-no2pc' | 'F10-parallel' | 'F10-sequence' | 'W4';
export type Mode = 'sequential' | 'concurrent';

/** `ok`: measured; `skipped`: not run on purpose (or an adapter not built yet); `unavailable`: tried, and failed. */
export type CaseStatus = 'ok' | 'skipped' | 'unavailable';

/** One measured configuration of W1, W1-durable, W2 or W3: an engine on a store (and broker), in one mode. */
export interface SagaCaseResult {
  readonly kind: 'sagas';
  readonly id: string;
  readonly workload: Exclude<WorkloadId, 'W4'>;
  /** `saga-engine` (this repository), `dbos` or `restate`. */
  readonly engine: string;
  /** memory, sqlite, postgres, or the peer's own store (restate). */
  readonly store: string;
  /** W3 only: memory, rabbitmq, nats. */
  readonly broker?: string;
  readonly mode: Mode;
  readonly inFlight: number;
  readonly status: CaseStatus;
  readonly reason?: string;
  readonly sagasPerRound?: number;
  readonly rounds?: number;
  /** Completed sagas per second of wall time, one value per round. */
  readonly throughput?: Summary;
  /** The same, round by round in the order they ran (rounds are interleaved across cases, so round r of two cases shared the machine's load). */
  readonly throughputPerRound?: readonly number[];
  /** CPU of this (the bench) process per saga: `process.cpuUsage()` deltas, user + system. */
  readonly cpuMsPerSaga?: Summary;
  /** CPU of server processes the case uses (PostgreSQL backends, the Restate server) per saga, from /proc. */
  readonly serverCpuMsPerSaga?: Summary;
  /** Which server processes `serverCpuMsPerSaga` counts. */
  readonly serverCpuOf?: string;
  /** Appends issued per saga (including any that lost a concurrency race: `conflictsPerSaga`). */
  readonly appendsPerSaga?: number;
  readonly conflictsPerSaga?: number;
  /** Stream reads per saga (each one a read of the whole stream, decoded and folded). */
  readonly readsPerSaga?: number;
  /** Stream listings per saga (recovery sweeps). */
  readonly listingsPerSaga?: number;
  /** `readAll` calls per saga (the store feed reading the global order for runs waiting in memory). */
  readonly readAllsPerSaga?: number;
  /** Execution-index queries and claims per saga (recovery, sweeps, listings). */
  readonly indexQueriesPerSaga?: number;
  readonly indexClaimsPerSaga?: number;
  /** Decision points of one saga (start, and each reply or vote): the most appends it should take. */
  readonly boundariesPerSaga?: number;
  /** W3: one remote step, from the append that sends its request to the append that records its reply (ms). */
  readonly stepLatencyMs?: Percentiles;
  /** Whole saga, from `run()` to its return (ms). */
  readonly sagaLatencyMs?: Percentiles;
}

/** W4 at one history size. */
export interface ReplayCaseResult {
  readonly kind: 'replay';
  readonly id: string;
  readonly workload: 'W4';
  readonly events: number;
  readonly streams: number;
  readonly bytes: number;
  readonly status: CaseStatus;
  readonly reason?: string;
  readonly rounds?: number;
  /** Events per second from bytes to execution: JSON.parse + decodeHistory + fold. */
  readonly eventsPerSecond?: Summary;
  /** Events per second of decodeHistory + fold alone, on events already parsed. */
  readonly decodeFoldEventsPerSecond?: Summary;
  /** Events per second through JSON.parse alone, of the same bytes. */
  readonly jsonParseEventsPerSecond?: Summary;
  /** (parse + decode + fold time) ÷ (parse time), per round. */
  readonly costVsJsonParse?: Summary;
  /** (decode + fold time) ÷ (parse time), per round. */
  readonly decodeFoldVsJsonParse?: Summary;
  /** Share of the time in each phase (parse, decode, fold), medians. */
  readonly phases?: { readonly parse: number; readonly decode: number; readonly fold: number };
}

/**
 * One recovery sweep (`manager.recover()`), timed on the store as W1 and W2 left it. The manager runs
 * one on `setup()` and then every `recoveryIntervalMs` (30 s by default).
 */
export interface SweepCaseResult {
  readonly kind: 'sweep';
  readonly id: string;
  readonly store: string;
  readonly status: CaseStatus;
  readonly reason?: string;
  /** Executions the sweep looked at (every execution in the store). */
  readonly scanned?: number;
  readonly wallMs?: number;
  readonly cpuMs?: number;
  readonly serverCpuMs?: number;
  readonly reads?: number;
  readonly listings?: number;
}

/**
 * The scale workload at one size: a store holding `executions` executions, `open` of them waiting for
 * a reply (a timer due in an hour), the rest finished; then a new manager's `setup()` (recovery),
 * one `worker.sweep()`, `list({ status })` and `get(id)` on it.
 */
export interface ScaleCaseResult {
  readonly kind: 'scale';
  readonly id: string;
  readonly store: string;
  readonly executions: number;
  readonly open: number;
  readonly status: CaseStatus;
  readonly reason?: string;
  /** How the executions were written: `port` (append with its index entry, batches in parallel) or `sql` (multi-row INSERT … SELECT on the server). */
  readonly generation?: { readonly method: 'port' | 'sql'; readonly wallMs: number; readonly events: number };
  /**
   * `new SagaManager(…).setup()` with its recovery: store setup, reply subscription, and `recover()`
   * (what `setup()` runs when `recoverOnSetup` is on, called here so its report can be kept): the open
   * executions claimed from the index, loaded, their requests re-published and their timers armed.
   */
  readonly setupMs?: number;
  /** What setup() asked of the store: stream reads, index claims, index queries, readAll calls. */
  readonly setupCalls?: { readonly reads: number; readonly claims: number; readonly queries: number; readonly readAlls: number };
  /** Open executions the recovery claimed, and of those, re-armed. */
  readonly claimed?: number;
  readonly recovered?: number;
  readonly sweepMs?: number;
  readonly sweepScanned?: number;
  /** The status the open executions have in the index (`indexEntryOf`), which `list` filters on. */
  readonly listStatus?: string;
  /** `manager.list({ status })`, first page, repeated. */
  readonly listMs?: Summary;
  readonly listed?: number;
  /** `manager.get(id)` of finished executions not in the cache (one stream read + fold), repeated. */
  readonly getMs?: Summary;
}

/**
 * Memory of one SagaManager: heap after many sequential W1 runs (the execution cache is bounded), and
 * with many runs waiting in memory at once (one store listener for all of them).
 */
export interface MemoryCaseResult {
  readonly kind: 'memory';
  readonly id: string;
  readonly status: CaseStatus;
  readonly reason?: string;
  /** W1 runs: heap used (after a GC) at each checkpoint, and the bytes of event JSON the in-memory store holds then. */
  readonly runs?: readonly { readonly store: 'memory' | 'sqlite'; readonly sagas: number; readonly heapUsedMiB: number; readonly storeEventMiB: number }[];
  /** Per store of the W1 series: heap used before it, and once the manager is destroyed and the store kept (the store's own share). */
  readonly series?: readonly { readonly store: 'memory' | 'sqlite'; readonly baselineHeapMiB: number; readonly storeOnlyHeapMiB: number }[];
  readonly cacheMaxEntries?: number;
  /** Waiting runs: how many, heap used with all of them waiting, store listeners, whether the feed was active, warnings. */
  readonly waiting?: {
    readonly runs: number;
    readonly waitingAtOnce: number;
    readonly heapUsedMiB: number;
    readonly storeListeners: number;
    readonly maxStoreListeners: number;
    readonly feedActive: boolean;
    readonly feedListeners: number;
    readonly readAlls: number;
    readonly reads: number;
    readonly warnings: readonly string[];
    readonly startMs: number;
  };
}

export type CaseResult = SagaCaseResult | ReplayCaseResult | SweepCaseResult | ScaleCaseResult | MemoryCaseResult;

export interface MachineInfo {
  readonly date: string;
  readonly host: string;
  readonly os: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly loadAverageAtStart: readonly number[];
  readonly loadAverageAtEnd?: readonly number[];
  readonly commit?: string;
  readonly versions: Readonly<Record<string, string>>;
}

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** true: met; false: missed; undefined: could not be checked in this run. */
  readonly met?: boolean;
}

/**
 * What one synchronous commit costs on the run's PostgreSQL server, measured before the rounds
 * (commitLatency.ts): sequential committed one-row INSERTs, and SELECT 1 round trips for comparison.
 * Sequential sagas that commit N times cannot beat N × the commit's median (commitFloor.ts).
 */
export interface CommitLatency {
  readonly commits: number;
  readonly warmup: number;
  /** Wall ms per committed one-row INSERT. */
  readonly commitMs: { readonly median: number; readonly p90: number };
  /** Wall ms per SELECT 1: the round trip without a commit. */
  readonly roundTripMs: { readonly median: number; readonly p90: number };
  /** Set when kept from an earlier run (as a kept case's `measuredAt`): the date of that run. */
  readonly measuredAt?: string;
}

export interface BenchReport {
  readonly kind: 'full' | 'quick';
  readonly options: Readonly<Record<string, unknown>>;
  readonly machine: MachineInfo;
  readonly durationSeconds: number;
  readonly cases: readonly CaseResult[];
  readonly targets: readonly TargetCheck[];
  readonly notes: readonly string[];
  /** Measured when the run included PostgreSQL. */
  readonly commitLatency?: CommitLatency;
}
