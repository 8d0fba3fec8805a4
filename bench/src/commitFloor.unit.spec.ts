import { describe, expect, it } from 'vitest';
import { commitFloor, commitFloors, floorLine } from './commitFloor.js';
import type { CaseResult, CommitLatency, SagaCaseResult } from './results.js';
import { sequentialCase } from '../test/sequentialCase.js';

const sequential = (engine: string, workload: SagaCaseResult['workload'], rate: number, extra: Partial<SagaCaseResult> = {}): SagaCaseResult =>
  sequentialCase(engine, workload, [rate], extra);

const latency: CommitLatency = { commits: 1000, warmup: 100, commitMs: { median: 0.6, p90: 0.8 }, roundTripMs: { median: 0.1, p90: 0.15 } };

describe('the commit floor', () => {
  it('bounds sequential sagas by their commits: 4 × 0.6 ms = 2.4 ms → 417 sagas/s → 2.78× DBOS at 150/s', () => {
    const floor = commitFloor(4, 0.6, 150);
    expect(floor.floorMsPerSaga).toBeCloseTo(2.4);
    expect(floor.maxSagasPerSecond).toBeCloseTo(416.67, 1);
    expect(floor.bestRatio).toBeCloseTo(2.78, 2);
    expect(floorLine(floor)).toBe("floor: 4.00 commits × 0.600 ms = 2.40 ms per saga → at most 417 sagas/s → best ratio possible against DBOS's measured 150 sagas/s: 2.78×");
  });

  it('gives each sequential same-guarantee case its floor from the appends it measured', () => {
    const cases: CaseResult[] = [
      sequential('dbos', 'W1', 150),
      sequential('saga-engine', 'W1-durable', 300, { appendsPerSaga: 4 }),
      sequential('saga-engine', 'W3-no2pc', 90, { appendsPerSaga: 4, broker: 'memory' }),
      sequential('saga-engine', 'W3', 50, { appendsPerSaga: 7, broker: 'rabbitmq' }),
      sequential('saga-engine', 'W1', 900, { appendsPerSaga: 1 }),
    ];
    expect(commitFloors(cases, latency).map(({ workload, floor }) => [workload, floor.commitsPerSaga, floor.bestRatio.toFixed(2)])).toEqual([
      ['W1-durable', 4, '2.78'],
      ['W3-no2pc', 4, '2.78'],
    ]);
  });

  it('gives none when DBOS, the latency or a side comes from another run', () => {
    const ours = sequential('saga-engine', 'W1-durable', 300, { appendsPerSaga: 4 });
    expect(commitFloors([ours], latency)).toEqual([]);
    expect(commitFloors([ours, sequential('dbos', 'W1', 150)], undefined)).toEqual([]);
    expect(commitFloors([ours, sequential('dbos', 'W1', 150)], { ...latency, measuredAt: '2026-12-01' })).toEqual([]);
    expect(commitFloors([{ ...ours, measuredAt: '2026-12-01' } as CaseResult, sequential('dbos', 'W1', 150)], latency)).toEqual([]);
    expect(commitFloors([ours, { ...sequential('dbos', 'W1', 150), measuredAt: '2026-12-01' } as CaseResult], latency)).toEqual([]);
  });
});
