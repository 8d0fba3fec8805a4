import { describe, expect, it } from 'vitest';
import type { SagaCaseResult } from '../results.js';
import { summarize } from '../stats.js';
import { fanoutComparisons, fanoutHeaders, fanoutRows, fanoutTargets, isFanout } from './fanoutComparison.js';

const measured = (
  workload: 'F10-parallel' | 'F10-sequence',
  store: string,
  mode: 'sequential' | 'concurrent',
  rates: number[],
  p50: number,
  extra: Partial<SagaCaseResult> = {},
): SagaCaseResult => ({
  kind: 'sagas',
  id: `${workload}/saga-engine/${store}/${mode}`,
  workload,
  engine: 'saga-engine',
  store,
  mode,
  inFlight: mode === 'sequential' ? 1 : 50,
  status: 'ok',
  sagasPerRound: 50,
  rounds: rates.length,
  throughput: summarize(rates),
  throughputPerRound: rates,
  appendsPerSaga: 11,
  sagaLatencyMs: { count: 50, p50, p99: p50 * 2, max: p50 * 3 },
  ...extra,
});

describe('the fan-out against the same steps in sequence', () => {
  it('gives, per store and mode, both sides, the wall-time ratio (median and per round), the round trips and the goal', () => {
    const cases = [
      measured('F10-parallel', 'memory', 'sequential', [40, 50, 60], 20),
      measured('F10-sequence', 'memory', 'sequential', [5, 5, 6], 150),
      measured('F10-parallel', 'postgres', 'sequential', [10], 100),
      measured('F10-sequence', 'postgres', 'sequential', [4], 250),
    ];
    const rows = fanoutRows(cases, 10);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toHaveLength(fanoutHeaders.length);
    // 50 over 5: the sequence takes ten times the fan-out's wall time; 20 ms is 1.33 steps of 15 ms.
    expect(rows[0]).toEqual(['memory', 'sequential', '5.00 (5.00–6.00)', '150', '50.0 (40.0–60.0)', '20.0', '11.0 / 11.0', '10× (rounds 8.00×–10×)', '1.33', 'met']);
    // 100 ms is four steps of 25 ms: missed.
    expect(rows[1]?.slice(7)).toEqual(['2.50× (rounds 2.50×)', '4.00', 'missed']);
  });

  it('judges nothing when a side is missing, or the two sides come from different runs', () => {
    const alone = [measured('F10-parallel', 'memory', 'concurrent', [100], 30)];
    expect(fanoutComparisons(alone, 10)).toEqual([expect.objectContaining({ store: 'memory', mode: 'concurrent', ratio: Number.NaN, roundTrips: Number.NaN })]);
    expect(fanoutRows(alone, 10)[0]).toEqual(['memory', '50 in flight', 'not measured', '–', '100', '30.0', '– / 11.0', '–', '–', '–']);
    const kept = [measured('F10-parallel', 'memory', 'sequential', [50], 20), measured('F10-sequence', 'memory', 'sequential', [5], 150, { measuredAt: '2026-12-01' } as Partial<SagaCaseResult>)];
    expect(fanoutTargets(kept, 10)).toEqual([expect.objectContaining({ measured: 'the two sides were measured in different runs' })]);
    expect(fanoutTargets(kept, 10)[0]).not.toHaveProperty('met');
  });

  it('judges the goal on sagas run one at a time, and states the target with what was measured', () => {
    const cases = [
      measured('F10-parallel', 'postgres', 'sequential', [30], 30),
      measured('F10-sequence', 'postgres', 'sequential', [3], 300),
      // 50 in flight: a saga's time is mostly its wait behind the others; reported, not judged.
      measured('F10-parallel', 'postgres', 'concurrent', [30], 900),
      measured('F10-sequence', 'postgres', 'concurrent', [40], 800),
    ];
    expect(fanoutRows(cases, 10)[1]?.slice(7)).toEqual(['0.75× (rounds 0.75×)', '11.25', '–']);
    expect(fanoutTargets(cases, 10)).toEqual([
      {
        target: 'Fan-out of 10 remote requests in one parallel step, sequential on postgres: about one round trip (≤ 2 steps of the same 10 in sequence)',
        measured: '1.00 round trips; the sequence takes 10× its wall time',
        met: true,
      },
    ]);
  });

  it('knows its workloads', () => {
    expect(['F10-parallel', 'F10-sequence', 'W3', 'W1'].map(isFanout)).toEqual([true, true, false, false]);
  });
});
