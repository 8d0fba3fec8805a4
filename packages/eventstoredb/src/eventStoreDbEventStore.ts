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
  streamNameFilter,
  type AppendExpectedRevision,
  type JSONEventType,
  type MaxAppendSizeExceededError,
  type Position,
  type WrongExpectedVersionError,
  type ResolvedEvent,
} from '@eventstore/db-client';
import {
  appendLease,
  ConcurrencyConflictError,
  SagaError,
  assertAppendable,
  assertExpectedRevision,
  assertIndexEntry,
  assertStreamName,
  decodeStreamCursor,
  defaultLogger,
  encodeStreamCursor,
  executionIdOf,
  executionStream,
  readFromRevision,
  resolveListStreamsOptions,
  resolveReadAllOptions,
  resolveTransientRetry,
  systemClock,
  withTransientRetry,
} from '@saga/core';
import type {
  AppendListener,
  AppendOptions,
  AppendResult,
  Clock,
  EventStore,
  ExecutionIndexEntry,
  ExpectedRevision,
  GlobalPage,
  GlobalPosition,
  JsonObject,
  ListStreamsOptions,
  Logger,
  NewEvent,
  ReadAllOptions,
  ReadOptions,
  RecordedEvent,
  StreamPage,
  StreamSummary,
  TransientRetryPolicy,
  Unsubscribe,
} from '@saga/core';
import { headOfAll, scanAll } from './allReader.js';
import { AppendNotices } from './appendNotices.js';
import { AppendTooLargeError } from './appendTooLargeError.js';
import { describeHosts, invalidConnectionString, normalizeConnectionString, withoutIgnoredOptions } from './connectionString.js';
import { DeletedStreamError } from './deletedStreamError.js';
import type { EsdbClient } from './esdbClient.js';
import { eventUuid } from './eventIds.js';
import { fromStoredMetadata, indexKey, storeKey, withSystemMetadata } from './eventMetadata.js';
import { comparePositions, formatPosition, parsePosition, pastTheEnd, readPosition } from './globalPosition.js';
import { IndexSnapshots } from './indexSnapshots.js';
import { LastEvents } from './lastEvents.js';
import { ProjectedIndex, type EventStoreDbExecutionIndex, type ProjectedIndexOptions } from './projectedIndex.js';
import { guardedClient } from './guardedClient.js';
import { budgetOf } from './streamBudget.js';
import { scanStreamCreations } from './streamListing.js';
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
  /**
   * Longest a `listStreams` page may scan `$all`. A page that runs out of time holds the streams it
   * found and a `nextCursor` where it stopped (it may then hold fewer than `limit`). Default 30 000 ms.
   */
  readonly listTimeoutMs?: number;
  /**
   * Longest one read or append may take, waiting for a free stream of the connection included,
   * before it is cancelled and fails as transient (and is retried by `retry`). Default 10 000 ms.
   */
  readonly deadlineMs?: number;
  /**
   * Calls the store may have open at once on its client's connection (reads, appends, listings and
   * its one subscription), shared by every store of the same client; more wait for a free one. The
   * server allows 100 streams per connection and the client keeps some for itself, so at most 90.
   * Default 64.
   */
  readonly maxConcurrentCalls?: number;
  /** The projected execution index: how often it snapshots, how often it reads without a notice. */
  readonly index?: ProjectedIndexOptions;
  /** Where background failures (subscription, index projection) are reported. Default: the core's default logger. */
  readonly logger?: Logger;
}

/** Streams whose last revision is looked up at once while a page is listed. */
const listConcurrency = 8;
/** A `listStreams` cursor holds the `$all` position of the first event of the page's last stream. */
const cursorStore = 'eventstoredb';
/** Read by setup() to prove the server answers; it never exists, and is never written. */
const probeStream = 'saga-store-connectivity-probe';
/** The store's own streams (namespaced like the others), never listed nor read by readAll. */
const internalPrefix = 'saga_index-';
/** Snapshots of the projected execution index: its checkpoint and its open entries. */
export const indexCheckpointStream = `${internalPrefix}checkpoint`;
/** `index.put` and `index.remove`, as events, projected with the saga streams. */
export const indexChangesStream = `${internalPrefix}changes`;
/** Events of any stream one `readAll` call looks at, at most (client 6.x reads $all unfiltered). */
const readAllScanFloor = 10_000;

const isErrorOfType = (error: unknown, type: ErrorType): boolean => error instanceof Error && isCommandError(error) && error.type === type;

