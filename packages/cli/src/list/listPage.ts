/**
 * One page of `saga list` from the execution index, newest first. Without `--context` it is one
 * index query. With it, the index pages of the other filters are walked and the candidates' streams
 * read (a few at a time) until the page is full: the context is not indexed, so this costs a read per
 * candidate; the cursor then points after the last execution shown.
 */
import { encodeIndexCursor, maxIndexPage, type EventStore, type ExecutionIndexEntry, type ExecutionQuery } from '@saga/core';
import { readExecution } from '../store/loadExecution.js';
import { contextMatches, type ContextFilter } from './contextFilter.js';

export interface ListPage {
  readonly entries: readonly ExecutionIndexEntry[];
  /** Pass as `--after` for the next page; absent when there is none. */
  readonly nextCursor?: string;
  /** With `--context`: how many streams were read. */
  readonly streamsRead?: number;
  /** Executions the index lists whose stream does not exist (with `--context`, where streams are read). */
  readonly orphaned: readonly string[];
}

/** Streams read at once while filtering by context. */
const readAhead = 16;

export const listPage = async (
  store: EventStore,
  request: { readonly query: ExecutionQuery; readonly contextFilters: readonly ContextFilter[]; readonly limit: number; readonly after?: string },
): Promise<ListPage> => {
  const { query, contextFilters, limit } = request;
  const from = request.after !== undefined ? { after: request.after } : {};
  if (contextFilters.length === 0) {
    const page = await store.index.query({ ...query, ...from, limit });
    return { entries: page.entries, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}), orphaned: [] };
  }
  const shown: ExecutionIndexEntry[] = [];
  const orphaned: string[] = [];
  let streamsRead = 0;
  let after = request.after;
  for (;;) {
    const page = await store.index.query({ ...query, ...(after !== undefined ? { after } : {}), limit: Math.min(maxIndexPage, Math.max(limit, 100)) });
    for (let start = 0; start < page.entries.length; start += readAhead) {
      const candidates = page.entries.slice(start, start + readAhead);
      const loaded = await Promise.all(candidates.map((entry) => readExecution(store, entry.executionId)));
      streamsRead += loaded.length;
      for (const [index, execution] of loaded.entries()) {
        const entry = candidates[index] as ExecutionIndexEntry;
        if (execution.stored.length === 0) orphaned.push(entry.executionId);
        else if (contextFilters.every((filter) => contextMatches(execution.execution.context, filter))) shown.push(entry);
        if (shown.length < limit) continue;
        const more = start + index + 1 < page.entries.length || page.nextCursor !== undefined;
        return { entries: shown, ...(more ? { nextCursor: encodeIndexCursor(entry) } : {}), streamsRead, orphaned };
      }
    }
    if (page.nextCursor === undefined) return { entries: shown, streamsRead, orphaned };
    after = page.nextCursor;
  }
};
