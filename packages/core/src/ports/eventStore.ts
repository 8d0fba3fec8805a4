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

/** Called after new events were appended to a watched stream (by this or another process). */
export type StreamListener = (lastRevision: number) => void;
export type Unsubscribe = () => void;

export interface EventStore {
  /** Creates tables/connections. Safe to call more than once. */
  setup(): Promise<void>;
  /** Releases connections. The store is unusable afterwards. */
  destroy(): Promise<void>;
  /**
   * Appends `events` atomically (all or none). Throws `ConcurrencyConflictError` when the stream's
   * last revision is not `expectedRevision`. An empty `events` list is an error.
   */
  append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /** Events of `stream` in revision order from `fromRevision`; `[]` for a stream that does not exist. */
  read(stream: string, options?: ReadOptions): Promise<readonly RecordedEvent[]>;
  /** Lists streams with a cursor; recovery and the CLI page through all executions with it. */
  listStreams(options?: ListStreamsOptions): Promise<StreamPage>;
  /**
   * Notifies `listener` whenever `stream` grows. Delivery may be coalesced (one call for several
   * appends) and may lag; listeners re-read the stream to learn what changed.
   */
  watch(stream: string, listener: StreamListener): Unsubscribe;
}
