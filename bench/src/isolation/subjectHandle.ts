/**
 * What the run asks of a subject, whichever process holds it: the subject in the bench process
 * (`--in-process`, localSubject.ts) or in a child process of its own (the default, childSubject.ts).
 * Everything crossing this interface is plain data, so that it can cross a process boundary.
 */
import type { RoundMeasure } from '../runner.js';
import type { SagaWorkload } from '../subjects/subject.js';

/** What the counting store saw during one round (this engine only). */
export interface StoreCounts {
  readonly appends: number;
  readonly conflicts: number;
  readonly reads: number;
  readonly listings: number;
  readonly readAlls: number;
  readonly indexQueries: number;
  readonly indexClaims: number;
}

/** One measured round: wall time, the holding process's CPU, the servers' CPU, and the store's counts. */
export type CountedRound = RoundMeasure & Partial<StoreCounts>;

export interface RoundRequest {
  readonly workload: SagaWorkload;
  readonly sagas: number;
  readonly inFlight: number;
  /** Added to each saga's index, so that every round's sagas have fresh ids. */
  readonly offset: number;
}

export interface RoundResult {
  readonly round: CountedRound;
  /** Each saga's wall time, `run()` to its return (ms). */
  readonly sagaLatencies: readonly number[];
  /** W3: each remote step's latency (ms), from the append that sent its request to the one that recorded its reply. */
  readonly stepLatencies: readonly number[];
}

/** One recovery sweep of this engine over its store. */
export interface SweepMeasure extends RoundMeasure {
  readonly scanned: number;
  readonly reads?: number;
  readonly listings?: number;
}

/** What is known of a subject once it is open. */
export interface SubjectFacts {
  readonly engine: string;
  readonly store: string;
  readonly broker?: string;
  /** Which server processes the rounds' `serverCpuMs` counts, when any. */
  readonly serverCpuOf?: string;
  /** How long opening it took (ms). */
  readonly setupMs?: number;
  /** This engine: it can run a recovery sweep. */
  readonly sweeps: boolean;
}

export interface SubjectHandle {
  readonly facts: SubjectFacts;
  /** Unmeasured sagas, `inFlight` at once. */
  warmUp(workload: SagaWorkload, count: number, inFlight: number): Promise<void>;
  /** One unmeasured round under the CPU profiler; its .cpuprofile is written as `name` by the process that ran it. */
  profile(request: RoundRequest, name: string): Promise<void>;
  round(request: RoundRequest): Promise<RoundResult>;
  sweep(): Promise<SweepMeasure>;
  close(): Promise<void>;
}
