import type { CountingStore } from '../countingStore.js';
import type { ServerCpu } from '../cpu.js';

/**
 * W1-durable: W1 with durable local steps (this engine only): the start and each step's result stored
 * before the next step runs, 4 appends; the peers' W1 is its same-guarantee counterpart.
 * W3-no2pc: W3 run with `autocommit: false`, so the participants are not asked to vote and nothing is
 * committed: start + 3 replies, 4 appends, each step's request recorded before it and its reply after.
 * F10-parallel / F10-sequence: the fan-out (fanout/fanoutSagas.ts): 10 remote requests in one parallel
 * step, or the same 10 as steps in sequence.
 */
export type SagaWorkload = 'W1' | 'W1-durable' | 'W2' | 'W3' | 'W3-no2pc' | 'F10-parallel' | 'F10-sequence';

/** The remote workloads (this engine only, over a broker). */
export const isRemote = (workload: string): boolean => workload.startsWith('W3');

/** Something that runs sagas: this engine on a store (and broker), or a peer engine. */
export interface Subject {
  /** `saga-engine`, `dbos` or `restate`. */
  readonly engine: string;
  readonly store: string;
  readonly broker?: string;
  /** CPU of the servers it relies on, when they are separate processes. */
  readonly serverCpu?: ServerCpu;
  /** This engine's store, wrapped to count appends and reads. */
  readonly counting?: CountingStore;
  /** Runs saga number `index` of `workload` to its end, and checks it ended as it must. */
  runner(workload: SagaWorkload): (index: number) => Promise<void>;
  /** This engine: one recovery sweep over the whole store; resolves with the executions it scanned. */
  sweep?(): Promise<number>;
  /** How long opening it took (ms): for this engine, `manager.setup()`, which includes a recovery sweep. */
  readonly setupMs?: number;
  close(): Promise<void>;
}

/** A subject that could not be set up: `skipped` when on purpose or not built yet, else `unavailable`. */
export class SubjectUnavailable extends Error {
  constructor(
    message: string,
    readonly status: 'skipped' | 'unavailable' = 'unavailable',
  ) {
    super(message);
  }
}
