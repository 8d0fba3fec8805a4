/**
 * An in-memory imitation of the few `@eventstore/db-client` 6.x calls the store makes, for tests on
 * machines without a server. It follows the server's and the client's behaviour as their sources
 * (client 6.2.1, KurrentDB 24.10) describe it:
 * - dense 0-based revisions, expected-revision checks that throw the client's own
 *   `WrongExpectedVersionError`, idempotent appends by event id, `StreamNotFoundError` when reading a
 *   missing stream, an append result with the `$all` position of its last event;
 * - `throwOnAppendFailure = false` (a connection-string option of the client): a wrong expected
 *   version *resolves* with `success: false`, and (the client's batch-append path) a
 *   `nextExpectedRevision` of 1n or 0n whatever the stream's revision is;
 * - the server's maximum append size (`MaxAppendSize`, 1 MiB by default up to 24.10): a bigger append
 *   fails with the client's `MaxAppendSizeExceededError`;
 * - soft delete (`deleteStream`): reads say the stream is not found, and an append with "no stream"
 *   (or the old last revision) continues at the old last revision + 1; hard delete
 *   (`tombstoneStream`): reads and appends fail with `StreamDeletedError`, and a `$streamDeleted`
 *   event at revision 2^63-1 goes to `$all`;
 * - `$all` positions `{ commit, prepare }` as bigints that grow with every event; the database is
 *   never empty (the server writes its own events first);
 * - `readAll` forwards from a position *includes* the event at that position, backwards from a
 *   position gives the events before it; it takes **no filter** (client 6.x sends "no filter" on
 *   every `readAll`) and returns the events of every stream, the server's `$…` ones included;
 * - catch-up subscriptions that start *after* the given position (or at the end, from `END`), then
 *   emit `caughtUp` (servers before 23.10 never do: `caughtUpSignal`), with server-side filters on the
 *   stream name (prefixes or regex) or the event type, and a checkpoint (`checkpointReached`, awaited
 *   as the client does) every `checkpointInterval` × 32 events the filter looked at while catching up;
 * - **100 concurrent HTTP/2 streams per connection** (`maxConcurrentStreams`): every read, append and
 *   subscription holds one while it runs; a call beyond the limit waits until one is free (for ever,
 *   if the others are subscriptions), as the HTTP/2 layer does; `peakOpenStreams` records the most;
 * - failures: `failNext` (the client's `UnavailableError`, `CancelledError` — what a stopping 24.4+
 *   node answers — or `DeadlineExceededError`) before a call starts, `failMidStream` after a number of
 *   events of a read or subscription;
 * - `dispose()` cancels every open call: a subscription then goes silent (the client swallows its own
 *   cancellation), a read waiting for a stream never gets one;
 * - `setStreamMetadata` writes a `$metadata` event to `$$<stream>` (an event of `$all`), and a
 *   `maxCount` hides all but the stream's last events from reads of the stream.
 * It records the calls made without `requiresLeader` (`callsWithoutLeader`).
 * It is a stand-in for the adapter's logic, not for the server: the same suites run against a real
 * one in `eventStoreDbEventStore.int.spec.ts` (not run on this machine so far).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import {
  ANY,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EVENT_TYPE,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type AppendExpectedRevision,
  type EventData,
  type Filter,
  type Position,
  type ReadPosition,
  type ReadRevision,
} from '@eventstore/db-client';
import type { EsdbClient } from '../src/esdbClient.js';

interface StoredEvent {
  readonly streamId: string;
  readonly id: string;
  readonly type: string;
  readonly revision: bigint;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly created: Date;
  readonly position: Position;
  readonly isJson: true;
}

/** Which error a failing call gets. */
export type FakeFailure = 'unavailable' | 'cancelled' | 'deadline';
/** Call kinds that `failNext` and `failMidStream` name. */
export type FakeCall = 'appendToStream' | 'readStream' | 'readAll' | 'setStreamMetadata' | 'subscribe';

/** The base options every call of the client takes. */
interface BaseOptions {
  readonly requiresLeader?: boolean;
  readonly deadline?: number;
}

