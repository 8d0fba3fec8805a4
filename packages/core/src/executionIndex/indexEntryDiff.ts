/**
 * How an index entry differs from the entry its stream gives: field by field, in words a check can
 * print. Times are compared as instants (stores format them differently); `startedAt` and
 * `updatedAt` within a tolerance, because the engine stamps the entry it appends with its own clock
 * while the fold reads the time the store recorded.
 */
import type { ExecutionIndexEntry } from '../ports/eventStore.js';

export type IndexEntryField = Exclude<keyof ExecutionIndexEntry, 'executionId'>;
export type IndexEntryValue = string | number | boolean | null;

export interface IndexEntryDifference {
  readonly field: IndexEntryField;
  /** What the index holds. */
  readonly indexed: IndexEntryValue;
  /** What the stream gives (`indexEntryOf` of its fold). */
  readonly computed: IndexEntryValue;
}

export interface IndexEntryDiffOptions {
  /** How far `startedAt`/`updatedAt` may be apart and still agree. Default 60,000 ms. */
  readonly timeToleranceMs?: number;
}

export const defaultTimeToleranceMs = 60_000;

const fields: readonly IndexEntryField[] = [
  'service',
  'definitionName',
  'definitionVersion',
  'status',
  'phase',
  'open',
  'startedAt',
  'updatedAt',
  'user',
  'nextDueAt',
  'waitingFor',
  'revision',
];

const toleratedTimes: ReadonlySet<IndexEntryField> = new Set(['startedAt', 'updatedAt']);
const times: ReadonlySet<IndexEntryField> = new Set(['startedAt', 'updatedAt', 'nextDueAt']);

const sameInstant = (a: IndexEntryValue, b: IndexEntryValue, toleranceMs: number): boolean => {
  if (a === b) return true;
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const [ta, tb] = [Date.parse(a), Date.parse(b)];
  return !Number.isNaN(ta) && !Number.isNaN(tb) && Math.abs(ta - tb) <= toleranceMs;
};

/** The fields in which `indexed` differs from `computed`; empty when they agree. */
export const diffIndexEntry = (indexed: ExecutionIndexEntry, computed: ExecutionIndexEntry, options: IndexEntryDiffOptions = {}): IndexEntryDifference[] => {
  const tolerance = options.timeToleranceMs ?? defaultTimeToleranceMs;
  const differences: IndexEntryDifference[] = [];
  for (const field of fields) {
    const a = (indexed[field] ?? null) as IndexEntryValue;
    const b = (computed[field] ?? null) as IndexEntryValue;
    const same = times.has(field) ? sameInstant(a, b, toleratedTimes.has(field) ? tolerance : 0) : a === b;
    if (!same) differences.push({ field, indexed: a, computed: b });
  }
  return differences;
};

/** `status running ≠ finished, revision 4 ≠ 7` (the index's value first). */
export const describeDifferences = (differences: readonly IndexEntryDifference[]): string =>
  differences.map((d) => `${d.field} ${JSON.stringify(d.indexed)} ≠ ${JSON.stringify(d.computed)}`).join(', ');
