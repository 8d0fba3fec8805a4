/**
 * Rewrites a store's execution index from its streams: the entry of every stream that decodes is
 * computed (`indexEntryOf(fold(decodeHistory(events)))`) and written with `index.put`, and entries
 * without a stream are removed. Nothing is written to a stream; a stream that does not decode keeps
 * whatever entry it has, and is reported.
 *
 * Safe while the engine runs: after a page of entries is written, each stream is read past the
 * entry's revision, and an entry an append overtook (the engine's newer entry was overwritten) is
 * computed and written again.
 */
import type { EventStore, ExecutionIndexEntry } from '../ports/eventStore.js';
import { executionIdOf, executionStream } from '../manager/executionStream.js';
import { resolveWalkOptions, undecodableMessage, type IndexFinding, type IndexWalkOptions } from './checkIndex.js';
import { diffIndexEntry } from './indexEntryDiff.js';
import { mapConcurrently } from './mapConcurrently.js';
import { streamIndexEntry } from './streamIndexEntry.js';

export type UndecodableStream = Extract<IndexFinding, { kind: 'undecodable' }>;

export interface IndexRebuildReport {
  /** Streams walked. */
  readonly streams: number;
  /** Entries written (every stream that decodes). */
  readonly written: number;
  /** Of those, how many were missing from the index. */
  readonly added: number;
  /** Of those, how many differed from their stream (see `diffIndexEntry`). */
  readonly corrected: number;
  /** Executions whose entry was removed: it had no stream. */
  readonly removed: readonly string[];
  /** Streams that do not decode: their entries were left as they were. */
  readonly undecodable: readonly UndecodableStream[];
}

type Computed =
  | { readonly kind: 'entry'; readonly entry: ExecutionIndexEntry; readonly change: 'added' | 'corrected' | 'same' }
  | { readonly kind: 'absent'; readonly executionId: string }
  | { readonly kind: 'undecodable'; readonly finding: UndecodableStream };

/** How many times an entry overtaken by appends is written again before the rebuild moves on (the engine's own entry is newer anyway). */
const resettles = 3;

const compute = async (store: EventStore, executionId: string, options: IndexWalkOptions): Promise<Computed> => {
  const computed = await streamIndexEntry(store, executionId);
  if (computed.kind === 'absent') return { kind: 'absent', executionId };
  const existing = await store.index.get(executionId);
  if (computed.kind === 'undecodable') {
    const { revision, reason } = computed;
    const stream = executionStream(executionId);
    const indexed = existing !== undefined;
    return { kind: 'undecodable', finding: { kind: 'undecodable', executionId, stream, revision, reason, indexed, message: undecodableMessage(executionId, revision, reason, indexed) } };
  }
  const change = !existing ? 'added' : diffIndexEntry(existing, computed.entry, options).length > 0 ? 'corrected' : 'same';
  return { kind: 'entry', entry: computed.entry, change };
};

/** Writes the entry again while appends made after it was computed are in the stream. */
const settle = async (store: EventStore, written: ExecutionIndexEntry): Promise<void> => {
  let entry = written;
  for (let attempt = 0; attempt < resettles; attempt += 1) {
    const newer = await store.read(executionStream(entry.executionId), { fromRevision: entry.revision + 1 });
    if (newer.length === 0) return;
    const computed = await streamIndexEntry(store, entry.executionId);
    if (computed.kind !== 'entry') return;
    entry = computed.entry;
    await store.index.put([entry]);
  }
};

export const rebuildIndex = async (store: EventStore, options: IndexWalkOptions = {}): Promise<IndexRebuildReport> => {
  const { concurrency, pageSize } = resolveWalkOptions(options);
  const seen = new Set<string>();
  const removed: string[] = [];
  const undecodable: UndecodableStream[] = [];
  let written = 0;
  let added = 0;
  let corrected = 0;

  /** Writes what was computed for one page; returns the executions that have no stream. */
  const apply = async (results: readonly Computed[]): Promise<string[]> => {
    const entries: ExecutionIndexEntry[] = [];
    const absent: string[] = [];
    for (const result of results) {
      if (result.kind === 'absent') absent.push(result.executionId);
      else if (result.kind === 'undecodable') undecodable.push(result.finding);
      else {
        entries.push(result.entry);
        if (result.change === 'added') added += 1;
        if (result.change === 'corrected') corrected += 1;
      }
    }
    if (entries.length > 0) {
      await store.index.put(entries);
      written += entries.length;
      await mapConcurrently(entries, concurrency, (entry) => settle(store, entry));
    }
    return absent;
  };

  let streams = 0;
  let after: string | undefined;
  do {
    const page = await store.listStreams({ prefix: 'saga-', limit: pageSize, ...(after === undefined ? {} : { after }) });
    const ids = page.streams.map((summary) => executionIdOf(summary.stream));
    const results = await mapConcurrently(ids, concurrency, (id) => compute(store, id, options));
    // A stream gone since the listing is not "seen": its entry, if any, is removed below.
    for (const result of results) if (result.kind !== 'absent') seen.add(result.kind === 'entry' ? result.entry.executionId : result.finding.executionId);
    await apply(results);
    streams += ids.length;
    options.onProgress?.({ phase: 'streams', done: streams });
    after = page.nextCursor;
  } while (after !== undefined);

  let entries = 0;
  let cursor: string | undefined;
  do {
    const page = await store.index.query({ limit: pageSize, ...(cursor === undefined ? {} : { after: cursor }) });
    const unseen = page.entries.filter((entry) => !seen.has(entry.executionId)).map((entry) => entry.executionId);
    // Unseen: started after the listing (written like the others), or without a stream (removed).
    const absent = await apply(await mapConcurrently(unseen, concurrency, (id) => compute(store, id, options)));
    if (absent.length > 0) {
      await store.index.remove(absent);
      removed.push(...absent);
    }
    entries += page.entries.length;
    options.onProgress?.({ phase: 'entries', done: entries });
    cursor = page.nextCursor;
  } while (cursor !== undefined);

  return { streams, written, added, corrected, removed, undecodable };
};
