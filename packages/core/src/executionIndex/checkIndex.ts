/**
 * Checks a store's execution index against its streams, changing nothing: every stream has an
 * entry, every entry has a stream, and each entry is what its stream gives
 * (`indexEntryOf(fold(decodeHistory(events)))`). Streams that do not decode are reported too: no
 * entry can be computed for them.
 *
 * Safe while the engine runs: an entry found ahead of the stream read just before it (an append
 * came in between) is compared again, and an entry whose execution was not listed is looked up
 * before it is called orphaned. On a store whose index is projected, what `lag()` says is behind
 * may show up as missing or stale; the report carries the lag.
 */
import { SagaError } from '@saga/definitions';
import type { EventStore, ExecutionIndexEntry, GlobalPosition } from '../ports/eventStore.js';
import { executionIdOf, executionStream } from '../manager/executionStream.js';
import { mapConcurrently } from './mapConcurrently.js';
import { describeDifferences, diffIndexEntry, type IndexEntryDiffOptions, type IndexEntryDifference } from './indexEntryDiff.js';
import { streamIndexEntry } from './streamIndexEntry.js';

export type IndexFinding =
  /** A stream without an index entry: listings, recovery and timers do not see the execution. */
  | { readonly kind: 'missing'; readonly executionId: string; readonly stream: string; readonly message: string }
  /** An index entry without a stream. */
  | { readonly kind: 'orphaned'; readonly executionId: string; readonly entry: ExecutionIndexEntry; readonly message: string }
  /** An entry that is not what its stream gives. */
  | {
      readonly kind: 'differs';
      readonly executionId: string;
      readonly differences: readonly IndexEntryDifference[];
      readonly message: string;
    }
  /** A stream that does not decode: no entry can be computed for it (`indexed`: whether it has one anyway). */
  | {
      readonly kind: 'undecodable';
      readonly executionId: string;
      readonly stream: string;
      readonly revision: number;
      readonly reason: string;
      readonly indexed: boolean;
      readonly message: string;
    };

export type IndexFindingKind = IndexFinding['kind'];

export interface IndexProgress {
  /** `streams`: walking the streams; `entries`: walking the index for entries without a stream. */
  readonly phase: 'streams' | 'entries';
  /** How many streams (or entries) of this phase are done. */
  readonly done: number;
}

export interface IndexWalkOptions extends IndexEntryDiffOptions {
  /** How many streams are read at once. Default 8. */
  readonly concurrency?: number;
  /** Streams (and index entries) per page. Default 100. */
  readonly pageSize?: number;
  /** Called after every page. */
  readonly onProgress?: (progress: IndexProgress) => void;
}

export interface IndexCheckReport {
  readonly ok: boolean;
  /** Streams walked. */
  readonly streams: number;
  /** Index entries walked. */
  readonly entries: number;
  readonly findings: readonly IndexFinding[];
  readonly consistency: 'inline' | 'projected';
  /** What the index said about its lag when the check ended. */
  readonly lag: { readonly events: number; readonly position?: GlobalPosition };
}

export const missingMessage = (executionId: string): string =>
  `execution ${executionId} has a stream but no index entry: listings, recovery and timers do not see it`;
export const orphanedMessage = (executionId: string): string => `execution ${executionId} has an index entry but no stream`;
export const differsMessage = (executionId: string, differences: readonly IndexEntryDifference[]): string =>
  `the index entry of execution ${executionId} differs from its stream (index ≠ stream): ${describeDifferences(differences)}`;
export const undecodableMessage = (executionId: string, revision: number, reason: string, indexed: boolean): string =>
  `the stream of execution ${executionId} does not decode at revision ${revision}: ${reason}${indexed ? '' : ' (and it has no index entry)'}`;

export const resolveWalkOptions = (options: IndexWalkOptions): { concurrency: number; pageSize: number } => {
  const concurrency = options.concurrency ?? 8;
  const pageSize = options.pageSize ?? 100;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new SagaError(`Index check: concurrency ${String(concurrency)} must be a whole number ≥ 1.`);
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 1_000) throw new SagaError(`Index check: pageSize ${String(pageSize)} must be from 1 to 1000.`);
  return { concurrency, pageSize };
};

/** An append between reading the stream and reading its entry leaves the entry ahead: read both again, a few times. */
const rereads = 3;

/** The finding for one execution, or undefined when its entry is right (or it has neither stream nor entry). */
export const checkExecutionIndex = async (store: EventStore, executionId: string, options: IndexEntryDiffOptions = {}): Promise<IndexFinding | undefined> => {
  const stream = executionStream(executionId);
  for (let attempt = 0; ; attempt += 1) {
    const computed = await streamIndexEntry(store, executionId);
    if (computed.kind === 'absent') {
      const entry = await store.index.get(executionId);
      return entry ? { kind: 'orphaned', executionId, entry, message: orphanedMessage(executionId) } : undefined;
    }
    const indexed = await store.index.get(executionId);
    if (computed.kind === 'undecodable') {
      const { revision, reason } = computed;
      const has = indexed !== undefined;
      return { kind: 'undecodable', executionId, stream, revision, reason, indexed: has, message: undecodableMessage(executionId, revision, reason, has) };
    }
    if (!indexed) return { kind: 'missing', executionId, stream, message: missingMessage(executionId) };
    if (indexed.revision > computed.entry.revision && attempt < rereads) continue;
    const differences = diffIndexEntry(indexed, computed.entry, options);
    return differences.length === 0 ? undefined : { kind: 'differs', executionId, differences, message: differsMessage(executionId, differences) };
  }
};

export const checkIndex = async (store: EventStore, options: IndexWalkOptions = {}): Promise<IndexCheckReport> => {
  const { concurrency, pageSize } = resolveWalkOptions(options);
  const findings: IndexFinding[] = [];
  const seen = new Set<string>();
  const record = (found: readonly (IndexFinding | undefined)[]): void => {
    for (const finding of found) if (finding) findings.push(finding);
  };

  let streams = 0;
  let after: string | undefined;
  do {
    const page = await store.listStreams({ prefix: 'saga-', limit: pageSize, ...(after === undefined ? {} : { after }) });
    const ids = page.streams.map((summary) => executionIdOf(summary.stream));
    for (const id of ids) seen.add(id);
    record(await mapConcurrently(ids, concurrency, (id) => checkExecutionIndex(store, id, options)));
    streams += ids.length;
    options.onProgress?.({ phase: 'streams', done: streams });
    after = page.nextCursor;
  } while (after !== undefined);

  // Entries of executions the listing did not show: orphaned, or started since (then checked like the others).
  let entries = 0;
  let cursor: string | undefined;
  do {
    const page = await store.index.query({ limit: pageSize, ...(cursor === undefined ? {} : { after: cursor }) });
    const unseen = page.entries.filter((entry) => !seen.has(entry.executionId)).map((entry) => entry.executionId);
    record(await mapConcurrently(unseen, concurrency, (id) => checkExecutionIndex(store, id, options)));
    entries += page.entries.length;
    options.onProgress?.({ phase: 'entries', done: entries });
    cursor = page.nextCursor;
  } while (cursor !== undefined);

  const lag = await store.index.lag();
  return { ok: findings.length === 0, streams, entries, findings, consistency: store.index.consistency, lag };
};
