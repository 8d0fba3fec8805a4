/**
 * An in-memory imitation of the few `@eventstore/db-client` 6.x calls the store makes, for tests on
 * machines without a server. It follows the server's and the client's documented behaviour:
 * - dense 0-based revisions, expected-revision checks that throw the client's own
 *   `WrongExpectedVersionError`, idempotent appends by event id, `StreamNotFoundError` when reading a
 *   missing stream, an append result with the `$all` position of its last event;
 * - `$all` positions `{ commit, prepare }` as bigints that grow with every event; the database is
 *   never empty (the server writes its own events first);
 * - `readAll` forwards from a position *includes* the event at that position, backwards from a
 *   position gives the events before it; it takes **no filter** (client 6.x sends "no filter" on
 *   every `readAll`: an unknown `filter` option is ignored, as by the real client) and returns the
 *   events of every stream, the server's `$…` ones included; it returns a `StreamingRead` (a readable
 *   with `cancel()`);
 * - catch-up subscriptions that start *after* the given position (or at the end, from `END`), then
 *   emit `caughtUp` (servers before 23.10 never do: `caughtUpSignal`), with server-side filters on the
 *   stream name (prefixes or regex) or the event type;
 * - `setStreamMetadata` writes a `$metadata` event to `$$<stream>` (an event of `$all`), and a
 *   `maxCount` hides all but the stream's last events from reads of the stream (`$all` keeps them
 *   until a scavenge, which this imitation never runs).
 * It is a stand-in for the adapter's logic, not for the server: the same suites run against a real
 * one in `eventStoreDbEventStore.int.spec.ts` (not run on this machine so far).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import {
  ANY,
  BACKWARDS,
  END,
  EVENT_TYPE,
  NO_STREAM,
  START,
  STREAM_EXISTS,
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
}

const json = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

const compare = (a: Position, b: Position): number => (a.commit === b.commit ? Number(a.prepare - b.prepare) : a.commit < b.commit ? -1 : 1);

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class FakeEventStoreDbClient {
  readonly #streams = new Map<string, StoredEvent[]>();
  /** `$maxCount` of streams, from `setStreamMetadata`. */
  readonly #maxCount = new Map<string, number>();
  readonly #all: StoredEvent[] = [];
  readonly #live = new Set<(event: StoredEvent) => void>();
  readonly #open = new Set<FakeSubscription>();
  #failures: Array<{ readonly calls: ReadonlySet<string>; remaining: number }> = [];
  /** Servers before 23.10 never say they caught up. */
  caughtUpSignal = true;
  /** Calls made, by name: what tests look at to see retries. */
  readonly calls: string[] = [];
  /** Events handed out by `readAll` (both directions): what a test counts to see how much was read. */
  readAllEvents = 0;
  disposed = false;

  /**
   * HTTP/2 streams one connection may have open at once (the server's default is 100): a
   * subscription beyond them waits for a free one, and so hears nothing (reads are short and not
   * counted here).
   */
  maxConcurrentStreams = 100;

  /** Subscriptions open now (opened and not unsubscribed). */
  get openSubscriptions(): number {
    return this.#open.size;
  }

  constructor() {
    // A real database is never empty: the server writes its own events first.
    this.writeSystemEvent();
  }

  /** The next `count` calls of these kinds ('appendToStream', 'readStream', 'readAll', 'setStreamMetadata', 'subscribe'; none: any) fail with the client's UnavailableError. */
  failNext(count: number, ...calls: string[]): void {
    this.#failures.push({ calls: new Set(calls), remaining: count });
  }

  /** An event of the server's own (like `$stats-…`), which filters on `saga-` never match. */
  writeSystemEvent(): void {
    this.#write('$stats-127.0.0.1:2113', [{ id: randomUUID(), type: '$statsCollected', data: {}, metadata: undefined }]);
  }

  readonly appendToStream = async (streamName: string, events: EventData | EventData[], options: { expectedRevision?: AppendExpectedRevision } = {}) => {
    this.calls.push('appendToStream');
    await tick();
    this.#failIfAsked('appendToStream');
    const list = Array.isArray(events) ? events : [events];
    const expected = options.expectedRevision ?? ANY;
    const stream = this.#streams.get(streamName) ?? [];
    const current: bigint | 'no_stream' = stream.length === 0 ? NO_STREAM : BigInt(stream.length - 1);
    // Idempotence: the same ids right after the expected revision are acknowledged, not written again.
    if (expected !== ANY && expected !== STREAM_EXISTS) {
      const first = expected === NO_STREAM ? 0 : Number(expected) + 1;
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
      (typeof expected === 'bigint' && current === expected);
    if (!matches) throw new WrongExpectedVersionError(undefined, { streamName, expected, current });
    const written = this.#write(
      streamName,
      list.map((event) => ({ id: event.id, type: event.type, data: json(event.data), metadata: json(event.metadata) })),
    );
    const last = written.at(-1) as StoredEvent;
    return { success: true, nextExpectedRevision: last.revision, position: last.position };
  };

  readonly readStream = (streamName: string, options: { fromRevision?: ReadRevision; direction?: string; maxCount?: number | bigint } = {}) => {
    this.calls.push('readStream');
    return streamingRead(this.#readStream(streamName, options));
  };

  async *#readStream(streamName: string, options: { fromRevision?: ReadRevision; direction?: string; maxCount?: number | bigint }) {
    await tick();
    this.#failIfAsked('readStream');
    const stored = this.#streams.get(streamName);
    if (stored === undefined) throw new StreamNotFoundError(undefined, streamName);
    // `$maxCount`: only the last events are read (their revisions stay what they were).
    const maxCount = this.#maxCount.get(streamName);
    const firstKept = maxCount === undefined ? 0 : Math.max(0, stored.length - maxCount);
    const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const backwards = options.direction === BACKWARDS;
    const from = options.fromRevision ?? (backwards ? END : START);
    const start = from === START ? 0 : from === END ? stored.length - 1 : Number(from);
    const selected = (backwards ? stored.slice(0, start + 1).reverse() : stored.slice(start)).filter((event) => event.revision >= BigInt(firstKept));
    for (const event of selected.slice(0, max)) yield { event: this.#copy(event) };
  }

  readonly readAll = (options: { fromPosition?: ReadPosition; direction?: string; maxCount?: number | bigint } = {}) => {
    this.calls.push('readAll');
    return streamingRead(this.#readAll(options));
  };

  async *#readAll(options: { fromPosition?: ReadPosition; direction?: string; maxCount?: number | bigint }) {
    await tick();
    this.#failIfAsked('readAll');
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
    for (const event of selected.slice(0, max)) {
      this.readAllEvents += 1;
      yield { event: this.#copy(event), commitPosition: event.position.commit };
    }
  }

  readonly subscribeToAll = (options: { fromPosition?: ReadPosition; filter?: Filter } = {}) => {
    this.calls.push('subscribeToAll');
    const from = options.fromPosition ?? START;
    const filter = options.filter;
    const passes = (event: StoredEvent): boolean => {
      if (filter === undefined) return true;
      const subject = filter.filterOn === EVENT_TYPE ? event.type : event.streamId;
      if ('prefixes' in filter) return filter.prefixes.some((prefix) => subject.startsWith(prefix));
      return new RegExp(filter.regex).test(subject);
    };
    const after = (event: StoredEvent): boolean => from === START || (from !== END && compare(event.position, from) > 0);
    return this.#subscribe(
      (event) => passes(event),
      () => this.#all.filter((event) => after(event) && passes(event)),
    );
  };

  readonly setStreamMetadata = async (streamName: string, metadata: { maxCount?: number | bigint }) => {
    this.calls.push('setStreamMetadata');
    await tick();
    this.#failIfAsked('setStreamMetadata');
    if (metadata.maxCount === undefined) this.#maxCount.delete(streamName);
    else this.#maxCount.set(streamName, Number(metadata.maxCount));
    const [written] = this.#write(`$$${streamName}`, [{ id: randomUUID(), type: '$metadata', data: json({ $maxCount: metadata.maxCount === undefined ? undefined : Number(metadata.maxCount) }), metadata: undefined }]);
    const last = written as StoredEvent;
    return { success: true, nextExpectedRevision: last.revision, position: last.position };
  };

  readonly dispose = async (): Promise<void> => {
    this.disposed = true;
  };

  /** The client's type, for the store's `client` option. */
  asClient(): EsdbClient {
    return this as unknown as EsdbClient;
  }

  #subscribe(isLive: (event: StoredEvent) => boolean, history: () => StoredEvent[]): FakeSubscription {
    const live = (event: StoredEvent): void => {
      if (!subscription.closed && isLive(event)) subscription.emit('data', { event: this.#copy(event) });
    };
    const subscription = new FakeSubscription(() => {
      this.#live.delete(live);
      this.#open.delete(subscription);
    });
    const queued = this.#open.size >= this.maxConcurrentStreams;
    this.#open.add(subscription);
    const failure = this.#failing('subscribe');
    setImmediate(() => {
      if (subscription.closed || queued) return;
      if (failure) {
        // The server's stream is gone; the subscription object stays until unsubscribed.
        subscription.emit('error', new UnavailableError(undefined, 'no connection (fake)'));
        return;
      }
      subscription.emit('confirmation');
      for (const event of history()) if (!subscription.closed) subscription.emit('data', { event: this.#copy(event) });
      if (!subscription.closed) {
        this.#live.add(live);
        if (this.caughtUpSignal) subscription.emit('caughtUp');
      }
    });
    return subscription;
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

  #failIfAsked(name: string): void {
    if (this.#failing(name)) throw new UnavailableError(undefined, `no connection (fake ${name})`);
  }

  #failing(name: string): boolean {
    const failure = this.#failures.find((f) => f.remaining > 0 && (f.calls.size === 0 || f.calls.has(name)));
    if (failure === undefined) return false;
    failure.remaining -= 1;
    this.#failures = this.#failures.filter((f) => f.remaining > 0);
    return true;
  }
}
