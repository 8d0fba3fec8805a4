import { isConcurrencyConflictError } from '@saga/core';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  ListStreamsOptions,
  NewEvent,
  ReadOptions,
  RecordedEvent,
  StreamListener,
  StreamPage,
  Unsubscribe,
} from '@saga/core';

/**
 * The EventStore port around another store, counting what the engine asks of it: appends (and the
 * events in them, and those that lost a concurrency race), reads and listings. It can also note when each append of a stream completed, which gives
 * W3 its per-step latency (one remote step = from the append that sends its request to the append
 * that records its reply). Adds no I/O of its own.
 */
export class CountingStore implements EventStore {
  appends = 0;
  appendedEvents = 0;
  /** Appends that failed with a concurrency conflict (another writer moved first); included in `appends`. */
  conflicts = 0;
  reads = 0;
  listings = 0;
  /** Stream → completion times (performance.now()) of its appends, when `trackTimes` is on. */
  readonly appendTimes = new Map<string, number[]>();
  trackTimes = false;

  constructor(readonly inner: EventStore) {}

  reset(): void {
    this.appends = 0;
    this.appendedEvents = 0;
    this.conflicts = 0;
    this.reads = 0;
    this.listings = 0;
    this.appendTimes.clear();
  }

  setup(): Promise<void> {
    return this.inner.setup();
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }

  async append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    // Counted when issued: the store may wake a waiting run() before this call returns, and the
    // round that run() belongs to must see its append.
    this.appends += 1;
    this.appendedEvents += events.length;
    let result: AppendResult;
    try {
      result = await this.inner.append(stream, events, expectedRevision);
    } catch (error) {
      if (isConcurrencyConflictError(error)) this.conflicts += 1;
      throw error;
    }
    if (this.trackTimes) {
      const times = this.appendTimes.get(stream);
      if (times === undefined) this.appendTimes.set(stream, [performance.now()]);
      else times.push(performance.now());
    }
    return result;
  }

  read(stream: string, options?: ReadOptions): Promise<readonly RecordedEvent[]> {
    this.reads += 1;
    return this.inner.read(stream, options);
  }

  listStreams(options?: ListStreamsOptions): Promise<StreamPage> {
    this.listings += 1;
    return this.inner.listStreams(options);
  }

  watch(stream: string, listener: StreamListener): Unsubscribe {
    return this.inner.watch(stream, listener);
  }
}
