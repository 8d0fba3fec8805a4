import { isConcurrencyConflictError } from '@saga/core';
import type {
  AppendListener,
  AppendOptions,
  AppendResult,
  EventStore,
  ExecutionIndex,
  ExpectedRevision,
  GlobalPage,
  GlobalPosition,
  ListStreamsOptions,
  NewEvent,
  ReadAllOptions,
  ReadOptions,
  RecordedEvent,
  StreamPage,
  Unsubscribe,
} from '@saga/core';

/**
 * The EventStore port around another store, counting what the engine asks of it: appends (and the
 * events in them, and those that lost a concurrency race), stream reads, reads of the global order
 * (`readAll`, `headPosition`), listings, and the execution index's queries and claims — each
 * separately, since they cost differently. It also counts the `onAppended` listeners held now (one
 * per process is what the store feed should hold, however many runs wait), and can note when each
 * append of a stream completed, which gives W3 its per-step latency (one remote step = from the
 * append that sends its request to the append that records its reply). Adds no I/O of its own.
 */
export class CountingStore implements EventStore {
  appends = 0;
  appendedEvents = 0;
  /** Appends that carried the execution's index entry (every append of the engine should). */
  indexedAppends = 0;
  /** Appends that failed with a concurrency conflict (another writer moved first); included in `appends`. */
  conflicts = 0;
  /** `read(stream)`: each one a read of a stream (decoded and folded by the caller). */
  reads = 0;
  /** `readAll` calls (the store feed reading the global order). */
  readAlls = 0;
  headPositions = 0;
  listings = 0;
  indexGets = 0;
  indexQueries = 0;
  indexClaims = 0;
  indexPuts = 0;
  /** `onAppended` listeners held now (not reset). */
  appendListeners = 0;
  /** The most `onAppended` listeners held at once since the store was wrapped (not reset). */
  maxAppendListeners = 0;
  /** Stream → completion times (performance.now()) of its appends, when `trackTimes` is on. */
  readonly appendTimes = new Map<string, number[]>();
  trackTimes = false;
  readonly index: ExecutionIndex;

  constructor(readonly inner: EventStore) {
    const index = inner.index;
    this.index = {
      get consistency() {
        return index.consistency;
      },
      get: (executionId) => {
        this.indexGets += 1;
        return index.get(executionId);
      },
      query: (query) => {
        this.indexQueries += 1;
        return index.query(query);
      },
      claim: (options) => {
        this.indexClaims += 1;
        return index.claim(options);
      },
      renew: (options) => {
        this.indexClaims += 1;
        return index.renew(options);
      },
      release: (owner) => index.release(owner),
      put: (entries) => {
        this.indexPuts += 1;
        return index.put(entries);
      },
      remove: (executionIds) => index.remove(executionIds),
      lag: () => index.lag(),
    };
  }

  reset(): void {
    this.appends = 0;
    this.appendedEvents = 0;
    this.indexedAppends = 0;
    this.conflicts = 0;
    this.reads = 0;
    this.readAlls = 0;
    this.headPositions = 0;
    this.listings = 0;
    this.indexGets = 0;
    this.indexQueries = 0;
    this.indexClaims = 0;
    this.indexPuts = 0;
    this.appendTimes.clear();
  }

  setup(): Promise<void> {
    return this.inner.setup();
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }

  async append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision, options?: AppendOptions): Promise<AppendResult> {
    // Counted when issued: the store may wake a waiting run() before this call returns, and the
    // round that run() belongs to must see its append.
    this.appends += 1;
    this.appendedEvents += events.length;
    if (options?.index !== undefined) this.indexedAppends += 1;
    let result: AppendResult;
    try {
      result = await this.inner.append(stream, events, expectedRevision, options);
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

  readAll(options?: ReadAllOptions): Promise<GlobalPage> {
    this.readAlls += 1;
    return this.inner.readAll(options);
  }

  headPosition(): Promise<GlobalPosition | undefined> {
    this.headPositions += 1;
    return this.inner.headPosition();
  }

  onAppended(listener: AppendListener): Unsubscribe {
    const stop = this.inner.onAppended(listener);
    this.appendListeners += 1;
    this.maxAppendListeners = Math.max(this.maxAppendListeners, this.appendListeners);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      this.appendListeners -= 1;
      stop();
    };
  }
}
