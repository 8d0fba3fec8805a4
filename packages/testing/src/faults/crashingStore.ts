/**
 * An EventStore decorator for crash tests. It forwards to the real store and records every append
 * the store acknowledged; with `crashAfterAppends: n`, the n-th successful append is durable and
 * then the "process dies": that call throws `SimulatedCrashError`, and so does every later call, as
 * if the manager using this store had died right after its write and before anything else (before
 * it published the requests of that decision, before it returned to its caller).
 *
 * The manager on it is then destroyed and a new one, on the real store, recovers. `appended` is the
 * ground truth for "no event lost": every event the store acknowledged must be in the final stream.
 *
 * Everything else forwards to the real store while the process lives: `readAll`, `headPosition`,
 * the execution index (an index entry given to `append` is written with the events, so it is as
 * durable as they are). A dead process hears no more `onAppended` notices.
 */
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
  LeaseOptions,
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

export class SimulatedCrashError extends Error {
  override readonly name = 'SimulatedCrashError';
}

/** One append the real store acknowledged. */
export interface AcknowledgedAppend {
  readonly stream: string;
  /** The revision of the first event of this append. */
  readonly firstRevision: number;
  readonly events: readonly { readonly type: string; readonly data: unknown }[];
}

export interface CrashPoint {
  readonly stream: string;
  /** Which append (1-based, counted over every stream of this store) was the last one. */
  readonly append: number;
  readonly lastRevision: number;
}

export interface CrashingStore extends EventStore {
  /** Appends the real store acknowledged through this decorator, in order. */
  readonly appended: readonly AcknowledgedAppend[];
  /** How many appends succeeded. */
  readonly appends: number;
  /** Set once the simulated process died. */
  readonly crash: CrashPoint | undefined;
  /** Resolves when the simulated process dies (never, without `crashAfterAppends` or `kill()`). */
  readonly crashed: Promise<CrashPoint>;
  /** The process dies now, between two calls (e.g. while it waits for a reply): every later call throws. */
  kill(): void;
}

export interface CrashingStoreOptions {
  /** Die right after the n-th successful append (1-based). Default: never. */
  readonly crashAfterAppends?: number;
  /**
   * Die right after the first successful append this says yes to (e.g. the one that stores the
   * transaction's outcome): a point named by what is stored, not by a count that timing can shift
   * (replies that arrive together are stored in one append).
   */
  readonly crashAfterAppendOf?: (append: AcknowledgedAppend) => boolean;
  /**
   * Die right after the first successful append that brings the events stored through this
   * decorator (over every stream) to n or more: the crash points of a clean run, named by how much
   * it had stored, survive appends that timing merges (replies stored together).
   */
  readonly crashAfterEvents?: number;
}