const errorOf = (kind: FakeFailure, what: string): Error => {
  switch (kind) {
    case 'unavailable':
      return new UnavailableError(undefined, `no connection (fake ${what})`);
    case 'cancelled':
      // What a node that is shutting down answers (server 24.4 and later).
      return new CancelledError(undefined, `1 CANCELLED: the node is stopping (fake ${what})`);
    case 'deadline':
      return new DeadlineExceededError(undefined, `4 DEADLINE_EXCEEDED (fake ${what})`);
  }
};

/** The server's revision of a tombstone: long.MaxValue. */
const tombstoneRevision = 9223372036854775807n;
/** The server's default maximum append size up to 24.10 (`MaxAppendSize`). */
const defaultMaxAppendSize = 1_048_576;
/** Events a filtered subscription looks at per search window (the server's default). */
const searchWindow = 32;

/** What the client's `readStream`/`readAll` return: a readable of resolved events, with `cancel()`. */
const streamingRead = <T>(source: AsyncGenerator<T>): Readable & { cancel(): Promise<void> } => {
  const readable = Readable.from(source, { objectMode: true });
  return Object.assign(readable, {
    cancel: async (): Promise<void> => {
      readable.destroy();
    },
  });
};

class FakeSubscription extends EventEmitter {
  closed = false;
  constructor(private readonly onClose: () => void) {
    super();
  }
  async unsubscribe(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    this.emit('close');
  }
  /** The client cancelled it (dispose): it says nothing more, not even 'end'. */
  silence(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}

const json = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

const compare = (a: Position, b: Position): number => (a.commit === b.commit ? Number(a.prepare - b.prepare) : a.commit < b.commit ? -1 : 1);

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const bytes = (value: unknown): number => (value === undefined ? 0 : Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value), 'utf8'));

export class FakeEventStoreDbClient {
  readonly #streams = new Map<string, StoredEvent[]>();
  /** `$maxCount` of streams, from `setStreamMetadata`. */
  readonly #maxCount = new Map<string, number>();
  /** Soft-deleted streams: revisions below this are gone (the server's `$tb`). */
  readonly #truncateBefore = new Map<string, number>();
  readonly #tombstoned = new Set<string>();
  readonly #all: StoredEvent[] = [];
  readonly #live = new Set<(event: StoredEvent) => void>();
  readonly #open = new Set<FakeSubscription>();
  #failures: Array<{ readonly calls: ReadonlySet<string>; readonly kind: FakeFailure; remaining: number }> = [];
  #midStream: Array<{ readonly call: FakeCall; readonly after: number; readonly kind: FakeFailure }> = [];
  #lostReplies: FakeFailure[] = [];
  /** HTTP/2 streams open now, and the calls waiting for one. */
  #streamsInUse = 0;
  readonly #waitingForStream: Array<() => void> = [];
  /** Servers before 23.10 never say they caught up. */
  caughtUpSignal = true;
  /** Calls made, by name: what tests look at to see retries. */
  readonly calls: string[] = [];
  /** Where each `subscribeToAll` started (`fromPosition`). */
  readonly subscribedFrom: ReadPosition[] = [];
  /** Calls made without `requiresLeader: true`. */
  readonly callsWithoutLeader: string[] = [];
  /** Events handed out by `readAll` (both directions): what a test counts to see how much was read. */
  readAllEvents = 0;
  disposed = false;
  /** The client's `throwOnAppendFailure` (a connection-string option; true by default). */
  throwOnAppendFailure = true;
  /** The server's `MaxAppendSize` in bytes. */
  maxAppendSize = defaultMaxAppendSize;
  /** Subscriptions are accepted and hear nothing (a server that never answers them). */
  subscriptionsHang = false;
  /** A catch-up subscription waits this long per search window of history (a big `$all` takes time). */
  scanDelayMs = 0;
  /** How long every read and append takes (a busy server). */
  callDelayMs = 0;

  /** HTTP/2 streams one connection may have open at once (the server's default is 100). */
  maxConcurrentStreams = 100;
  /** The most streams that were open at once. */
  peakOpenStreams = 0;

