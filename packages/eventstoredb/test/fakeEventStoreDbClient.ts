/**
 * An in-memory imitation of the few `@eventstore/db-client` 6.x calls the store makes, for tests on
 * machines without a server. It follows the server's documented behaviour: dense 0-based revisions,
 * expected-revision checks that throw the client's own `WrongExpectedVersionError`, idempotent
 * appends by event id, `StreamNotFoundError` when reading a missing stream, catch-up subscriptions
 * that start *after* the given revision or position and then emit `caughtUp`, and server-side
 * stream-name filters on `$all`. It is a stand-in for the adapter's logic, not for the server:
 * the same suites run against a real one in `eventStoreDbEventStore.int.spec.ts`.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  ANY,
  BACKWARDS,
  END,
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
  readonly #all: StoredEvent[] = [];
  readonly #live = new Set<(event: StoredEvent) => void>();
  #failures: Array<{ readonly calls: ReadonlySet<string>; remaining: number }> = [];
  /** Servers before 23.10 never say they caught up. */
  caughtUpSignal = true;
  /** Calls made, by name: what tests look at to see retries. */
  readonly calls: string[] = [];
  disposed = false;

  constructor() {
    // A real database is never empty: the server writes its own events first.
    this.writeSystemEvent();
  }

  /** The next `count` calls of these kinds ('appendToStream', 'readStream', 'readAll', 'subscribe'; none: any) fail with the client's UnavailableError. */
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
    return this.#readStream(streamName, options);
  };

  async *#readStream(streamName: string, options: { fromRevision?: ReadRevision; direction?: string; maxCount?: number | bigint }) {
    await tick();
    this.#failIfAsked('readStream');
    const stream = this.#streams.get(streamName);
    if (stream === undefined) throw new StreamNotFoundError(undefined, streamName);
    const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const backwards = options.direction === BACKWARDS;
    const from = options.fromRevision ?? (backwards ? END : START);
    const start = from === START ? 0 : from === END ? stream.length - 1 : Number(from);
    const selected = backwards ? stream.slice(0, start + 1).reverse() : stream.slice(start);
    for (const event of selected.slice(0, max)) yield { event: this.#copy(event) };
  }

  readonly readAll = (options: { fromPosition?: ReadPosition; direction?: string; maxCount?: number | bigint } = {}) => {
    this.calls.push('readAll');
    return this.#readAll(options);
  };

  async *#readAll(options: { direction?: string; maxCount?: number | bigint }) {
    await tick();
    this.#failIfAsked('readAll');
    const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const selected = options.direction === BACKWARDS ? [...this.#all].reverse() : this.#all;
    for (const event of selected.slice(0, max)) yield { event: this.#copy(event), commitPosition: event.position.commit };
  }

  readonly subscribeToStream = (streamName: string, options: { fromRevision?: ReadRevision } = {}) => {
    this.calls.push('subscribeToStream');
    const from = options.fromRevision ?? START;
    return this.#subscribe(
      (event) => event.streamId === streamName && (from === START || (from !== END && event.revision > from)),
      () => (this.#streams.get(streamName) ?? []).filter((event) => from === START || (from !== END && event.revision > from)),
    );
  };

  readonly subscribeToAll = (options: { fromPosition?: ReadPosition; filter?: Filter } = {}) => {
    this.calls.push('subscribeToAll');
    const from = options.fromPosition ?? START;
    const filter = options.filter;
    const passes = (event: StoredEvent): boolean => {
      if (filter === undefined) return true;
      if ('prefixes' in filter) return filter.prefixes.some((prefix) => event.streamId.startsWith(prefix));
      return new RegExp(filter.regex).test(event.streamId);
    };
    const after = (event: StoredEvent): boolean => from === START || (from !== END && compare(event.position, from) > 0);
    return this.#subscribe(
      (event) => passes(event),
      () => this.#all.filter((event) => after(event) && passes(event)),
    );
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
    const subscription = new FakeSubscription(() => this.#live.delete(live));
    const failure = this.#failing('subscribe');
    setImmediate(() => {
      if (subscription.closed) return;
      if (failure) {
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
