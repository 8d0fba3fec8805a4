/**
 * A run that measures only some cases (`--workloads=scale`, `--stores=postgres`, …) keeps the other
 * cases of the previous results, so that docs/benchmarks.md is not emptied by a partial run. A kept
 * case carries the date of the run that measured it (`measuredAt`), and the report says which ones
 * were kept. Pure.
 */
import type { BenchReport, CaseResult, CommitLatency } from './results.js';

export type KeptCase = CaseResult & { readonly measuredAt?: string };

/** The cases of `current`, then those of `previous` that `current` did not measure again. */
export const mergeCases = (previous: BenchReport | undefined, current: BenchReport): KeptCase[] => {
  if (previous === undefined) return [...current.cases];
  const measured = new Set(current.cases.map((c) => c.id));
  const kept = (previous.cases as KeptCase[])
    .filter((c) => !measured.has(c.id))
    .map((c): KeptCase => ({ ...c, measuredAt: c.measuredAt ?? previous.machine.date }));
  return [...current.cases, ...kept];
};

/** One note per earlier run whose cases were kept: when, and which workloads. */
export const keptNotes = (cases: readonly KeptCase[]): string[] => {
  const byDate = new Map<string, Map<string, number>>();
  for (const c of cases) {
    if (c.measuredAt === undefined) continue;
    const workloads = byDate.get(c.measuredAt) ?? new Map<string, number>();
    const name = c.kind === 'sagas' ? c.workload : c.kind === 'replay' ? 'W4' : c.kind;
    workloads.set(name, (workloads.get(name) ?? 0) + 1);
    byDate.set(c.measuredAt, workloads);
  }
  return [...byDate].map(
    ([date, workloads]) =>
      `Not measured again in this run, kept from the run of ${date}: ${[...workloads].map(([name, count]) => `${name} (${count} case${count === 1 ? '' : 's'})`).join(', ')}. ` +
      'Ratios between figures of different runs compare different moments of a shared machine.',
  );
};

/**
 * The commit latency of this run, or else the previous one's, dated like a kept case, so that the
 * floors of kept sequential cases still print (and only beside cases of that same run).
 */
export const keptCommitLatency = (previous: BenchReport | undefined, current: BenchReport): { commitLatency?: CommitLatency } => {
  if (current.commitLatency !== undefined) return { commitLatency: current.commitLatency };
  const kept = previous?.commitLatency;
  if (previous === undefined || kept === undefined) return {};
  return { commitLatency: { ...kept, measuredAt: kept.measuredAt ?? previous.machine.date } };
};
