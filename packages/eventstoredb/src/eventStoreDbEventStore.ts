import {
  ANY,
  BACKWARDS,
  END,
  ErrorType,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  isCommandError,
  jsonEvent,
  type AppendExpectedRevision,
  type JSONEventType,
  type ResolvedEvent,
} from '@eventstore/db-client';
import {
  ConcurrencyConflictError,
  SagaError,
  assertAppendable,
  assertExpectedRevision,
  assertStreamName,
  readFromRevision,
  resolveListStreamsOptions,
  resolveTransientRetry,
  systemClock,
  withTransientRetry,
} from '@saga/core';
import type {
  AppendResult,
  Clock,
  EventStore,
  ExpectedRevision,
  JsonObject,
  ListStreamsOptions,
  NewEvent,
  ReadOptions,
  RecordedEvent,
  StreamListener,
  StreamPage,
  StreamSummary,
  TransientRetryPolicy,
  Unsubscribe,
} from '@saga/core';
import { decodeCursor, encodeCursor } from './allCursor.js';
import { describeHosts, invalidConnectionString, normalizeConnectionString } from './connectionString.js';
import type { EsdbClient } from './esdbClient.js';
import { eventUuid } from './eventIds.js';
import { fromStoredMetadata, withSystemMetadata } from './eventMetadata.js';
import { LastEvents } from './lastEvents.js';
import { scanStreamCreations } from './streamListing.js';
import { StreamWatchers } from './streamWatchers.js';
import { isTransientError } from './transientErrors.js';

export interface EventStoreDbEventStoreOptions {
  /** `esdb://host:2113?tls=false`, `kurrentdb://…`, `esdb+discover://…`; or give `client`. */
  readonly connectionString?: string;
  /** A ready `EventStoreDBClient`, which the store uses but never disposes (its owner does). */
  readonly client?: EsdbClient;
  /**
   * Prepended to every stream name on the server (`<namespace>saga-<id>`), so several applications
   * or environments can share one server; listings see only their own namespace. Default: none.
   */
  readonly namespace?: string;
  /** Sets `recordedAt` (one timestamp per append). Default: the system clock. */
  readonly clock?: Clock;
  /** Retries of a transient failure (server unreachable, leader changed). Default 5 retries, 100 ms → 2 s. */
  readonly retry?: TransientRetryPolicy;
  /** Longest a `listStreams` page may scan `$all`. Default 30 000 ms. */
  readonly listTimeoutMs?: number;
}

/** Streams whose last revision is looked up at once while a page is listed. */
const listConcurrency = 8;
/** Read by setup() to prove the server answers; it never exists, and is never written. */
const probeStream = 'saga-store-connectivity-probe';

const isErrorOfType = (error: unknown, type: ErrorType): boolean => error instanceof Error && isCommandError(error) && error.type === type;

/**
 * The EventStore port on EventStoreDB / KurrentDB (`@eventstore/db-client` 6.x): one server stream
 * per execution, appends with the expected revision, reads forward, listings by a filtered read
 * of `$all` (no projections needed), watching by stream subscriptions.
 */
export class EventStoreDbEventStore implements EventStore {
  readonly namespace: string;
  /** The server's hosts, for messages; never the credentials. */
  readonly target: string;
  readonly #client: EsdbClient;
  readonly #ownsClient: boolean;
  readonly #clock: Clock;
  readonly #retry: Required<TransientRetryPolicy>;
  readonly #listTimeoutMs: number;
  readonly #lastEvents = new LastEvents(10_000);
  readonly #watchers: StreamWatchers;
  #ready: Promise<void> | undefined;
  #destroyed = false;

