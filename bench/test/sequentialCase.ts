import type { SagaCaseResult } from '../src/results.js';
import { summarize } from '../src/stats.js';

/** A finished sequential case on PostgreSQL, one round per rate, for the report and floor specs. */
export const sequentialCase = (engine: string, workload: SagaCaseResult['workload'], rates: readonly number[], extra: Partial<SagaCaseResult> = {}): SagaCaseResult => ({
  kind: 'sagas',
  id: `${workload}/${engine}/postgres/sequential`,
  workload,
  engine,
  store: 'postgres',
  mode: 'sequential',
  inFlight: 1,
  status: 'ok',
  rounds: rates.length,
  throughput: summarize([...rates]),
  throughputPerRound: [...rates],
  cpuMsPerSaga: summarize([1]),
  ...extra,
});
