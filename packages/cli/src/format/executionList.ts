/** `saga list`'s table: one row per index entry, and the footer that says what was listed and how to go on. */
import type { ExecutionIndexEntry, SagaStatus } from '@saga/core';
import type { Io } from '../io.js';
import type { ListPage } from '../list/listPage.js';
import { cut } from './json.js';
import { table } from './table.js';
import { shortTime } from './time.js';

/** What the execution waits for, or when its next timer is due; empty when the engine owes it nothing. */
const nowOf = (entry: ExecutionIndexEntry): string => {
  if (entry.waitingFor !== null) return cut(`waiting for ${entry.waitingFor}`, 48);
  if (entry.nextDueAt !== null) return `timer due ${shortTime(entry.nextDueAt)}`;
  return entry.open ? 'open' : '';
};

const row = (entry: ExecutionIndexEntry, io: Io): string[] => [
  entry.executionId,
  `${entry.definitionName}@${entry.definitionVersion}`,
  entry.service,
  io.style.status(entry.status as SagaStatus),
  shortTime(entry.startedAt),
  String(entry.revision + 1),
  nowOf(entry),
];

export interface ListedScope {
  /** The store, as `describeStore` puts it. */
  readonly store: string;
  readonly criteria: readonly string[];
  /** Whether this page continues a previous one (`--after`). */
  readonly continued: boolean;
}

export const printExecutionList = (io: Io, page: ListPage, scope: ListedScope): void => {
  const matching = scope.criteria.length > 0 ? ` matching ${scope.criteria.join(', ')}` : '';
  const read = page.streamsRead !== undefined ? ` --context is not indexed: ${page.streamsRead} stream${page.streamsRead === 1 ? '' : 's'} read.` : '';
  if (page.entries.length === 0) {
    if (scope.continued) io.out(`No more executions${matching}.${read}`);
    else if (scope.criteria.length === 0) io.out(`No executions in the store ${scope.store}.`);
    else io.out(`No execution${matching} in the store ${scope.store}.${read}`);
    return;
  }
  const rows = table(['id', 'definition', 'service', 'status', 'started (UTC)', 'events', 'now']);
  for (const entry of page.entries) rows.push(row(entry, io));
  io.out(rows.toString());
  const count = `${page.entries.length} execution${page.entries.length === 1 ? '' : 's'}${matching}`;
  const next = page.nextCursor !== undefined ? ` Next page: --after ${page.nextCursor}` : '';
  io.out(io.style.dim(`${count}, newest first.${read}${next}`));
};