/**
 * The EventStore port on EventStoreDB / KurrentDB (`@eventstore/db-client` 6.x): one server stream
 * per execution, appends with the expected revision, reads forward, listings by a filtered read
 * of `$all` (no projections needed), the global order from `$all`, ONE `$all` subscription per store
 * for `onAppended`, and an execution index projected from `$all` (`ProjectedIndex`).
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
  readonly #notices: AppendNotices;
  readonly #index: ProjectedIndex;
  readonly #logger: Logger | undefined;
  #defaultLogger: Logger | undefined;
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
    this.#listTimeoutMs = wholeNumber('listTimeoutMs', options.listTimeoutMs, 30_000, 1, Number.MAX_SAFE_INTEGER);
    const deadlineMs = wholeNumber('deadlineMs', options.deadlineMs, 10_000, 1, 3_600_000);
    const maxConcurrentCalls = wholeNumber('maxConcurrentCalls', options.maxConcurrentCalls, 64, 1, 90);
    this.#logger = options.logger;
    let client: EsdbClient;
    if (options.client !== undefined) {
      client = options.client;
      this.#ownsClient = false;
      this.target = 'the server of the given client';
    } else {
      const normalized = normalizeConnectionString(options.connectionString ?? '');
      this.target = describeHosts(normalized);
      const { connectionString, dropped } = withoutIgnoredOptions(normalized);
      if (dropped.length > 0) {
        this.#log.warn(
          { ignored: dropped, target: this.target },
          'EventStoreDbEventStore: the connection string has options client 6.x does not use; they were removed before the client saw them (it would print the whole string, password included)',
        );
      }
      try {
        client = EventStoreDBClient.connectionString(connectionString);
      } catch (error) {
        // The client's parse errors quote the whole string, credentials included.
        const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
        throw invalidConnectionString(connectionString, message.replaceAll(connectionString, '…'));
      }
      this.#ownsClient = true;
    }
    this.#client = guardedClient(client, { budget: budgetOf(client, maxConcurrentCalls), deadlineMs });
    const sagaStreams = this.#physical('saga-');
    const changesStream = this.#physical(indexChangesStream);
    this.#notices = new AppendNotices({
      // Server-side filtered: the saga streams and the index changes of this namespace only.
      subscribe: (from) => this.#client.subscribeToAll({ fromPosition: from, filter: streamNameFilter({ prefixes: [sagaStreams, changesStream] }) }),
      onError: (error) => this.#log.warn({ error: error instanceof Error ? error.message : String(error) }, 'The $all subscription of the store failed; it is re-opened'),
    });
    const snapshots = new IndexSnapshots(this.#client, this.#physical(indexCheckpointStream));
    // The saga streams' metadata streams ('$$…') too: a soft delete is a '$tb' written there.
    const projected = (streamId: string): boolean => streamId.startsWith(sagaStreams) || streamId === changesStream || streamId.startsWith(`$$${sagaStreams}`);
    this.#index = new ProjectedIndex(
      {
        scan: (after, limit) => scanAll(this.#client, { after, matches: projected, limit, maxScanned: readAllScanFloor, tombstones: true }),
        head: () => headOfAll(this.#client),
        loadSnapshot: () => snapshots.load(),
        saveSnapshot: (snapshot) => snapshots.save(snapshot),
        appendChanges: (events) => this.#appendChanges(changesStream, events),
        latestOfStream: (executionId) => this.#latestIndexEntry(this.#physical(executionStream(executionId))),
        changesStream,
        executionOf: (streamId) => executionIdOf(streamId.replace(/^\$\$/, '').slice(this.namespace.length)),
        listen: (listener) => this.#notices.add(listener),
        retrying: async (what, operation) => {
          await this.setup();
          return this.#retrying(what, operation);
        },
        logger: {
          debug: (fields, message) => this.#log.debug(fields, message),
          info: (fields, message) => this.#log.info(fields, message),
          warn: (fields, message) => this.#log.warn(fields, message),
          error: (fields, message) => this.#log.error(fields, message),
        },
      },
      options.index,
    );
  }

  /** The execution index: projected from `$all` (see the README: it follows with a lag). */
  get index(): EventStoreDbExecutionIndex {
    return this.#index;
  }

  /**
   * Resolves once the index also lists the executions that finished before this store's snapshot
   * (rebuilt in the background after a restart; see the README), and starts that rebuild.
   */
  whenIndexComplete(): Promise<void> {
    return this.#index.whenComplete();
  }

  /** Whether the store's one `$all` subscription is open now (diagnostics, tests). */
  get subscribed(): boolean {
    return this.#notices.subscribed;
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
    await this.#index.close();
    await this.#notices.close();
    await this.#ready?.catch(() => undefined);
    if (this.#ownsClient) await this.#client.dispose();
  }

  async append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision, options: AppendOptions = {}): Promise<AppendResult> {
    assertAppendable(stream, events);
    assertExpectedRevision(stream, expectedRevision);
    const entry = options.index === undefined ? undefined : copyIndexEntry(options.index);
    const lease = appendLease(options);
    // Copied through JSON: what is sent is what was passed, whatever the caller does with it later.
    const copies = events.map((event, index) => copyEvent(stream, event, index));
    if (entry !== undefined && copies.at(-1)?.metadata?.[indexKey] !== undefined) {
      throw new SagaError(`Cannot append to stream '${stream}': the metadata key ${indexKey} is the store's (it carries the index entry); use another key.`);
    }
    await this.setup();
    const physical = this.#physical(stream);
    // Fixed before the first attempt: the server recognises a retried append by these ids.
    const ids = events.map((event) => eventUuid(event.id));
    const recordedAt = this.#clock.now().toISOString();
    let cause = await this.#causeOf(physical, expectedRevision);
    const eventData = copies.map((event, index) => {
      const withIndex = entry !== undefined && index === copies.length - 1 ? { index: entry as unknown as JsonObject } : {};
      const metadata = withSystemMetadata(event.metadata, { correlationId: physical, causationId: cause, recordedAt, ...withIndex });
      cause = ids[index];
      return jsonEvent<JSONEventType<string, JsonObject, JsonObject>>({ id: ids[index] ?? eventUuid(undefined), type: event.type, data: event.data, metadata });
    });
    let result;
    try {
      result = await this.#retrying(`append to '${stream}'`, () => this.#client.appendToStream(physical, eventData, { expectedRevision: toExpected(expectedRevision) }));
    } catch (error) {
      if (isErrorOfType(error, ErrorType.WRONG_EXPECTED_VERSION)) {
        const actual = (error as WrongExpectedVersionError).actualVersion;
        throw new ConcurrencyConflictError(stream, expectedRevision, actual === 'no_stream' || actual < 0n ? 'no_stream' : Number(actual));
      }
      if (isErrorOfType(error, ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED)) {
        throw new AppendTooLargeError(stream, (error as MaxAppendSizeExceededError).maxAppendSize, appendSize(eventData), { cause: error });
      }
      if (isErrorOfType(error, ErrorType.STREAM_DELETED)) throw new DeletedStreamError(stream, 'tombstoned', undefined, { cause: error });
      throw error;
    }
    // A client made with throwOnAppendFailure=false resolves a conflict instead (its revision is not
    // to be trusted: the batch path gives 0 or 1): a conflict all the same, with the revision read.
    if (!result.success) throw new ConcurrencyConflictError(stream, expectedRevision, await this.#actualRevision(stream, physical));
    const lastRevision = Number(result.nextExpectedRevision);
    // A soft-deleted stream takes "no stream" and goes on at its old revisions: refused (the events
    // are written by then, and every read of the stream refuses it too).
    const firstRevision = lastRevision - events.length + 1;
    if (expectedRevision === 'no_stream' && firstRevision !== 0) throw new DeletedStreamError(stream, 'soft-deleted', firstRevision);
    const lastId = ids.at(-1);
    if (lastId !== undefined) this.#lastEvents.remember(physical, lastRevision, lastId);
    if (entry !== undefined) this.#index.applyLocal(entry, result.position);
    if (entry !== undefined && lease !== undefined) this.#index.lease(entry.executionId, lease);
    this.#notices.notify();
    return { lastRevision, recordedAt };
  }

  async read(stream: string, options: ReadOptions = {}): Promise<readonly RecordedEvent[]> {
    assertStreamName(stream);
    const fromRevision = readFromRevision(stream, options);
    await this.setup();
    const physical = this.#physical(stream);
    let resolved: ResolvedEvent[];
    try {
      resolved = await this.#retrying(`read '${stream}'`, () => this.#readForward(physical, BigInt(fromRevision)));
    } catch (error) {
      if (isErrorOfType(error, ErrorType.STREAM_DELETED)) throw new DeletedStreamError(stream, 'tombstoned', undefined, { cause: error });
      throw error;
    }
    // Events before `fromRevision` hidden by the server (a soft delete's truncation): not a history to fold.
    const first = resolved[0]?.event;
    if (first !== undefined && Number(first.revision) > fromRevision) throw new DeletedStreamError(stream, 'soft-deleted', Number(first.revision));
    const last = resolved.at(-1)?.event;
    if (last !== undefined) this.#lastEvents.remember(physical, Number(last.revision), last.id);
    return resolved.flatMap((item) => (item.event === undefined ? [] : [toRecordedEvent(stream, item.event)]));
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<StreamPage> {
    const { prefix, limit } = resolveListStreamsOptions(options);
    const after = options.after === undefined ? undefined : decodeStreamCursor(cursorStore, options.after, readPosition);
    await this.setup();
    const { creations, stoppedAt } = await this.#retrying('list streams', () =>
      scanStreamCreations(this.#client, { prefix: this.namespace + prefix, after, limit, timeoutMs: this.#listTimeoutMs }),
    );
    const internal = this.#physical(internalPrefix);
    const page = creations.slice(0, limit);
    const summaries: Array<StreamSummary | undefined> = new Array(page.length);
    // The last revision of each stream is one small backward read; a few at a time.
    for (let start = 0; start < page.length; start += listConcurrency) {
      await Promise.all(
        page.slice(start, start + listConcurrency).map(async ({ event }, offset) => {
          if (event.streamId.startsWith(internal)) return; // The store's own.
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
    if (creations.length > limit && last !== undefined) return { streams, nextCursor: encodeStreamCursor(cursorStore, formatPosition(last.position)) };
    // Out of time before the head of $all: what it found, and where to go on.
    return stoppedAt === undefined ? { streams } : { streams, nextCursor: encodeStreamCursor(cursorStore, formatPosition(stoppedAt)) };
  }

  /**
   * `$all` in order after a position, the stream-name prefix applied here: client 6.x reads `$all`
   * without a filter, so a call looks at up to max(10 × limit, 10 000) events of any stream and, if it
   * found fewer than `limit`, says how far it got (`position`), where the next call goes on.
   */
  async readAll(options: ReadAllOptions = {}): Promise<GlobalPage> {
    const { prefix, limit, after } = resolveReadAllOptions(options);
    const from = after === undefined ? undefined : parsePosition(after);
    await this.setup();
    const physicalPrefix = this.#physical(prefix);
    const internal = this.#physical(internalPrefix);
    // The server's own streams ('$…') never, the store's own neither.
    const matches = (streamId: string): boolean => streamId.startsWith(physicalPrefix) && !streamId.startsWith('$') && !streamId.startsWith(internal);
    const refuseIfPastTheEnd = async (): Promise<void> => {
      if (from === undefined || after === undefined) return;
      const head = await this.#retrying('read $all', () => headOfAll(this.#client));
      if (head === undefined || comparePositions(from, head) > 0) throw pastTheEnd(after, head);
    };
    let page;
    try {
      page = await this.#retrying('read $all', () => scanAll(this.#client, { after: from, matches, limit, maxScanned: Math.max(10 * limit, readAllScanFloor) }));
    } catch (error) {
      // A server may refuse a read from a position it never had: said in the store's words. (An
      // unreachable server, or a destroyed store, is a SagaError already.)
      if (!(error instanceof SagaError)) await refuseIfPastTheEnd().catch((refusal: unknown) => {
        if (refusal instanceof SagaError && refusal.message.includes('past the end')) throw refusal;
      });
      throw error;
    }
    if (page.nothingFrom) await refuseIfPastTheEnd();
    const events = page.events.map((event) => ({ ...toRecordedEvent(event.streamId.slice(this.namespace.length), event), position: formatPosition(event.position) }));
    return page.last === undefined ? { events } : { events, position: formatPosition(page.last) };
  }

  /** The position of the last event of `$all`, of any stream (a server always has its own events). */
  async headPosition(): Promise<GlobalPosition | undefined> {
    await this.setup();
    const head = await this.#retrying('read the head of $all', () => headOfAll(this.#client));
    return head === undefined ? undefined : formatPosition(head);
  }

  /**
   * Appends of this process notify at once; those of other processes through the store's one `$all`
   * subscription (saga streams of this namespace), opened with the first listener and closed with
   * the last one.
   */
  onAppended(listener: AppendListener): Unsubscribe {
    this.#assertUsable();
    if (typeof listener !== 'function') throw new SagaError('onAppended needs a function.');
    return this.#notices.add(listener);
  }

  /** Made on first use: most stores never log. */
  get #log(): Logger {
    return this.#logger ?? (this.#defaultLogger ??= defaultLogger());
  }

  /** Appends events to the index changes stream (ids fixed first: a retried append is written once). */
  async #appendChanges(physical: string, events: ReadonlyArray<{ readonly type: string; readonly data: JsonObject }>): Promise<Position | undefined> {
    await this.setup();
    const recordedAt = this.#clock.now().toISOString();
    const eventData = events.map((event) =>
      jsonEvent<JSONEventType<string, JsonObject, JsonObject>>({ id: eventUuid(undefined), type: event.type, data: event.data, metadata: { [storeKey]: { recordedAt, added: [] } } }),
    );
    let position: Position | undefined;
    // One append when it is small enough to be atomic; an append must stay under the server's maximum size.
    for (const batch of eventData.length === 1 ? [eventData] : eventData.map((one) => [one])) {
      const result = await this.#retrying('write to the execution index', () => this.#client.appendToStream(physical, batch, { expectedRevision: ANY }));
      position = result.position ?? position;
    }
    return position;
  }

  /** The newest index entry in the last events of a stream (an append without an entry leaves the one before). */
  async #latestIndexEntry(physical: string): Promise<ExecutionIndexEntry | undefined> {
    const newestFirst: unknown[] = [];
    try {
      // Read to the end (a few events): leaving a read early does not end the server's stream.
      for await (const resolved of this.#client.readStream(physical, { direction: BACKWARDS, fromRevision: END, maxCount: 50 })) newestFirst.push(resolved.event?.metadata);
    } catch (error) {
      if (isErrorOfType(error, ErrorType.STREAM_NOT_FOUND) || isErrorOfType(error, ErrorType.STREAM_DELETED)) return undefined;
      throw error;
    }
    for (const metadata of newestFirst) {
      const { index } = fromStoredMetadata(metadata);
      if (index === undefined) continue;
      try {
        assertIndexEntry(index as ExecutionIndexEntry);
        return index as ExecutionIndexEntry;
      } catch {
        return undefined;
      }
    }
    return undefined;
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

  /** Events of a stream from a revision; [] when the stream does not exist (or was soft-deleted); a tombstone throws. */
  async #readForward(physical: string, fromRevision: bigint, maxCount?: number): Promise<ResolvedEvent[]> {
    const events: ResolvedEvent[] = [];
    try {
      for await (const resolved of this.#client.readStream(physical, { direction: FORWARDS, fromRevision, ...(maxCount === undefined ? {} : { maxCount }) })) {
        events.push(resolved);
      }
    } catch (error) {
      if (isErrorOfType(error, ErrorType.STREAM_NOT_FOUND)) return [];
      throw error;
    }
    return events;
  }

  /** The revision a conflicting append found, read from the stream. */
  async #actualRevision(stream: string, physical: string): Promise<number | 'no_stream'> {
    return (await this.#retrying(`read '${stream}'`, () => this.#lastRevision(physical))) ?? 'no_stream';
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

/** A whole-number option, checked, or its default. */
const wholeNumber = (name: string, value: number | undefined, fallback: number, min: number, max: number): number => {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < min || chosen > max) {
    throw new SagaError(`EventStoreDbEventStore option ${name} must be a whole number from ${min} to ${max}, got ${String(value)}.`);
  }
  return chosen;
};

/** About what the server counts against its maximum append size: ids, types, data and metadata. */
const appendSize = (events: ReadonlyArray<{ readonly id: string; readonly type: string; readonly data: unknown; readonly metadata?: unknown }>): number =>
  events.reduce((sum, event) => sum + Buffer.byteLength(event.id) + Buffer.byteLength(event.type) + Buffer.byteLength(JSON.stringify(event.data)) + Buffer.byteLength(JSON.stringify(event.metadata ?? null)), 0);

const toExpected = (expected: ExpectedRevision): AppendExpectedRevision =>
  expected === 'no_stream' ? NO_STREAM : expected === 'any' ? ANY : BigInt(expected);

/** The index entry of an append, checked and copied before anything is written. */
const copyIndexEntry = (entry: ExecutionIndexEntry): ExecutionIndexEntry => {
  assertIndexEntry(entry);
  return JSON.parse(JSON.stringify(entry)) as ExecutionIndexEntry;
};

/** What `toRecordedEvent` reads of a stream's or of `$all`'s event. */
type StoredEvent = Pick<NonNullable<ResolvedEvent['event']>, 'revision' | 'type' | 'isJson' | 'metadata' | 'created'> & { readonly data: unknown };

/** An event as the port returns it: the caller's metadata only, and the append's timestamp. */
const toRecordedEvent = (stream: string, event: StoredEvent): RecordedEvent => {
  const { metadata, recordedAt } = fromStoredMetadata(event.metadata);
  return {
    stream,
    revision: Number(event.revision),
    type: event.type,
    // Whatever is stored is handed on, even when it is not a JSON object (written by another tool):
    // the engine's decoding then reports it as a CorruptedHistoryError naming the revision.
    data: (event.isJson ? event.data : decodeBinary(event.data as Uint8Array)) as JsonObject,
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
