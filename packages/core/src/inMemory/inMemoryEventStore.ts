import { SagaError } from '@saga/definitions';
import { systemClock } from '../ports/clock.js';
import type { Clock } from '../ports/clock.js';
import { ConcurrencyConflictError } from '../ports/concurrencyConflictError.js';
import type {
  AppendListener,
  AppendOptions,
  AppendResult,
  ClaimOptions,
  EventStore,
  ExecutionIndex,
  ExecutionIndexEntry,
  ExecutionPage,
  ExecutionQuery,
  GlobalEvent,
  GlobalPage,
  GlobalPosition,
  LeaseOptions,
  ReadAllOptions,
  ExpectedRevision,
  JsonObject,
  ListStreamsOptions,
  NewEvent,
  ReadOptions,
  RecordedEvent,
  StreamPage,
  StreamSummary,
  Unsubscribe,
} from '../ports/eventStore.js';
import { assertAppendable, parseIntegerPosition, readFromRevision, resolveListStreamsOptions, resolveReadAllOptions } from '../ports/eventStoreInput.js';
import {
  assertIndexEntry,
  encodeIndexCursor,
  matchesExecutionQuery,
  newestFirst,
  resolveClaimOptions,
  resolveExecutionQuery,
  resolveLeaseOptions,
  appendLease,
  assertOwner,
} from '../ports/executionQuery.js';
import { decodeStreamCursor, encodeStreamCursor, parseCursorIndex } from '../ports/streamCursor.js';

export interface InMemoryEventStoreOptions {
  /** Sets `recordedAt`. Default: the system clock. */
  readonly clock?: Clock;
}

interface StoredStream {
  readonly name: string;
  readonly createdAt: string;
  readonly events: RecordedEvent[];
}

const cursorStore = 'in-memory';

/**
 * Through JSON, like every durable store: callers never share references with the store, and what
 * they read back is exactly what a real adapter would give them (no `undefined`, no class instances).
 */
const jsonCopy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * The EventStore port in process memory: for tests, examples and single-process runs where losing
 * everything on exit is acceptable. Behaves like the durable adapters (same contract suite).
 */
