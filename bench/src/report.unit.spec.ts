import { describe, expect, it } from 'vitest';
import { renderDocument } from './report.js';
import type { BenchReport } from './results.js';
import { sequentialCase } from '../test/sequentialCase.js';

const measured = sequentialCase;

const report: BenchReport = {
  kind: 'full',
  options: {},
  machine: { date: '2026-12-03T07:00:00.000Z', host: 'h', os: 'Linux', cpu: 'x', cores: 2, memoryGiB: 24, node: 'v20', loadAverageAtStart: [1, 1, 1], versions: {} },
  durationSeconds: 60,
  cases: [
    measured('saga-engine', 'W1', [900], { appendsPerSaga: 1, readsPerSaga: 0 }),
    measured('saga-engine', 'W1-durable', [300, 330], { appendsPerSaga: 4, readsPerSaga: 0 }),
    measured('dbos', 'W1', [150, 150]),
  ],
  targets: [],
  notes: [],
  commitLatency: { commits: 1000, warmup: 100, commitMs: { median: 0.6, p90: 0.8 }, roundTripMs: { median: 0.1, p90: 0.15 } },
};

describe('docs/benchmarks.md', () => {
  const document = renderDocument(report, undefined);

  it("sets W1-durable beside DBOS's W1 under the same-guarantee label, with the goal", () => {
    expect(document).toContain("### W1-durable against DBOS's W1: each step's result durable before the next step runs, on both sides");
    expect(document).toContain('**≥ 3× DBOS, sequential and 50 in flight**');
    expect(document).toContain('| sequential | 315 (300–330) | 4.00 / 0 | 1.00 + ? | 150 | 1.00 + ? | 2.10× | 2.10× (2.00×–2.20×) | missed |');
  });

  it("keeps W1's ratio labelled as one append per saga against one checkpoint per step", () => {
    expect(document).toContain('| W1 | postgres | sequential | 900 | 6.00× | – | one append per saga vs one checkpoint per step |');
    expect(document).toContain("| W1-durable | postgres | sequential | 315 | 2.10× | – | each step's result durable before the next step runs, on both sides |");
  });

  it("sets the commit floor beside W1-durable's sequential ratio, so a missed goal says whether it was reachable", () => {
    expect(document).toContain('median 0.600 ms, p90 0.800 ms; a SELECT 1 round trip without a commit: median 0.100 ms');
    expect(document).toContain(
      "- **W1-durable sequential against DBOS's W1**: floor: 4.00 commits × 0.600 ms = 2.40 ms per saga → at most 417 sagas/s → best ratio possible against DBOS's measured 150 sagas/s: 2.78×.",
    );
  });
});
