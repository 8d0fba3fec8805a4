import { describe, expect, it } from 'vitest';
import { keptCommitLatency, keptNotes, mergeCases } from './merge.js';
import type { BenchReport, CaseResult } from './results.js';

const report = (date: string, cases: CaseResult[]): BenchReport => ({
  kind: 'full',
  options: {},
  machine: { date, host: 'h', os: 'o', cpu: 'c', cores: 2, memoryGiB: 1, node: 'v', loadAverageAtStart: [0], versions: {} },
  durationSeconds: 1,
  cases,
  targets: [],
  notes: [],
});
const sweep = (id: string, wallMs: number): CaseResult => ({ kind: 'sweep', id, store: 'memory', status: 'ok', wallMs });

describe('mergeCases', () => {
  it('keeps what the new run did not measure, dated, and replaces what it did', () => {
    const previous = report('2026-01-01', [sweep('a', 1), sweep('b', 2)]);
    const current = report('2026-02-01', [sweep('b', 3)]);
    const merged = mergeCases(previous, current);
    expect(merged).toEqual([sweep('b', 3), { ...sweep('a', 1), measuredAt: '2026-01-01' }]);
    expect(keptNotes(merged)).toEqual([expect.stringContaining('kept from the run of 2026-01-01: sweep (1 case)')]);
  });

  it('keeps the date of the run that measured a case, across several merges', () => {
    const first = report('2026-01-01', [sweep('a', 1)]);
    const second = { ...report('2026-02-01', []), cases: mergeCases(first, report('2026-02-01', [])) };
    expect(mergeCases(second, report('2026-03-01', []))).toEqual([{ ...sweep('a', 1), measuredAt: '2026-01-01' }]);
  });

  it('is the new run alone without previous results', () => {
    expect(mergeCases(undefined, report('d', [sweep('a', 1)]))).toEqual([sweep('a', 1)]);
    expect(keptNotes([sweep('a', 1)])).toEqual([]);
  });

  it("keeps the previous run's commit latency, dated, only when this run measured none", () => {
    const latency = { commits: 1000, warmup: 100, commitMs: { median: 0.6, p90: 0.8 }, roundTripMs: { median: 0.1, p90: 0.2 } };
    const previous = { ...report('2026-01-01', []), commitLatency: latency };
    expect(keptCommitLatency(previous, report('2026-02-01', []))).toEqual({ commitLatency: { ...latency, measuredAt: '2026-01-01' } });
    const measured = { ...latency, commitMs: { median: 0.5, p90: 0.7 } };
    expect(keptCommitLatency(previous, { ...report('2026-02-01', []), commitLatency: measured })).toEqual({ commitLatency: measured });
    expect(keptCommitLatency(report('2026-01-01', []), report('2026-02-01', []))).toEqual({});
  });
});
