/**
 * What a benchmark run produces: the shape of `bench/results/latest.json`, which the console table
 * and `docs/benchmarks.md` are both rendered from.
 */
import type { Percentiles, Summary } from './stats.js';

export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4';
export type Mode = 'sequential' | 'concurrent';

/** `ok`: measured; `skipped`: not run on purpose (or an adapter not built yet); `unavailable`: tried, and failed. */
export type CaseStatus = 'ok' | 'skipped' | 'unavailable';

/** One measured configuration of W1, W2 or W3: an engine on a store (and broker), in one mode. */
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

export type CaseResult = SagaCaseResult | ReplayCaseResult | SweepCaseResult;

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

export interface BenchReport {
  readonly kind: 'full' | 'quick';
  readonly options: Readonly<Record<string, unknown>>;
  readonly machine: MachineInfo;
  readonly durationSeconds: number;
  readonly cases: readonly CaseResult[];
  readonly targets: readonly TargetCheck[];
  readonly notes: readonly string[];
}
