/**
 * What every store checks of an index query before it runs it, and the one cursor codec of index
 * pages: newest first by (startedAt, executionId), so a page boundary is that pair.
 */
import { SagaError } from '@saga/definitions';
import type { AppendOptions, ClaimOptions, ExecutionIndexEntry, ExecutionQuery, LeaseOptions } from './eventStore.js';

export interface ResolvedExecutionQuery {
  readonly service?: string;
  readonly statuses?: readonly string[];
  readonly definitionName?: string;
  readonly definitionVersion?: string;
  readonly user?: string;
  readonly startedFrom?: string;
  readonly startedTo?: string;
  readonly open?: boolean;
  readonly dueBefore?: string;
  /** Entries strictly after this boundary in newest-first order. */
  readonly after?: IndexCursor;
  readonly limit: number;
}

export interface IndexCursor {
  readonly startedAt: string;
  readonly executionId: string;
}

const cursorTag = 'idx1:';

export const encodeIndexCursor = (entry: Pick<ExecutionIndexEntry, 'startedAt' | 'executionId'>): string =>
  Buffer.from(`${cursorTag}${JSON.stringify([entry.startedAt, entry.executionId])}`, 'utf8').toString('base64url');

export const decodeIndexCursor = (cursor: string): IndexCursor => {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  let parsed: unknown;
  try {
    parsed = text.startsWith(cursorTag) ? JSON.parse(text.slice(cursorTag.length)) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string' || Number.isNaN(Date.parse(parsed[0]))) {
    throw new SagaError(`Invalid execution index cursor '${cursor}': pass the nextCursor of a previous page of this store, or omit it.`);
  }
  return { startedAt: parsed[0], executionId: parsed[1] };
};

/** `Date#toISOString()`'s own form (UTC, milliseconds): what the engine writes, already normalised. */
const canonicalTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * `value` as `Date#toISOString()` writes it, or undefined when it is not a time. Every index entry
 * of every append passes here (twice): the engine's own form is recognised without parsing it.
 */
export const normalizedTime = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined;
  if (canonicalTime.test(value) && !Number.isNaN(Date.parse(value))) return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

const timestamp = (name: string | (() => string), value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  const normalized = normalizedTime(value);
  if (normalized === undefined) {
    throw new SagaError(`Invalid execution query: ${typeof name === 'string' ? name : name()} '${String(value)}' is not an ISO-8601 time (e.g. 2026-12-01T00:00:00Z).`);
  }
  return normalized;
};

const text = (name: string, value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new SagaError(`Invalid execution query: ${name} must be a string.`);
  return value;
};

export const maxIndexPage = 1_000;

export const resolveExecutionQuery = (query: ExecutionQuery = {}): ResolvedExecutionQuery => {
  const limit = query.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxIndexPage) {
    throw new SagaError(`Invalid execution query: limit ${String(limit)} must be a whole number from 1 to ${maxIndexPage}.`);
  }
  const statuses = query.status === undefined ? undefined : typeof query.status === 'string' ? [query.status] : [...query.status];
  if (statuses?.some((s) => typeof s !== 'string')) throw new SagaError('Invalid execution query: status must be a string or a list of strings.');
  if (query.open !== undefined && typeof query.open !== 'boolean') throw new SagaError('Invalid execution query: open must be true or false.');
  const resolved: Record<string, unknown> = {
    service: text('service', query.service),
    statuses,
    definitionName: text('definitionName', query.definitionName),
    definitionVersion: text('definitionVersion', query.definitionVersion),
    user: text('user', query.user),
    startedFrom: timestamp('startedFrom', query.startedFrom),
    startedTo: timestamp('startedTo', query.startedTo),
    open: query.open,
    dueBefore: timestamp('dueBefore', query.dueBefore),
    after: query.after === undefined ? undefined : decodeIndexCursor(query.after),
    limit,
  };
  for (const key of Object.keys(resolved)) if (resolved[key] === undefined) delete resolved[key];
  return resolved as unknown as ResolvedExecutionQuery;
};

