/**
 * The commit floor: a sequential saga that must make N synchronous commits, one after another, takes
 * at least N commit latencies of wall time, however little CPU it uses. With the latency measured on
 * the same server in the same run (commitLatency.ts), each sequential same-guarantee ratio against
 * DBOS gets its ceiling beside it, so a missed goal says whether it could have been met there at all.
 * Pure.
 */
import { formatNumber, formatRatio, runOf } from './format.js';
import type { CaseResult, CommitLatency, SagaCaseResult } from './results.js';

export interface CommitFloor {
  /** This engine's appends per saga as measured in the case (each one a synchronous commit). */
  readonly commitsPerSaga: number;
  /** Median wall time of one committed one-row INSERT on the server (ms). */
  readonly commitMs: number;
  /** commitsPerSaga × commitMs. */
  readonly floorMsPerSaga: number;
  /** The most sequential sagas per second the commits allow. */
  readonly maxSagasPerSecond: number;
  /** The peer's measured sagas/s in the same run and mode. */
  readonly peerSagasPerSecond: number;
  /** maxSagasPerSecond ÷ peerSagasPerSecond: no sequential ratio can be higher on this server. */
  readonly bestRatio: number;
}

export const commitFloor = (commitsPerSaga: number, commitMs: number, peerSagasPerSecond: number): CommitFloor => {
  const floorMsPerSaga = commitsPerSaga * commitMs;
  const maxSagasPerSecond = floorMsPerSaga > 0 ? 1_000 / floorMsPerSaga : Number.POSITIVE_INFINITY;
  return { commitsPerSaga, commitMs, floorMsPerSaga, maxSagasPerSecond, peerSagasPerSecond, bestRatio: maxSagasPerSecond / peerSagasPerSecond };
};

export const floorLine = (floor: CommitFloor): string =>
  `floor: ${formatNumber(floor.commitsPerSaga)} commits × ${formatNumber(floor.commitMs)} ms = ${formatNumber(floor.floorMsPerSaga)} ms per saga → ` +
  `at most ${formatNumber(floor.maxSagasPerSecond)} sagas/s → best ratio possible against DBOS's measured ${formatNumber(floor.peerSagasPerSecond)} sagas/s: ${formatRatio(floor.bestRatio)}`;

/** The workloads whose sequential ratio against DBOS's W1 is a same-guarantee one. */
export const flooredWorkloads = ['W1-durable', 'W3', 'W3-no2pc'] as const;
export type FlooredWorkload = (typeof flooredWorkloads)[number];

const sequentialOnPostgres = (cases: readonly CaseResult[], engine: string, workload: string): SagaCaseResult | undefined =>
  cases.find(
    (c): c is SagaCaseResult =>
      c.kind === 'sagas' && c.status === 'ok' && c.engine === engine && c.store === 'postgres' && c.workload === workload && c.mode === 'sequential' && (!workload.startsWith('W3') || c.broker === 'memory'),
  );

/**
 * The floor of each sequential same-guarantee ratio against DBOS: only where both sides and the
 * commit latency were measured in the same run (another run met another load and maybe another disk).
 */
export const commitFloors = (cases: readonly CaseResult[], latency: CommitLatency | undefined): { readonly workload: FlooredWorkload; readonly floor: CommitFloor }[] => {
  if (latency === undefined) return [];
  const dbos = sequentialOnPostgres(cases, 'dbos', 'W1');
  const theirs = dbos?.throughput?.median;
  if (dbos === undefined || theirs === undefined || runOf(dbos) !== latency.measuredAt) return [];
  return flooredWorkloads.flatMap((workload) => {
    const ours = sequentialOnPostgres(cases, 'saga-engine', workload);
    if (ours?.appendsPerSaga === undefined || runOf(ours) !== latency.measuredAt) return [];
    return [{ workload, floor: commitFloor(ours.appendsPerSaga, latency.commitMs.median, theirs) }];
  });
};

/** The measured latencies in one line, for the report. */
export const latencyLine = (latency: CommitLatency): string =>
  `commit latency on this PostgreSQL: ${latency.commits} committed one-row INSERTs in sequence (autocommit, one connection, after ${latency.warmup} warm-up): ` +
  `median ${formatNumber(latency.commitMs.median)} ms, p90 ${formatNumber(latency.commitMs.p90)} ms; a SELECT 1 round trip without a commit: ` +
  `median ${formatNumber(latency.roundTripMs.median)} ms, p90 ${formatNumber(latency.roundTripMs.p90)} ms`;