  constructor(options: EventStoreDbEventStoreOptions) {
    if (typeof options !== 'object' || options === null || (options.connectionString === undefined && options.client === undefined)) {
      throw new SagaError('EventStoreDbEventStore needs a connectionString (esdb://host:2113?tls=false) or a client.');
    }
    this.namespace = options.namespace ?? '';
    if (typeof this.namespace !== 'string' || this.namespace.startsWith('$')) {
      throw new SagaError(`Invalid namespace ${JSON.stringify(options.namespace)}: use a string that does not start with '$' (those streams are the server's).`);
    }
    this.#clock = options.clock ?? systemClock;
    this.#retry = resolveTransientRetry('EventStoreDbEventStore', options.retry);
    this.#listTimeoutMs = options.listTimeoutMs ?? 30_000;
    if (!Number.isSafeInteger(this.#listTimeoutMs) || this.#listTimeoutMs < 1) {
      throw new SagaError(`EventStoreDbEventStore option listTimeoutMs must be a whole number ≥ 1, got ${String(options.listTimeoutMs)}.`);
    }
    if (options.client !== undefined) {
      this.#client = options.client;
      this.#ownsClient = false;
      this.target = 'the server of the given client';
    } else {
      const connectionString = normalizeConnectionString(options.connectionString ?? '');
      this.target = describeHosts(connectionString);
      try {
        this.#client = EventStoreDBClient.connectionString(connectionString);
      } catch (error) {
        // The client's parse errors quote the whole string, credentials included.
        const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
        throw invalidConnectionString(connectionString, message.replaceAll(connectionString, '…'));
      }
      this.#ownsClient = true;
    }
    this.#watchers = new StreamWatchers({
      subscribe: (stream, fromRevision) => this.#client.subscribeToStream(this.#physical(stream), { fromRevision }),
      lastRevision: (stream) => this.#lastRevision(this.#physical(stream)),
    });
  }

  /** Checks that the server answers (idempotent; the other methods call it when needed). */
  async setup(): Promise<void> {
    this.#assertUsable();
    this.#ready ??= this.#probe().catch((error: unknown) => {
      this.#ready = undefined; // A later call tries again, e.g. once the server is up.
      throw error;
    });
    return this.#ready;
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await this.#watchers.close();
    await this.#ready?.catch(() => undefined);
    if (this.#ownsClient) await this.#client.dispose();
  }

  async append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    assertAppendable(stream, events);
    assertExpectedRevision(stream, expectedRevision);
    // Copied through JSON: what is sent is what was passed, whatever the caller does with it later.
    const copies = events.map((event, index) => copyEvent(stream, event, index));
    await this.setup();
    const physical = this.#physical(stream);
    // Fixed before the first attempt: the server recognises a retried append by these ids.
    const ids = events.map((event) => eventUuid(event.id));
    const recordedAt = this.#clock.now().toISOString();
    let cause = await this.#causeOf(physical, expectedRevision);
    const eventData = copies.map((event, index) => {
      const metadata = withSystemMetadata(event.metadata, { correlationId: physical, causationId: cause, recordedAt });
      cause = ids[index];
      return jsonEvent<JSONEventType<string, JsonObject, JsonObject>>({ id: ids[index] ?? eventUuid(undefined), type: event.type, data: event.data, metadata });
    });
    try {
      const result = await this.#retrying(`append to '${stream}'`, () =>
        this.#client.appendToStream(physical, eventData, { expectedRevision: toExpected(expectedRevision) }),
      );
      const lastRevision = Number(result.nextExpectedRevision);
      const lastId = ids.at(-1);
      if (lastId !== undefined) this.#lastEvents.remember(physical, lastRevision, lastId);
      this.#watchers.notify(stream, lastRevision);
      return { lastRevision, recordedAt };
    } catch (error) {
      if (error instanceof Error && isCommandError(error) && error.type === ErrorType.WRONG_EXPECTED_VERSION) {
        const actual = error.actualVersion;
        throw new ConcurrencyConflictError(stream, expectedRevision, actual === 'no_stream' || actual < 0n ? 'no_stream' : Number(actual));
      }
      throw error;
    }
  }

  async read(stream: string, options: ReadOptions = {}): Promise<readonly RecordedEvent[]> {
    assertStreamName(stream);
    const fromRevision = readFromRevision(stream, options);
    await this.setup();
    const physical = this.#physical(stream);
    const resolved = await this.#retrying(`read '${stream}'`, () => this.#readForward(physical, BigInt(fromRevision)));
    const last = resolved.at(-1)?.event;
    if (last !== undefined) this.#lastEvents.remember(physical, Number(last.revision), last.id);
    return resolved.flatMap((item) => (item.event === undefined ? [] : [toRecordedEvent(stream, item.event)]));
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<StreamPage> {
    const { prefix, limit } = resolveListStreamsOptions(options);
    const after = options.after === undefined ? undefined : decodeCursor(options.after);
    await this.setup();
    const creations = await this.#retrying('list streams', () =>
      scanStreamCreations(this.#client, { prefix: this.namespace + prefix, after, limit, timeoutMs: this.#listTimeoutMs }),
    );
    const page = creations.slice(0, limit);
    const summaries: Array<StreamSummary | undefined> = new Array(page.length);
    // The last revision of each stream is one small backward read; a few at a time.
    for (let start = 0; start < page.length; start += listConcurrency) {
      await Promise.all(
        page.slice(start, start + listConcurrency).map(async ({ event }, offset) => {
          const lastRevision = await this.#retrying('list streams', () => this.#lastRevision(event.streamId));
          if (lastRevision === undefined) return; // Deleted since it was created.
          summaries[start + offset] = {
            stream: event.streamId.slice(this.namespace.length),
            lastRevision,
            createdAt: fromStoredMetadata(event.metadata).recordedAt ?? event.created.toISOString(),
          };
        }),
      );
    }
    const streams = summaries.filter((summary): summary is StreamSummary => summary !== undefined);
    const last = page.at(-1);
    return creations.length > limit && last !== undefined ? { streams, nextCursor: encodeCursor(last.position) } : { streams };
  }

  watch(stream: string, listener: StreamListener): Unsubscribe {
    this.#assertUsable();
    assertStreamName(stream);
    return this.#watchers.watch(stream, listener);
  }

  #physical(stream: string): string {
    return this.namespace + stream;
  }

  async #probe(): Promise<void> {
    try {
      await this.#retrying('connect', () => this.#readForward(probeStream, 0n, 1));
    } catch (error) {
      if (isErrorOfType(error, ErrorType.ACCESS_DENIED)) {
        throw new SagaError(
          `EventStoreDB/KurrentDB at ${this.target} refused the credentials: give a user that may read and write streams and read $all ` +
            '(in the connection string, esdb://user:password@host:2113, from SAGA_STORE_URL when the store comes from the environment).',
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** Events of a stream from a revision; [] when the stream does not exist or was deleted. */
  async #readForward(physical: string, fromRevision: bigint, maxCount?: number): Promise<ResolvedEvent[]> {
    const events: ResolvedEvent[] = [];
    try {
      for await (const resolved of this.#client.readStream(physical, { direction: FORWARDS, fromRevision, ...(maxCount === undefined ? {} : { maxCount }) })) {
        events.push(resolved);
      }
    } catch (error) {
      if (isErrorOfType(error, ErrorType.STREAM_NOT_FOUND) || isErrorOfType(error, ErrorType.STREAM_DELETED)) return [];
      throw error;
    }
    return events;
  }

  async #lastRevision(physical: string): Promise<number | undefined> {
    try {
      for await (const resolved of this.#client.readStream(physical, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
        if (resolved.event !== undefined) return Number(resolved.event.revision);
      }
    } catch (error) {
      if (isErrorOfType(error, ErrorType.STREAM_NOT_FOUND) || isErrorOfType(error, ErrorType.STREAM_DELETED)) return undefined;
      throw error;
    }
    return undefined;
  }

  /**
   * The id of the event the first new event follows (its `$causationId`). The engine reads a stream
   * before it appends to it, so this is nearly always known; otherwise one backward read finds it.
   */
  async #causeOf(physical: string, expected: ExpectedRevision): Promise<string | undefined> {
    if (typeof expected !== 'number') return undefined;
    const known = this.#lastEvents.at(physical, expected);
    if (known !== undefined) return known;
    try {
      for await (const resolved of this.#client.readStream(physical, { direction: BACKWARDS, fromRevision: BigInt(expected), maxCount: 1 })) {
        if (resolved.event !== undefined && Number(resolved.event.revision) === expected) return resolved.event.id;
      }
    } catch {
      // No cause then: the append itself reports a missing stream as a conflict.
    }
    return undefined;
  }

  /** Runs a call with the retry policy; a failure that outlasts it names the server, not the credentials. */
  async #retrying<T>(what: string, operation: () => Promise<T>): Promise<T> {
    this.#assertUsable();
    try {
      return await withTransientRetry(operation, this.#retry, isTransientError);
    } catch (error) {
      if (this.#destroyed) throw new SagaError(`Cannot ${what}: this EventStoreDbEventStore was destroyed meanwhile.`, { cause: error });
      if (!isTransientError(error)) throw error;
      const reason = error instanceof Error ? error.message.split('\n')[0] || error.name : String(error);
      throw new SagaError(
        `Cannot ${what}: EventStoreDB/KurrentDB at ${this.target} is unreachable (${reason}) after ${this.#retry.retries + 1} attempts. ` +
          'Is the server running, and is the connection string right (tls=false for an insecure server)? It is the `connectionString` ' +
          "option, or SAGA_STORE_URL when the store comes from the environment (SAGA_TEST_EVENTSTOREDB_URL for this repository's tests).",
        { cause: error },
      );
    }
  }

  #assertUsable(): void {
    if (this.#destroyed) throw new SagaError('This EventStoreDbEventStore was destroyed: create a new one (its events stay on the server).');
  }
}

