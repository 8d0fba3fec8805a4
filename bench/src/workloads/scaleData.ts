/**
 * The executions the scale workload fills a store with, made from two recorded templates (one
 * finished execution, one waiting for a reply) by giving them new ids. Pure: ids, events and index
 * entries are computed here; scale.ts writes them.
 */
import { createHash } from 'node:crypto';
import type { ExecutionIndexEntry, JsonObject, NewEvent, RecordedEvent } from '@saga/core';

export type ExecutionKind = 'finished' | 'open';

/**
 * A deterministic, UUID-shaped execution id: md5 of `<kind>-<n>`, formatted 8-4-4-4-12 (what
 * PostgreSQL's `md5(text)::uuid::text` gives, so the SQL bulk path and this agree on every id).
 */
export const scaleExecutionId = (kind: ExecutionKind, n: number): string => {
  const hex = createHash('md5').update(`${kind}-${n}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/** A recorded history and the id it was recorded under. */
export interface Template {
  readonly executionId: string;
  readonly events: readonly RecordedEvent[];
  /** `indexEntryOf(fold(decodeHistory(events)))` of the template. */
  readonly entry: ExecutionIndexEntry;
}

const replaceId = <T>(value: T, oldId: string, newId: string): T => JSON.parse(JSON.stringify(value).replaceAll(oldId, newId)) as T;

/** The template's events as one append for execution `newId` (the id replaced in data and metadata). */
export const eventsFor = (template: Template, newId: string): NewEvent[] =>
  template.events.map((event) => ({
    type: event.type,
    data: replaceId<JsonObject>(event.data, template.executionId, newId),
    metadata: replaceId<JsonObject>(event.metadata, template.executionId, newId),
  }));

/** The template's index entry for execution `newId`: the same fold, another id. */
export const entryFor = (template: Template, newId: string): ExecutionIndexEntry => ({ ...template.entry, executionId: newId });

/** [from, to) ranges of at most `size` covering 0…total−1. */
export const batches = (total: number, size: number): [number, number][] => {
  const ranges: [number, number][] = [];
  for (let from = 0; from < total; from += size) ranges.push([from, Math.min(total, from + size)]);
  return ranges;
};

/** `--scale=10000,100000,1e6` sizes, written plainly or with k/M suffixes. */
export const parseScaleSize = (text: string): number => {
  const match = /^(\d+(?:\.\d+)?)\s*([kKmM]?)$/.exec(text.trim());
  if (!match) return Number.NaN;
  const factor = match[2] === '' ? 1 : match[2]?.toLowerCase() === 'k' ? 1_000 : 1_000_000;
  return Math.round(Number(match[1]) * factor);
};
