/**
 * The EventStore port: what the engine needs from a store of append-only streams.
 *
 * One stream per saga execution (`saga-<executionId>`). Revisions are 0-based and dense: the first
 * event of a stream has revision 0. Every adapter passes `eventStoreContract` from `@saga/testing`.
 */

import type { JsonObject } from '@saga/definitions';

export type { JsonObject, JsonValue } from '@saga/definitions';

/** An event to append. `id` is optional: adapters that support idempotent appends use it. */
export interface NewEvent {
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata?: JsonObject;
  readonly id?: string;
}

/** An event as read back from a stream. `recordedAt` is an ISO-8601 timestamp set by the store. */
export interface RecordedEvent {
  readonly stream: string;
  readonly revision: number;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  readonly recordedAt: string;
}

/**
 * What the writer expects the stream's last revision to be:
 * - `'no_stream'`: the stream must not exist yet;
 * - a number: the stream's last event must have exactly that revision;
 * - `'any'`: no check (never used by the engine, offered for tools and tests).
 */
export type ExpectedRevision = number | 'no_stream' | 'any';

export interface AppendResult {
  /** The revision of the last event written. */
  readonly lastRevision: number;
  /** The `recordedAt` the store gave the appended events (one timestamp per append). */
  readonly recordedAt?: string;
}

export interface ReadOptions {
  /** First revision to return (inclusive). Default 0. */
  readonly fromRevision?: number;
}

export interface StreamSummary {
  readonly stream: string;
  /** The last revision of the stream. */
  readonly lastRevision: number;
  /** When the stream's first event was recorded (ISO-8601). */
  readonly createdAt: string;
}

export interface ListStreamsOptions {
  /** Only streams whose name starts with this prefix. Default `'saga-'`. */
  readonly prefix?: string;
  /** The cursor returned by the previous page; omit for the first page. */
  readonly after?: string;
  /** Page size. Default 100. */
  readonly limit?: number;
}

export interface StreamPage {
  /** Streams in the order they were created (oldest first). */
  readonly streams: readonly StreamSummary[];
  /** Pass as `after` to get the next page; absent on the last page. */
  readonly nextCursor?: string;
}

/**
 * Where an event stands in the store's global order (PostgreSQL: a sequence; SQLite: the rowid;
 * EventStoreDB: commit/prepare positions; in memory: the log index). Opaque: only the store that
 * gave it reads it. Positions only grow: an event appended later has a later position.
 */
export type GlobalPosition = string;

/** An event read from the store's global order. */
export interface GlobalEvent extends RecordedEvent {
  readonly position: GlobalPosition;
}

export interface ReadAllOptions {
  /** Events after this position (exclusive); omit to start at the beginning. */
  readonly after?: GlobalPosition;
  /**
   * At most this many events. Default 500. A page holds fewer only when fewer matching events are
   * readable now: readers take a short page to mean they have caught up.
   */
  readonly limit?: number;
  /** Only streams whose name starts with this prefix. Default `'saga-'`. */
  readonly prefix?: string;
}

export interface GlobalPage {
  /** In global order; events of one append are contiguous and in revision order. */
  readonly events: readonly GlobalEvent[];
  /**
   * Where the next read continues (pass as `after`): the last event's position, or further when the
   * store skipped events that did not match the prefix; equal to `after` when nothing was found.
   */
  readonly position?: GlobalPosition;
}

/** Called after events were appended anywhere in the store (coalesced; may lag; may be spurious). */
export type AppendListener = () => void;
export type Unsubscribe = () => void;

/**
 * One row per execution, kept by the store beside the streams so that recovery, sweeps and listings
 * cost what the open executions cost, not what the history holds. The engine computes it from the
 * folded execution (`indexEntryOf`) and hands it to `append`; stores with transactions write it in
 * the append's transaction (never out of step), others project it (and say how far behind they are).
 */
export interface ExecutionIndexEntry {
  readonly executionId: string;
  readonly service: string;
  readonly definitionName: string;
  readonly definitionVersion: string;
  /** A `SagaStatus`: created, running, paused, finished, errored. */
  readonly status: string;
  readonly phase: 'forward' | 'compensating' | 'ended';
  /** The engine still owes it something: a reply or vote awaited, a timer, a message to (re)send, an operator's resume. */
  readonly open: boolean;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly user: string | null;
  /** When its earliest timer is due (ISO-8601), if it has one. */
  readonly nextDueAt: string | null;
  /** What it waits for, in words ("reply to stock.reserve", "votes", "operator: resume"), if anything. */
  readonly waitingFor: string | null;
  /** The revision of the last event the entry reflects. */
  readonly revision: number;
}

