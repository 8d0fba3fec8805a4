/**
 * An EventStore decorator for crash tests. It forwards to the real store and records every append
 * the store acknowledged; with `crashAfterAppends: n`, the n-th successful append is durable and
 * then the "process dies": that call throws `SimulatedCrashError`, and so does every later call, as
 * if the manager using this store had died right after its write and before anything else (before
 * it published the requests of that decision, before it returned to its caller).
 *
 * The manager on it is then destroyed and a new one, on the real store, recovers. `appended` is the
 * ground truth for "no event lost": every event the store acknowledged must be in the final stream.
 */
import type { AppendResult, EventStore, ExpectedRevision, ListStreamsOptions, NewEvent, ReadOptions, RecordedEvent, StreamListener, StreamPage, Unsubscribe } from '@saga/core';

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
  /** Resolves when the simulated process dies (never, without `crashAfterAppends`). */
  readonly crashed: Promise<CrashPoint>;
}

export interface CrashingStoreOptions {
  /** Die right after the n-th successful append (1-based). Default: never. */
  readonly crashAfterAppends?: number;
}

export const crashingStore = (inner: EventStore, options: CrashingStoreOptions = {}): CrashingStore => {
  const limit = options.crashAfterAppends ?? Number.POSITIVE_INFINITY;
  const appended: AcknowledgedAppend[] = [];
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
    setup: async () => {
      alive('setup');
      await inner.setup();
    },
    // The store is shared with the manager that recovers: the dead process does not close it.
    destroy: async () => undefined,
    append: async (stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> => {
      alive('append');
      const result = await inner.append(stream, events, expectedRevision);
      appended.push({ stream, firstRevision: result.lastRevision - events.length + 1, events: events.map((e) => ({ type: e.type, data: e.data })) });
      if (appended.length >= limit && !crash) {
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
    watch: (stream: string, listener: StreamListener): Unsubscribe => {
      // A dead process hears nothing.
      return inner.watch(stream, (revision) => {
        if (!crash) listener(revision);
      });
    },
  };
};

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
