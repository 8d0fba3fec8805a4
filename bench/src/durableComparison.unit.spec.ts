import { describe, expect, it } from 'vitest';
import { durableComparisonHeaders, durableComparisonRows, durableComparisons, durableTargets } from './durableComparison.js';
import type { SagaCaseResult } from './results.js';
import { summarize } from './stats.js';

const measured = (engine: string, workload: 'W1' | 'W1-durable', mode: 'sequential' | 'concurrent', rates: number[], extra: Partial<SagaCaseResult> = {}): SagaCaseResult => ({
  kind: 'sagas',
  id: `${workload}/${engine}/postgres/${mode}`,
  workload,
  engine,
  store: 'postgres',
  mode,
  inFlight: mode === 'sequential' ? 1 : 50,
  status: 'ok',
  sagasPerRound: 1000,
  rounds: rates.length,
  throughput: summarize(rates),
  throughputPerRound: rates,
  cpuMsPerSaga: summarize([1.5]),
  serverCpuMsPerSaga: summarize([2]),
  ...extra,
});

describe('W1-durable against DBOS W1', () => {
  const cases = [
    measured('saga-engine', 'W1-durable', 'sequential', [300, 320, 340], { appendsPerSaga: 4, readsPerSaga: 0 }),
    measured('dbos', 'W1', 'sequential', [100, 100, 100]),
    measured('saga-engine', 'W1-durable', 'concurrent', [500, 600, 700], { appendsPerSaga: 4, readsPerSaga: 0 }),
    measured('dbos', 'W1', 'concurrent', [250, 200, 300]),
    // Neither of these is the comparison: this engine's W1 (one append per saga), and another store.
    measured('saga-engine', 'W1', 'sequential', [900]),
    measured('saga-engine', 'W1-durable', 'sequential', [5000], { id: 'W1-durable/saga-engine/memory/sequential', store: 'memory' }),
  ];

  it('gives, per mode, both sides, the ratio of the medians, the ratio round by round and the goal', () => {
    const rows = durableComparisonRows(cases);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toHaveLength(durableComparisonHeaders.length);
    expect(rows[0]).toEqual(['sequential', '320 (300–340)', '4.00 / 0', '1.50 + 2.00', '100', '1.50 + 2.00', '3.20×', '3.20× (3.00×–3.40×)', 'met']);
    expect(rows[1]?.[0]).toBe('50 in flight');
    expect(rows[1]?.slice(6)).toEqual(['2.40×', '2.33× (2.00×–3.00×)', 'missed']);
  });

  it('says which side was not measured, and judges no goal then', () => {
    const rows = durableComparisonRows([measured('saga-engine', 'W1-durable', 'sequential', [300])]);
    expect(rows).toEqual([['sequential', '300', '–', '1.50 + 2.00', 'not measured', '–', '–', '–', '–']]);
    expect(durableComparisons([])).toEqual([]);
  });

  it('leaves out the per-round ratio when the two sides ran a different number of rounds', () => {
    const [comparison] = durableComparisons([measured('saga-engine', 'W1-durable', 'sequential', [300, 330]), measured('dbos', 'W1', 'sequential', [100])]);
    expect(comparison?.perRound).toBeUndefined();
    expect(comparison?.ratio).toBeCloseTo(3.15);
  });

  it('checks the goal in each mode, labelled with the guarantee both sides give', () => {
    const targets = durableTargets(cases);
    expect(targets.map((t) => [t.met, t.measured])).toEqual([
      [true, '320/s vs 100/s = 3.20×'],
      [false, '600/s vs 250/s = 2.40×'],
    ]);
    expect(targets[0]?.target).toBe("W1-durable sequential on PostgreSQL vs DBOS W1 (each step's result durable before the next step runs, on both sides): ≥ 3× DBOS");
    expect(durableTargets([]).map((t) => [t.met, t.measured])).toEqual([
      [undefined, 'not measured in this run'],
      [undefined, 'not measured in this run'],
    ]);
    expect(durableTargets([measured('saga-engine', 'W1-durable', 'concurrent', [500])])[1]?.measured).toBe('500/s; DBOS not measured');
  });
});

describe('figures of different runs', () => {
  it('are shown, marked, and given no ratio: a shared machine had another load then', () => {
    const kept = { ...measured('dbos', 'W1', 'sequential', [100]), measuredAt: '2026-12-03T05:20:36.746Z' } as SagaCaseResult;
    const cases = [measured('saga-engine', 'W1-durable', 'sequential', [320]), kept];
    expect(durableComparisonRows(cases)[0]?.slice(4, 9)).toEqual(['100 †', '1.50 + 2.00', '–', '–', '–']);
    expect(durableTargets(cases)[0]).toEqual({
      target: expect.stringMatching(/^W1-durable sequential/) as unknown as string,
      measured: '320/s vs 100/s, measured in different runs',
    });
  });
});