export interface ExecutionQuery {
  readonly service?: string;
  /** One status or any of several. */
  readonly status?: string | readonly string[];
  readonly definitionName?: string;
  readonly definitionVersion?: string;
  readonly user?: string;
  /** Started at or after (inclusive, ISO-8601). */
  readonly startedFrom?: string;
  /** Started before (exclusive, ISO-8601). */
  readonly startedTo?: string;
  readonly open?: boolean;
  /** Only entries whose `nextDueAt` is at or before this time. */
  readonly dueBefore?: string;
  /** The cursor of the previous page. */
  readonly after?: string;
  /** Page size, 1 to 1000. Default 100. */
  readonly limit?: number;
}

export interface ExecutionPage {
  /** Newest first (by `startedAt`, then `executionId`). */
  readonly entries: readonly ExecutionIndexEntry[];
  readonly nextCursor?: string;
}

export interface ClaimOptions {
  readonly service: string;
  /** Who claims (a worker's id); a claim lasts `leaseMs` and keeps other owners away from the entry. */
  readonly owner: string;
  readonly leaseMs: number;
  /** Only open entries whose `nextDueAt` is at or before this time; omit for every open entry. */
  readonly dueBefore?: string;
  /** At most this many. Default 100. */
  readonly limit?: number;
}

/** The execution index of a store (see `ExecutionIndexEntry`). */
export interface ExecutionIndex {
  /** `'inline'`: written in the append's transaction; `'projected'`: follows the global order, with `lag()`. */
  readonly consistency: 'inline' | 'projected';
  get(executionId: string): Promise<ExecutionIndexEntry | undefined>;
  query(query?: ExecutionQuery): Promise<ExecutionPage>;
  /**
   * Takes a lease on open entries of a service that nobody holds a live lease on (the caller
   * included: claiming again gives the next entries, not the same ones), so that several workers of
   * one service share recovery and timers instead of each doing all of it. Leases expire after
   * `leaseMs`; an entry whose worker died is claimed by another then. A store that cannot lease
   * returns every matching entry (first append wins, as everywhere).
   */
  claim(options: ClaimOptions): Promise<readonly ExecutionIndexEntry[]>;
  /**
   * Extends the leases `owner` holds on open entries of `service` to `leaseMs` from now (a live
   * worker does this every sweep, so its executions stay its own). Returns how many it holds.
   */
  renew(options: LeaseOptions): Promise<number>;
  /**
   * Gives up every lease `owner` holds (a worker shutting down, or starting again under the same id).
   * Returns how many open entries it held.
   */
  release(owner: string): Promise<number>;
  /** Writes entries as given (rebuilding or repairing the index; the engine's appends do not need it). */
  put(entries: readonly ExecutionIndexEntry[]): Promise<void>;
  /** Removes entries (an entry whose stream does not exist). */
  remove(executionIds: readonly string[]): Promise<void>;
  /** How far the index is behind the global order (`'projected'` only; 0 for `'inline'`). */
  lag(): Promise<{ readonly events: number; readonly position?: GlobalPosition }>;
}

export interface LeaseOptions {
  readonly service: string;
  readonly owner: string;
  readonly leaseMs: number;
}

export interface AppendOptions {
  /** The execution's index entry after this append; written atomically with the events. */
  readonly index?: ExecutionIndexEntry;
  /**
   * With `index`: the writer takes the entry's lease for `leaseMs` (the worker driving an execution
   * holds it, so other workers' recovery leaves it alone while that worker lives). Stores that cannot
   * lease ignore it.
   */
  readonly lease?: { readonly owner: string; readonly leaseMs: number };
}

export interface EventStore {
  /** Creates tables/connections. Safe to call more than once. */
  setup(): Promise<void>;
  /** Releases connections. The store is unusable afterwards. */
  destroy(): Promise<void>;
  /**
   * Appends `events` atomically (all or none). Throws `ConcurrencyConflictError` when the stream's
   * last revision is not `expectedRevision`. An empty `events` list is an error. With
   * `options.index`, the execution's index entry is written with the events (or projected from them).
   */
  append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision, options?: AppendOptions): Promise<AppendResult>;
  /** Events of `stream` in revision order from `fromRevision`; `[]` for a stream that does not exist. */
  read(stream: string, options?: ReadOptions): Promise<readonly RecordedEvent[]>;
  /** Lists streams with a cursor (the CLI's raw listing; recovery reads the index instead). */
  listStreams(options?: ListStreamsOptions): Promise<StreamPage>;
  /**
   * Events of every stream in the store's global order, after a position. A position this store
   * never gave (malformed, or past its end) is refused with a message naming it.
   */
  readAll(options?: ReadAllOptions): Promise<GlobalPage>;
  /** The position of the last event stored now; `undefined` when the store is empty. */
  headPosition(): Promise<GlobalPosition | undefined>;
  /**
   * Tells `listener` that events were appended (by this process, or by another where the store can
   * tell: PostgreSQL LISTEN, an EventStoreDB subscription). Readers then `readAll` from where they
   * were. One process needs one such listener per store: `storeFeed` fans it out.
   */
  onAppended(listener: AppendListener): Unsubscribe;
  /** The execution index. */
  readonly index: ExecutionIndex;
}