  /** Subscriptions open now (opened and not unsubscribed). */
  get openSubscriptions(): number {
    return this.#open.size;
  }

  /** HTTP/2 streams open now (reads, appends and subscriptions running). */
  get openStreams(): number {
    return this.#streamsInUse;
  }

  constructor(options: { readonly maxAppendSize?: number } = {}) {
    this.maxAppendSize = options.maxAppendSize ?? defaultMaxAppendSize;
    // A real database is never empty: the server writes its own events first.
    this.writeSystemEvent();
  }

  /** The next `count` calls of these kinds (none: any) fail with the client's UnavailableError before they start. */
  failNext(count: number, ...calls: FakeCall[]): void {
    this.failNextWith('unavailable', count, ...calls);
  }

  /** The next `count` calls of these kinds (none: any) fail with this error before they start. */
  failNextWith(kind: FakeFailure, count: number, ...calls: FakeCall[]): void {
    this.#failures.push({ calls: new Set(calls), kind, remaining: count });
  }

  /** The next call of this kind fails with this error after handing out `after` events. */
  failMidStream(call: 'readStream' | 'readAll' | 'subscribe', after: number, kind: FakeFailure = 'cancelled'): void {
    this.#midStream.push({ call, after, kind });
  }

  /** The next append is written, and then its caller gets this error instead of the reply (a node stopping after the write). */
  loseNextAppendReply(kind: FakeFailure = 'cancelled'): void {
    this.#lostReplies.push(kind);
  }