/** The same query as a predicate: the in-memory store's filter, and the reference for the others. */
export const matchesExecutionQuery = (query: ResolvedExecutionQuery, entry: ExecutionIndexEntry): boolean =>
  (query.service === undefined || entry.service === query.service) &&
  (query.statuses === undefined || query.statuses.includes(entry.status)) &&
  (query.definitionName === undefined || entry.definitionName === query.definitionName) &&
  (query.definitionVersion === undefined || entry.definitionVersion === query.definitionVersion) &&
  (query.user === undefined || entry.user === query.user) &&
  (query.startedFrom === undefined || Date.parse(entry.startedAt) >= Date.parse(query.startedFrom)) &&
  (query.startedTo === undefined || Date.parse(entry.startedAt) < Date.parse(query.startedTo)) &&
  (query.open === undefined || entry.open === query.open) &&
  (query.dueBefore === undefined || (entry.nextDueAt !== null && Date.parse(entry.nextDueAt) <= Date.parse(query.dueBefore))) &&
  (query.after === undefined || newestFirst(entry, query.after) > 0);

/** Newest-first order: negative when `a` comes before `b`. */
export const newestFirst = (a: Pick<ExecutionIndexEntry, 'startedAt' | 'executionId'>, b: IndexCursor): number => {
  const byTime = Date.parse(b.startedAt) - Date.parse(a.startedAt);
  if (byTime !== 0) return byTime;
  return a.executionId < b.executionId ? 1 : a.executionId > b.executionId ? -1 : 0;
};

export const resolveClaimOptions = (options: ClaimOptions): Required<Omit<ClaimOptions, 'dueBefore'>> & { readonly dueBefore?: string } => {
  if (typeof options?.service !== 'string' || options.service.length === 0) throw new SagaError('claim() needs the service whose executions to claim.');
  if (typeof options.owner !== 'string' || options.owner.length === 0) throw new SagaError('claim() needs an owner (the worker id).');
  if (!Number.isSafeInteger(options.leaseMs) || options.leaseMs < 1) throw new SagaError(`claim(): leaseMs ${String(options.leaseMs)} must be a whole number ≥ 1.`);
  const limit = options.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxIndexPage) throw new SagaError(`claim(): limit ${String(limit)} must be from 1 to ${maxIndexPage}.`);
  const dueBefore = timestamp('dueBefore', options.dueBefore);
  return { service: options.service, owner: options.owner, leaseMs: options.leaseMs, limit, ...(dueBefore === undefined ? {} : { dueBefore }) };
};

/** What every store checks of an entry it is given, so a bad entry fails the same way everywhere. */
export const assertIndexEntry = (entry: ExecutionIndexEntry): void => {
  // Made only for a message: every append of every store checks its entry here.
  const where = () => `index entry of execution '${String(entry?.executionId)}'`;
  if (typeof entry?.executionId !== 'string' || entry.executionId.length === 0) throw new SagaError('An index entry needs a non-empty executionId.');
  for (const key of ['service', 'definitionName', 'definitionVersion', 'status', 'phase'] as const) {
    if (typeof entry[key] !== 'string') throw new SagaError(`Invalid ${where()}: ${key} must be a string.`);
  }
  for (const key of ['startedAt', 'updatedAt'] as const) timestamp(() => `${where()} ${key}`, entry[key]);
  if (entry.nextDueAt !== null) timestamp(() => `${where()} nextDueAt`, entry.nextDueAt);
  if (typeof entry.open !== 'boolean') throw new SagaError(`Invalid ${where()}: open must be a boolean.`);
  if (!Number.isSafeInteger(entry.revision) || entry.revision < 0) throw new SagaError(`Invalid ${where()}: revision must be a whole number ≥ 0.`);
};

const assertLease = (what: string, owner: unknown, leaseMs: unknown): void => {
  if (typeof owner !== 'string' || owner.length === 0) throw new SagaError(`${what} needs an owner (the worker id).`);
  if (!Number.isSafeInteger(leaseMs) || (leaseMs as number) < 1) throw new SagaError(`${what}: leaseMs ${String(leaseMs)} must be a whole number ≥ 1.`);
};

export const resolveLeaseOptions = (options: LeaseOptions): LeaseOptions => {
  if (typeof options?.service !== 'string' || options.service.length === 0) throw new SagaError('renew() needs the service whose leases to renew.');
  assertLease('renew()', options.owner, options.leaseMs);
  return { service: options.service, owner: options.owner, leaseMs: options.leaseMs };
};

/** The lease an append asks for, checked; undefined when there is none (or no index entry to hold it). */
export const appendLease = (options: AppendOptions): AppendOptions['lease'] => {
  if (options.lease === undefined || options.index === undefined) return undefined;
  assertLease('append({ lease })', options.lease.owner, options.lease.leaseMs);
  return options.lease;
};

export const assertOwner = (owner: string): string => {
  if (typeof owner !== 'string' || owner.length === 0) throw new SagaError('release() needs an owner (the worker id).');
  return owner;
};
