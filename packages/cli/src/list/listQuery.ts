/**
 * What `saga list`'s options ask of the execution index: an `ExecutionQuery` (every filter but
 * `--context` is indexed), and the same criteria in words for the page's footer.
 */
import { SagaStatus, decodeIndexCursor, maxIndexPage, type ExecutionQuery } from '@saga/core';
import { UsageError } from '../cliError.js';
import { parseSince } from '../format/since.js';
import { shortTime } from '../format/time.js';

export interface ListOptions {
  readonly status?: readonly string[];
  readonly definition?: string;
  readonly service?: string;
  readonly user?: string;
  readonly since?: string;
  readonly until?: string;
  readonly open?: boolean;
  readonly context?: readonly string[];
  readonly limit: number;
  readonly after?: string;
}

export interface ListQuery {
  /** The index query of one page (without `after` and `limit`, which paging sets). */
  readonly query: ExecutionQuery;
  /** The criteria in words: `status paused`, `since 2026-03-01 00:00:00Z`, … */
  readonly criteria: readonly string[];
}

export const listStatuses: readonly string[] = Object.values(SagaStatus);

const parseStatuses = (given: readonly string[]): string[] => {
  const wanted = [...new Set(given.flatMap((text) => text.split(',')).map((s) => s.trim().toLowerCase()).filter(Boolean))];
  const unknown = wanted.filter((s) => !listStatuses.includes(s));
  if (wanted.length === 0 || unknown.length > 0) {
    const corrupted = unknown.includes('corrupted') ? ' (streams that do not decode are found by `saga verify --all`, not by the index)' : '';
    throw new UsageError(
      `--status '${given.join(',')}': unknown status ${unknown.join(', ') || '(empty)'}${corrupted}; use one or more of ${listStatuses.join(', ')} (comma-separated or repeated).`,
    );
  }
  return wanted;
};

/** `name` or `name@version` (the last `@` separates them). */
const parseDefinition = (text: string): { definitionName: string; definitionVersion?: string } => {
  const at = text.lastIndexOf('@');
  const [name, version] = at > 0 ? [text.slice(0, at), text.slice(at + 1)] : [text, undefined];
  if (name.trim() === '' || version?.trim() === '') throw new UsageError(`--definition '${text}': use a saga's name, or name@version (e.g. create_order@1).`);
  return { definitionName: name.trim(), ...(version !== undefined ? { definitionVersion: version.trim() } : {}) };
};

export const assertLimit = (limit: number): void => {
  if (limit > maxIndexPage) throw new UsageError(`--limit must be at most ${maxIndexPage}, got ${limit}: page with --after instead.`);
};

export const assertCursor = (cursor: string): void => {
  try {
    decodeIndexCursor(cursor);
  } catch {
    throw new UsageError(`--after '${cursor}' is not a cursor of \`saga list\`: pass the one printed under the previous page (with the same filters).`);
  }
};

export const listQuery = (options: ListOptions, now: Date = new Date()): ListQuery => {
  assertLimit(options.limit);
  if (options.after !== undefined) assertCursor(options.after);
  const statuses = options.status !== undefined ? parseStatuses(options.status) : undefined;
  const definition = options.definition !== undefined ? parseDefinition(options.definition) : undefined;
  const since = options.since !== undefined ? parseSince(options.since, now, '--since') : undefined;
  const until = options.until !== undefined ? parseSince(options.until, now, '--until') : undefined;
  if (since && until && since.getTime() >= until.getTime()) {
    throw new UsageError(`--since ${shortTime(since.toISOString())} is not before --until ${shortTime(until.toISOString())}: nothing can match.`);
  }
  const query: ExecutionQuery = {
    ...(statuses ? { status: statuses } : {}),
    ...(definition ?? {}),
    ...(options.service !== undefined ? { service: options.service } : {}),
    ...(options.user !== undefined ? { user: options.user } : {}),
    ...(since ? { startedFrom: since.toISOString() } : {}),
    ...(until ? { startedTo: until.toISOString() } : {}),
    ...(options.open === true ? { open: true } : {}),
  };
  const criteria = [
    statuses ? `status ${statuses.join(',')}` : '',
    options.definition !== undefined ? `definition ${options.definition}` : '',
    options.service !== undefined ? `service ${options.service}` : '',
    options.user !== undefined ? `user ${options.user}` : '',
    since ? `since ${shortTime(since.toISOString())}` : '',
    until ? `until ${shortTime(until.toISOString())}` : '',
    options.open === true ? 'open' : '',
    ...(options.context ?? []).map((filter) => `context ${filter}`),
  ].filter(Boolean);
  return { query, criteria };
};