export const crashingStore = (inner: EventStore, options: CrashingStoreOptions = {}): CrashingStore => {
  const limit = options.crashAfterAppends ?? Number.POSITIVE_INFINITY;
  const eventLimit = options.crashAfterEvents ?? Number.POSITIVE_INFINITY;
  const appended: AcknowledgedAppend[] = [];
  let eventsStored = 0;
  let crash: CrashPoint | undefined;
  let announce: (point: CrashPoint) => void = () => undefined;
  const crashed = new Promise<CrashPoint>((resolve) => (announce = resolve));
  const alive = (what: string): void => {
    if (crash) throw new SimulatedCrashError(`The process died after append ${crash.append} (to ${crash.stream}); ${what} cannot run.`);
  };
  return {
    get appended() {
      return appended;
    },
    get appends() {
      return appended.length;
    },
    get crash() {
      return crash;
    },
    crashed,
    kill: () => {
      if (crash) return;
      const last = appended.at(-1);
      crash = { stream: last?.stream ?? '', append: appended.length, lastRevision: last === undefined ? -1 : last.firstRevision + last.events.length - 1 };
      announce(crash);
    },
    setup: async () => {
      alive('setup');
      await inner.setup();
    },
    // The store is shared with the manager that recovers: the dead process does not close it.
    destroy: async () => undefined,
    append: async (stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision, appendOptions?: AppendOptions): Promise<AppendResult> => {
      alive('append');
      const result = await (appendOptions === undefined ? inner.append(stream, events, expectedRevision) : inner.append(stream, events, expectedRevision, appendOptions));
      const acknowledged: AcknowledgedAppend = { stream, firstRevision: result.lastRevision - events.length + 1, events: events.map((e) => ({ type: e.type, data: e.data })) };
      appended.push(acknowledged);
      eventsStored += events.length;
      if ((appended.length >= limit || eventsStored >= eventLimit || options.crashAfterAppendOf?.(acknowledged) === true) && !crash) {
        crash = { stream, append: appended.length, lastRevision: result.lastRevision };
        announce(crash);
        throw new SimulatedCrashError(`Simulated crash right after append ${appended.length} (${stream} @ ${result.lastRevision}); the append is durable.`);
      }
      return result;
    },
    read: async (stream: string, readOptions?: ReadOptions): Promise<readonly RecordedEvent[]> => {
      alive('read');
      return inner.read(stream, readOptions);
    },
    listStreams: async (listOptions?: ListStreamsOptions): Promise<StreamPage> => {
      alive('listStreams');
      return inner.listStreams(listOptions);
    },
    readAll: async (readAllOptions?: ReadAllOptions): Promise<GlobalPage> => {
      alive('readAll');
      return inner.readAll(readAllOptions);
    },
    headPosition: async (): Promise<GlobalPosition | undefined> => {
      alive('headPosition');
      return inner.headPosition();
    },
    onAppended: (listener: AppendListener): Unsubscribe => {
      let stopInner: Unsubscribe | undefined;
      const stop = (): void => {
        stopInner?.();
        stopInner = undefined;
      };
      stopInner = inner.onAppended(() => {
        // A dead process hears nothing; its listener lets go of the real store at the first notice.
        if (crash) stop();
        else listener();
      });
      return stop;
    },
    index: crashingIndex(inner.index, alive),
  };
};

/** The real store's index, while the process lives. */
const crashingIndex = (inner: ExecutionIndex, alive: (what: string) => void): ExecutionIndex => ({
  get consistency() {
    return inner.consistency;
  },
  get: async (executionId: string): Promise<ExecutionIndexEntry | undefined> => {
    alive('index.get');
    return inner.get(executionId);
  },
  query: async (query?: ExecutionQuery): Promise<ExecutionPage> => {
    alive('index.query');
    return inner.query(query);
  },
  claim: async (claimOptions: ClaimOptions): Promise<readonly ExecutionIndexEntry[]> => {
    alive('index.claim');
    return inner.claim(claimOptions);
  },
  renew: async (leaseOptions: LeaseOptions): Promise<number> => {
    alive('index.renew');
    return inner.renew(leaseOptions);
  },
  release: async (owner: string): Promise<number> => {
    alive('index.release');
    return inner.release(owner);
  },
  put: async (entries: readonly ExecutionIndexEntry[]): Promise<void> => {
    alive('index.put');
    await inner.put(entries);
  },
  remove: async (executionIds: readonly string[]): Promise<void> => {
    alive('index.remove');
    await inner.remove(executionIds);
  },
  lag: async () => {
    alive('index.lag');
    return inner.lag();
  },
});

/**
 * "No event lost": every append the store acknowledged is in `events` at its revisions, with the
 * same type and data. Returns what is missing or different.
 */
export const lostEvents = (acknowledged: readonly AcknowledgedAppend[], stream: string, events: readonly { readonly revision: number; readonly type: string; readonly data: unknown }[]): string[] => {
  const problems: string[] = [];
  for (const append of acknowledged) {
    if (append.stream !== stream) continue;
    for (const [offset, event] of append.events.entries()) {
      const revision = append.firstRevision + offset;
      const stored = events[revision];
      if (!stored) problems.push(`${stream} @ ${revision} (${event.type}) was acknowledged but is not in the stream`);
      else if (stored.type !== event.type || canonicalJson(stored.data) !== canonicalJson(event.data)) {
        problems.push(`${stream} @ ${revision} was acknowledged as ${event.type} but the stream has ${stored.type} there`);
      }
    }
  }
  return problems;
};

/** JSON with object keys sorted: stores such as PostgreSQL's jsonb do not keep key order. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
