import { SagaError } from '@saga/definitions';
import { systemClock } from '../ports/clock.js';
import type { Clock } from '../ports/clock.js';
import { ConcurrencyConflictError } from '../ports/concurrencyConflictError.js';
import type {
  AppendResult,
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
  Unsubscribe,
} from '../ports/eventStore.js';
import { assertAppendable, readFromRevision, resolveListStreamsOptions } from '../ports/eventStoreInput.js';
import { StreamListeners } from '../ports/streamListeners.js';

export interface InMemoryEventStoreOptions {
  /** Sets `recordedAt`. Default: the system clock. */
  readonly clock?: Clock;
}

interface StoredStream {
  readonly name: string;
  readonly createdAt: string;
  readonly events: RecordedEvent[];
}

const cursorTag = 'mem1:';

/**
 * Through JSON, like every durable store: callers never share references with the store, and what
 * they read back is exactly what a real adapter would give them (no `undefined`, no class instances).
 */
const jsonCopy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const encodeCursor = (index: number): string => Buffer.from(`${cursorTag}${index}`, 'utf8').toString('base64url');

const decodeCursor = (cursor: string): number => {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const index = text.startsWith(cursorTag) ? Number(text.slice(cursorTag.length)) : Number.NaN;
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new SagaError(`Invalid listStreams cursor '${cursor}': pass the nextCursor of a previous page of this store, or omit it.`);
  }
  return index;
};

/**
 * The EventStore port in process memory: for tests, examples and single-process runs where losing
 * everything on exit is acceptable. Behaves like the durable adapters (same contract suite).
 */
export class InMemoryEventStore implements EventStore {
  private readonly clock: Clock;
  private readonly streams = new Map<string, StoredStream>();
  /** Creation order, which is what listStreams pages over. */
  private readonly creationOrder: StoredStream[] = [];
  private readonly listeners = new StreamListeners();
  private destroyed = false;

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async setup(): Promise<void> {
    this.assertUsable();
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    this.listeners.clear();
  }

  async append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    this.assertUsable();
    assertAppendable(stream, events);
    // Copy before the concurrency check so a payload that is not JSON fails without writing anything.
    const copies = events.map((event) => ({
      type: event.type,
      data: jsonCopy(event.data),
      metadata: event.metadata === undefined ? {} : jsonCopy(event.metadata),
    }));

    const existing = this.streams.get(stream);
    const actual = existing === undefined ? 'no_stream' : existing.events.length - 1;
    if (!revisionMatches(expectedRevision, actual)) {
      throw new ConcurrencyConflictError(stream, expectedRevision, actual);
    }

    const recordedAt = this.clock.now().toISOString();
    const target: StoredStream = existing ?? { name: stream, createdAt: recordedAt, events: [] };
    if (existing === undefined) {
      this.streams.set(stream, target);
      this.creationOrder.push(target);
    }
    for (const copy of copies) {
      target.events.push({ stream, revision: target.events.length, recordedAt, ...copy });
    }
    const lastRevision = target.events.length - 1;
    this.listeners.notify(stream, lastRevision);
    return { lastRevision, recordedAt };
  }

  async read(stream: string, options: ReadOptions = {}): Promise<readonly RecordedEvent[]> {
    this.assertUsable();
    const fromRevision = readFromRevision(stream, options);
    const found = this.streams.get(stream);
    return found === undefined ? [] : found.events.slice(fromRevision).map(copyEvent);
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<StreamPage> {
    this.assertUsable();
    const { prefix, limit } = resolveListStreamsOptions(options);
    const start = options.after === undefined ? 0 : decodeCursor(options.after) + 1;

    const streams: StreamSummary[] = [];
    let lastIndex = start - 1;
    for (let index = start; index < this.creationOrder.length; index += 1) {
      const candidate = this.creationOrder[index];
      if (candidate === undefined || !candidate.name.startsWith(prefix)) continue;
      if (streams.length === limit) {
        // A further match exists, so the page just filled is not the last one.
        return { streams, nextCursor: encodeCursor(lastIndex) };
      }
      streams.push({ stream: candidate.name, lastRevision: candidate.events.length - 1, createdAt: candidate.createdAt });
      lastIndex = index;
    }
    return { streams };
  }

  watch(stream: string, listener: StreamListener): Unsubscribe {
    this.assertUsable();
    return this.listeners.add(stream, listener);
  }

  private assertUsable(): void {
    if (this.destroyed) {
      throw new SagaError('This InMemoryEventStore was destroyed: create a new one (its events are gone).');
    }
  }
}

const revisionMatches = (expected: ExpectedRevision, actual: number | 'no_stream'): boolean =>
  expected === 'any' || expected === actual;

const copyEvent = (event: RecordedEvent): RecordedEvent => ({
  stream: event.stream,
  revision: event.revision,
  type: event.type,
  data: jsonCopy<JsonObject>(event.data),
  metadata: jsonCopy<JsonObject>(event.metadata),
  recordedAt: event.recordedAt,
});