export class InMemoryEventStore implements EventStore {
  private readonly clock: Clock;
  private readonly streams = new Map<string, StoredStream>();
  /** Creation order, which is what listStreams pages over. */
  private readonly creationOrder: StoredStream[] = [];
  /** Every event in append order: the global order. An event's position is its index + 1. */
  private readonly log: RecordedEvent[] = [];
  private readonly appendListeners = new Set<AppendListener>();
  private readonly entries = new Map<string, ExecutionIndexEntry>();
  private readonly leases = new Map<string, { owner: string; until: number }>();
  private destroyed = false;
  readonly index: ExecutionIndex;

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.index = this.makeIndex();
  }

  async setup(): Promise<void> {
    this.assertUsable();
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    this.appendListeners.clear();
  }

  async append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision, options: AppendOptions = {}): Promise<AppendResult> {
    this.assertUsable();
    assertAppendable(stream, events);
    if (options.index) assertIndexEntry(options.index);
    const lease = appendLease(options);
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
      const recorded = { stream, revision: target.events.length, recordedAt, ...copy };
      target.events.push(recorded);
      this.log.push(recorded);
    }
    if (options.index) this.entries.set(options.index.executionId, jsonCopy(options.index));
    if (options.index && lease) this.leases.set(options.index.executionId, { owner: lease.owner, until: this.clock.now().getTime() + lease.leaseMs });
    const lastRevision = target.events.length - 1;
    // After the append resolved, as a server's notice arrives; a listener's bug is not the writer's.
    for (const listener of [...this.appendListeners]) queueMicrotask(() => {
      try {
        listener();
      } catch {
        // ignored: see above
      }
    });
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
    const start = options.after === undefined ? 0 : decodeStreamCursor(cursorStore, options.after, parseCursorIndex) + 1;

    const streams: StreamSummary[] = [];
    let lastIndex = start - 1;
    for (let index = start; index < this.creationOrder.length; index += 1) {
      const candidate = this.creationOrder[index];
      if (candidate === undefined || !candidate.name.startsWith(prefix)) continue;
      if (streams.length === limit) {
        // A further match exists, so the page just filled is not the last one.
        return { streams, nextCursor: encodeStreamCursor(cursorStore, String(lastIndex)) };
      }
      streams.push({ stream: candidate.name, lastRevision: candidate.events.length - 1, createdAt: candidate.createdAt });
      lastIndex = index;
    }
    return { streams };
  }

  async readAll(options: ReadAllOptions = {}): Promise<GlobalPage> {
    this.assertUsable();
    const { prefix, limit, after } = resolveReadAllOptions(options);
    let index = after === undefined ? 0 : parseIntegerPosition('InMemoryEventStore', after, this.log.length);
    const events: GlobalEvent[] = [];
    while (index < this.log.length && events.length < limit) {
      const event = this.log[index] as RecordedEvent;
      index += 1;
      if (event.stream.startsWith(prefix)) events.push({ ...copyEvent(event), position: String(index) });
    }
    return index === 0 ? { events } : { events, position: String(index) };
  }

  async headPosition(): Promise<GlobalPosition | undefined> {
    this.assertUsable();
    return this.log.length === 0 ? undefined : String(this.log.length);
  }

  onAppended(listener: AppendListener): Unsubscribe {
    this.assertUsable();
    const entry: AppendListener = () => listener();
    this.appendListeners.add(entry);
    return () => void this.appendListeners.delete(entry);
  }

  private makeIndex(): ExecutionIndex {
    const entries = this.entries;
    const leases = this.leases;
    const clock = () => this.clock.now().getTime();
    const usable = () => this.assertUsable();
    const sorted = (): ExecutionIndexEntry[] => [...entries.values()].sort((a, b) => newestFirst(a, b));
    return {
      consistency: 'inline',
      async get(executionId: string) {
        usable();
        const entry = entries.get(executionId);
        return entry && jsonCopy(entry);
      },
      async query(query: ExecutionQuery = {}): Promise<ExecutionPage> {
        usable();
        const resolved = resolveExecutionQuery(query);
        const matching: ExecutionIndexEntry[] = [];
        for (const entry of sorted()) {
          if (!matchesExecutionQuery(resolved, entry)) continue;
          if (matching.length === resolved.limit) {
            const last = matching[matching.length - 1] as ExecutionIndexEntry;
            return { entries: matching.map(jsonCopy), nextCursor: encodeIndexCursor(last) };
          }
          matching.push(entry);
        }
        return { entries: matching.map(jsonCopy) };
      },
      async claim(options: ClaimOptions) {
        usable();
        const { service, owner, leaseMs, limit, dueBefore } = resolveClaimOptions(options);
        const now = clock();
        const claimed: ExecutionIndexEntry[] = [];
        const due = [...entries.values()]
          .filter((e) => e.open && e.service === service && (dueBefore === undefined || (e.nextDueAt !== null && Date.parse(e.nextDueAt) <= Date.parse(dueBefore))))
          .sort((a, b) => Date.parse(a.nextDueAt ?? a.startedAt) - Date.parse(b.nextDueAt ?? b.startedAt));
        for (const entry of due) {
          if (claimed.length === limit) break;
          const lease = leases.get(entry.executionId);
          if (lease && lease.until > now) continue;
          leases.set(entry.executionId, { owner, until: now + leaseMs });
          claimed.push(jsonCopy(entry));
        }
        return claimed;
      },
      async renew(options: LeaseOptions) {
        usable();
        const { service, owner, leaseMs } = resolveLeaseOptions(options);
        let held = 0;
        for (const [id, lease] of leases) {
          const entry = entries.get(id);
          if (lease.owner !== owner || !entry?.open || entry.service !== service) continue;
          lease.until = clock() + leaseMs;
          held += 1;
        }
        return held;
      },
      async release(owner: string) {
        usable();
        assertOwner(owner);
        let released = 0;
        for (const [id, lease] of leases) {
          if (lease.owner !== owner) continue;
          leases.delete(id);
          if (entries.get(id)?.open) released += 1;
        }
        return released;
      },
      async put(given: readonly ExecutionIndexEntry[]) {
        usable();
        for (const entry of given) assertIndexEntry(entry);
        for (const entry of given) entries.set(entry.executionId, jsonCopy(entry));
      },
      async remove(executionIds: readonly string[]) {
        usable();
        for (const id of executionIds) {
          entries.delete(id);
          leases.delete(id);
        }
      },
      async lag() {
        return { events: 0 };
      },
    };
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