const toExpected = (expected: ExpectedRevision): AppendExpectedRevision =>
  expected === 'no_stream' ? NO_STREAM : expected === 'any' ? ANY : BigInt(expected);

/** An event as the port returns it: the caller's metadata only, and the append's timestamp. */
const toRecordedEvent = (stream: string, event: NonNullable<ResolvedEvent['event']>): RecordedEvent => {
  const { metadata, recordedAt } = fromStoredMetadata(event.metadata);
  return {
    stream,
    revision: Number(event.revision),
    type: event.type,
    // Whatever is stored is handed on, even when it is not a JSON object (written by another tool):
    // the engine's decoding then reports it as a CorruptedHistoryError naming the revision.
    data: (event.isJson ? event.data : decodeBinary(event.data)) as JsonObject,
    metadata,
    recordedAt: recordedAt ?? event.created.toISOString(),
  };
};

const decodeBinary = (data: Uint8Array): unknown => {
  const text = Buffer.from(data).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

const copyEvent = (stream: string, event: NewEvent, index: number): { type: string; data: JsonObject; metadata: JsonObject | undefined } => {
  try {
    return JSON.parse(JSON.stringify({ type: event.type, data: event.data, metadata: event.metadata })) as { type: string; data: JsonObject; metadata: JsonObject | undefined };
  } catch (error) {
    throw new SagaError(`Cannot append to stream '${stream}': event ${index} (${event.type}) is not JSON (${(error as Error).message}).`, { cause: error });
  }
};
