/**
 * Which of the local-step workloads (W1, W1-durable, W2) each side runs, from `--workloads`. Pure.
 *
 * W1-durable is this engine's alone: the peers checkpoint every step already, so their W1 is its
 * counterpart and runs whenever W1-durable does, in the same interleaved rounds.
 */
import type { WorkloadName } from './options.js';
import type { SagaWorkload } from './subjects/subject.js';

export type LocalWorkload = Extract<SagaWorkload, 'W1' | 'W1-durable' | 'W2'>;
export type PeerWorkload = Extract<SagaWorkload, 'W1' | 'W2'>;

/** `w1` runs W1 and W1-durable (as `w3` runs W3 and W3-no2pc); `w1-durable` runs W1-durable alone. */
export const engineLocalWorkloads = (workloads: readonly WorkloadName[]): LocalWorkload[] => {
  const wanted: LocalWorkload[] = [];
  if (workloads.includes('w1')) wanted.push('W1');
  if (workloads.includes('w1') || workloads.includes('w1-durable')) wanted.push('W1-durable');
  if (workloads.includes('w2')) wanted.push('W2');
  return wanted;
};

/** The workload of a peer that a workload of this engine is set beside. */
export const peerCounterpart = (workload: string): string => (workload === 'W1-durable' ? 'W1' : workload);

/** What the peers run: the counterpart of each of this engine's workloads, once each. */
export const peerLocalWorkloads = (engine: readonly LocalWorkload[]): PeerWorkload[] => {
  const peer = new Set(engine.map((workload) => peerCounterpart(workload) as PeerWorkload));
  return (['W1', 'W2'] as const).filter((workload) => peer.has(workload));
};

/** Every workload either side runs, in the order the cases are planned (a round runs them in this order). */
export const localOrder = (engine: readonly LocalWorkload[], peers: readonly PeerWorkload[]): LocalWorkload[] =>
  (['W1', 'W1-durable', 'W2'] as const).filter((workload) => engine.includes(workload) || (peers as readonly LocalWorkload[]).includes(workload));