  /** Holds `count` streams of the connection (other calls on a shared client) until the returned function is called. */
  async holdStreams(count: number): Promise<() => void> {
    const releases = await Promise.all(Array.from({ length: count }, () => this.#takeStream()));
    return () => releases.forEach((release) => release());
  }

  /** An event of the server's own (like `$stats-…`), which filters on `saga-` never match. */
  writeSystemEvent(): void {
    this.#write('$stats-127.0.0.1:2113', [{ id: randomUUID(), type: '$statsCollected', data: {}, metadata: undefined }]);
  }

  /** Events of another application: `count` events of streams that saga filters never match. */
  writeForeignEvents(count: number): void {
    for (let i = 0; i < count; i += 1) this.#write(`orders-${i % 100}`, [{ id: randomUUID(), type: 'OrderPlaced', data: { i }, metadata: undefined }]);
  }

  /** Soft delete (the client's `deleteStream`): the server sets the stream's `$tb` past its last event. */
  async deleteStream(streamName: string): Promise<void> {
    const stream = this.#streams.get(streamName);
    if (stream === undefined || stream.length === 0) throw new StreamNotFoundError(undefined, streamName);
    this.#truncateBefore.set(streamName, stream.length);
    this.#write(`$$${streamName}`, [{ id: randomUUID(), type: '$metadata', data: { $tb: stream.length }, metadata: undefined }]);
  }

  /** Hard delete (the client's `tombstoneStream`): the stream is gone for ever. */
  async tombstoneStream(streamName: string): Promise<void> {
    this.#tombstoned.add(streamName);
    const index = BigInt(this.#all.length + 1);
    const tombstone: StoredEvent = {
      streamId: streamName,
      id: randomUUID(),
      type: '$streamDeleted',
      revision: tombstoneRevision,
      data: {},
      metadata: undefined,
      created: new Date(),
      position: { commit: index * 100n, prepare: index * 100n },
      isJson: true,
    };
    this.#all.push(tombstone);
    for (const live of [...this.#live]) live(tombstone);
  }

  readonly appendToStream = async (streamName: string, events: EventData | EventData[], options: { expectedRevision?: AppendExpectedRevision } & BaseOptions = {}) => {
    this.#record('appendToStream', options);
    const release = await this.#takeStream();
    try {
      await this.#delay();
      this.#failIfAsked('appendToStream');
      const result = this.#append(streamName, Array.isArray(events) ? events : [events], options.expectedRevision ?? ANY);
      const lost = this.#lostReplies.shift();
      if (lost !== undefined) throw errorOf(lost, 'appendToStream, after writing');
      return result;
    } finally {
      release();
    }
  };

  #append(streamName: string, list: EventData[], expected: AppendExpectedRevision) {
    if (this.#tombstoned.has(streamName)) throw StreamDeletedError.fromStreamName(streamName);
    const size = list.reduce((sum, event) => sum + bytes(event.id) + bytes(event.type) + bytes(event.data) + bytes(event.metadata), 0);
    if (size > this.maxAppendSize) throw MaxAppendSizeExceededError.fromMaxAppendSize(this.maxAppendSize);
    const stream = this.#streams.get(streamName) ?? [];
    const truncated = this.#truncateBefore.get(streamName) ?? 0;
    const deleted = stream.length > 0 && truncated >= stream.length;
    const current: bigint | 'no_stream' = stream.length === 0 || deleted ? NO_STREAM : BigInt(stream.length - 1);
    // Idempotence: the same ids right after the expected revision are acknowledged, not written again.
    if (expected !== ANY && expected !== STREAM_EXISTS) {
      const first = expected === NO_STREAM ? truncated : Number(expected) + 1;
      const already = stream.slice(first, first + list.length);
      if (already.length === list.length && already.every((event, index) => event.id === list[index]?.id)) {
        const last = already.at(-1) as StoredEvent;
        return { success: true, nextExpectedRevision: last.revision, position: last.position };
      }
    }
    const matches =
      expected === ANY ||
      (expected === NO_STREAM && current === NO_STREAM) ||
      (expected === STREAM_EXISTS && current !== NO_STREAM) ||
      // A soft-deleted stream also takes its old last revision.
      (typeof expected === 'bigint' && (current === expected || (deleted && expected === BigInt(stream.length - 1))));
    if (!matches) {
      if (!this.throwOnAppendFailure) {
        // As the client's batch append does: `BigInt(hasCurrentStreamRevision())`, not the revision.
        return { success: false, nextExpectedRevision: current === NO_STREAM ? 0n : 1n, position: undefined };
      }
      throw new WrongExpectedVersionError(undefined, { streamName, expected, current });
    }
    const written = this.#write(
      streamName,
      list.map((event) => ({ id: event.id, type: event.type, data: json(event.data), metadata: json(event.metadata) })),
    );
    const last = written.at(-1) as StoredEvent;
    return { success: true, nextExpectedRevision: last.revision, position: last.position };
  }

  readonly readStream = (streamName: string, options: { fromRevision?: ReadRevision; direction?: string; maxCount?: number | bigint } & BaseOptions = {}) => {
    this.#record('readStream', options);
    return streamingRead(this.#streamed('readStream', () => this.#readStream(streamName, options)));
  };

  #readStream(streamName: string, options: { fromRevision?: ReadRevision; direction?: string; maxCount?: number | bigint }): StoredEvent[] {
    if (this.#tombstoned.has(streamName)) throw StreamDeletedError.fromStreamName(streamName);
    const stored = this.#streams.get(streamName);
    if (stored === undefined) throw new StreamNotFoundError(undefined, streamName);
    // `$maxCount` and a soft delete's `$tb`: only the later events are read (their revisions stay what they were).
    const maxCount = this.#maxCount.get(streamName);
    const firstKept = Math.max(maxCount === undefined ? 0 : stored.length - maxCount, this.#truncateBefore.get(streamName) ?? 0);
    if (firstKept >= stored.length) throw new StreamNotFoundError(undefined, streamName);
    const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const backwards = options.direction === BACKWARDS;
    const from = options.fromRevision ?? (backwards ? END : START);
    const start = from === START ? 0 : from === END ? stored.length - 1 : Number(from);
    const selected = (backwards ? stored.slice(0, start + 1).reverse() : stored.slice(start)).filter((event) => event.revision >= BigInt(firstKept));
    return selected.slice(0, max);
  }

  readonly readAll = (options: { fromPosition?: ReadPosition; direction?: string; maxCount?: number | bigint } & BaseOptions = {}) => {
    this.#record('readAll', options);
    return streamingRead(
      this.#streamed('readAll', () => this.#readAll(options), () => {
        this.readAllEvents += 1;
      }),
    );
  };

  #readAll(options: { fromPosition?: ReadPosition; direction?: string; maxCount?: number | bigint }): StoredEvent[] {
    const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const backwards = options.direction === BACKWARDS;
    const from = options.fromPosition ?? (backwards ? END : START);
    let selected: StoredEvent[];
    if (backwards) {
      const before = from === END ? this.#all : from === START ? [] : this.#all.filter((event) => compare(event.position, from) < 0);
      selected = [...before].reverse();
    } else {
      selected = from === START ? this.#all : from === END ? [] : this.#all.filter((event) => compare(event.position, from) >= 0);
    }
    return selected.slice(0, max);
  }

  /** A read call: takes a stream, may fail before or in the middle, hands out copies. */
  async *#streamed(call: 'readStream' | 'readAll', select: () => StoredEvent[], counted: () => void = () => undefined) {
    const release = await this.#takeStream();
    try {
      await this.#delay();
      this.#failIfAsked(call);
      const failure = this.#takeMidStream(call);
      let handed = 0;
      for (const event of select()) {
        if (failure !== undefined && handed >= failure.after) throw errorOf(failure.kind, `${call}, after ${handed} events`);
        handed += 1;
        counted();
        yield call === 'readAll' ? { event: this.#copy(event), commitPosition: event.position.commit } : { event: this.#copy(event) };
      }
      if (failure !== undefined) throw errorOf(failure.kind, `${call}, after ${handed} events`);
    } finally {
      release();
    }
  }

  readonly subscribeToAll = (options: { fromPosition?: ReadPosition; filter?: Filter } & BaseOptions = {}) => {
    this.#record('subscribeToAll', options);
    const from = options.fromPosition ?? START;
    this.subscribedFrom.push(from);
    const filter = options.filter;
    const passes = (event: StoredEvent): boolean => {
      if (filter === undefined) return true;
      const subject = filter.filterOn === EVENT_TYPE ? event.type : event.streamId;
      if ('prefixes' in filter) return filter.prefixes.some((prefix) => subject.startsWith(prefix));
      return new RegExp(filter.regex).test(subject);
    };
    const after = (event: StoredEvent): boolean => from === START || (from !== END && compare(event.position, from) > 0);
    return this.#subscribe(passes, () => this.#all.filter((event) => after(event)), filter);
  };

  readonly setStreamMetadata = async (streamName: string, metadata: { maxCount?: number | bigint }, options: BaseOptions = {}) => {
    this.#record('setStreamMetadata', options);
    const release = await this.#takeStream();
    try {
      await tick();
      this.#failIfAsked('setStreamMetadata');
      if (metadata.maxCount === undefined) this.#maxCount.delete(streamName);
      else this.#maxCount.set(streamName, Number(metadata.maxCount));
      const [written] = this.#write(`$$${streamName}`, [{ id: randomUUID(), type: '$metadata', data: json({ $maxCount: metadata.maxCount === undefined ? undefined : Number(metadata.maxCount) }), metadata: undefined }]);
      const last = written as StoredEvent;
      return { success: true, nextExpectedRevision: last.revision, position: last.position };
    } finally {
      release();
    }
  };

  /** As the client: every open call is cancelled; a subscription goes silent. */
  readonly dispose = async (): Promise<void> => {
    this.disposed = true;
    for (const subscription of [...this.#open]) subscription.silence();
  };

  /** The client's type, for the store's `client` option. */
  asClient(): EsdbClient {
    return this as unknown as EsdbClient;
  }

  #subscribe(passes: (event: StoredEvent) => boolean, history: () => StoredEvent[], filter: Filter | undefined): FakeSubscription {
    let release: (() => void) | undefined;
    let live: ((event: StoredEvent) => void) | undefined;
    const subscription = new FakeSubscription(() => {
      if (live !== undefined) this.#live.delete(live);
      this.#open.delete(subscription);
      release?.();
    });
    this.#open.add(subscription);
    const failure = this.#failing('subscribe');
    const midStream = this.#takeMidStream('subscribe');
    let handed = 0;
    /** Hands an event on; false once the subscription failed in the middle. */
    const hand = (event: StoredEvent): boolean => {
      if (midStream !== undefined && handed >= midStream.after) {
        subscription.emit('error', errorOf(midStream.kind, `subscription, after ${handed} events`));
        if (live !== undefined) this.#live.delete(live);
        return false;
      }
      handed += 1;
      subscription.emit('data', { event: this.#copy(event) });
      return true;
    };
    void (async () => {
      // The stream is taken when the call starts; a subscription beyond the limit waits for one.
      const taken = await this.#takeStream();
      if (subscription.closed) return taken();
      release = taken;
      await tick();
      if (subscription.closed || this.subscriptionsHang) return;
      if (failure !== undefined) {
        // The server's stream is gone; the subscription object stays until unsubscribed.
        subscription.emit('error', errorOf(failure, 'subscription'));
        return;
      }
      subscription.emit('confirmation');
      const every = (filter?.checkpointInterval ?? 1) * searchWindow;
      let looked = 0;
      for (const event of history()) {
        if (subscription.closed) return;
        looked += 1;
        if (passes(event) && !hand(event)) return;
        if (looked % every === 0) {
          // The client awaits the callback before it reads on.
          if (filter?.checkpointReached !== undefined) await filter.checkpointReached(subscription as never, event.position);
          await (this.scanDelayMs > 0 ? sleep(this.scanDelayMs) : tick());
        }
      }
      if (subscription.closed) return;
      live = (event: StoredEvent): void => {
        if (!subscription.closed && passes(event)) hand(event);
      };
      this.#live.add(live);
      if (this.caughtUpSignal) subscription.emit('caughtUp');
    })();
    return subscription;
  }

  /** One HTTP/2 stream of the connection; waits while all are taken. */
  async #takeStream(): Promise<() => void> {
    while (this.#streamsInUse >= this.maxConcurrentStreams) await new Promise<void>((resolve) => this.#waitingForStream.push(resolve));
    this.#streamsInUse += 1;
    this.peakOpenStreams = Math.max(this.peakOpenStreams, this.#streamsInUse);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#streamsInUse -= 1;
      this.#waitingForStream.shift()?.();
    };
  }

  #write(streamName: string, events: ReadonlyArray<{ id: string; type: string; data: unknown; metadata: unknown }>): StoredEvent[] {
    const stream = this.#streams.get(streamName) ?? [];
    this.#streams.set(streamName, stream);
    const created = new Date();
    const written = events.map((event): StoredEvent => {
      const index = BigInt(this.#all.length + 1);
      const stored: StoredEvent = {
        streamId: streamName,
        id: event.id,
        type: event.type,
        revision: BigInt(stream.length),
        data: event.data,
        metadata: event.metadata,
        created,
        position: { commit: index * 100n, prepare: index * 100n },
        isJson: true,
      };
      stream.push(stored);
      this.#all.push(stored);
      return stored;
    });
    for (const event of written) for (const live of [...this.#live]) live(event);
    return written;
  }

  #copy(event: StoredEvent): StoredEvent {
    return { ...event, data: json(event.data), metadata: json(event.metadata) };
  }

  #record(name: string, options: BaseOptions): void {
    this.calls.push(name);
    if (options.requiresLeader !== true) this.callsWithoutLeader.push(name);
  }

  async #delay(): Promise<void> {
    await (this.callDelayMs > 0 ? sleep(this.callDelayMs) : tick());
  }

  #failIfAsked(name: FakeCall): void {
    const kind = this.#failing(name);
    if (kind !== undefined) throw errorOf(kind, name);
  }

  #failing(name: FakeCall): FakeFailure | undefined {
    const failure = this.#failures.find((f) => f.remaining > 0 && (f.calls.size === 0 || f.calls.has(name)));
    if (failure === undefined) return undefined;
    failure.remaining -= 1;
    this.#failures = this.#failures.filter((f) => f.remaining > 0);
    return failure.kind;
  }

  #takeMidStream(call: FakeCall): { readonly after: number; readonly kind: FakeFailure } | undefined {
    const index = this.#midStream.findIndex((f) => f.call === call);
    if (index < 0) return undefined;
    const [failure] = this.#midStream.splice(index, 1);
    return failure;
  }
}
