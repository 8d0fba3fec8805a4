/**
 * An EventStore decorator that stops its process at a chosen append, for crash tests in real
 * processes. It forwards everything to the real store; when `beforeAppend` matches, the append is
 * never made, and when `afterAppend` matches, the append is durable and acknowledged but the engine
 * never hears of it: in both cases `halt` is called and never returns (the test kills the process
 * there, see `haltForKill`). `onAcknowledged` hears every append the store acknowledged, before the
 * engine does: the ground truth for "no acknowledged event missing after recovery".
 *
 * Test code only: the engine runs unchanged on top of it.
 */
import type { AppendOptions, AppendResult, EventStore, ExpectedRevision, NewEvent } from '@saga/core';

/** One append the real store acknowledged. */
export interface StoreAcknowledgement {
  readonly stream: string;
  readonly lastRevision: number;
  readonly events: readonly { readonly id: string | null; readonly type: string }[];
}

export type AppendMatcher = (stream: string, events: readonly NewEvent[]) => boolean;

export interface HaltingEventStoreOptions {
  /** Stop before this append reaches the store. */
  readonly beforeAppend?: AppendMatcher;
  /** Stop after this append was acknowledged, before the engine returns from it. */
  readonly afterAppend?: AppendMatcher;
  /** Never returns: reports the point and waits to be killed. */
  readonly halt: (point: string, details: Readonly<Record<string, unknown>>) => Promise<never>;
  /** Every acknowledged append, in order (awaited before the engine continues). */
  readonly onAcknowledged?: (append: StoreAcknowledgement) => Promise<void> | void;
  /**
   * True once the process halted anywhere (this store or its broker): every later call waits
   * forever too, so nothing the process still had under way (a timer, another delivery) moves
   * the saga on after the point.
   */
  readonly halted?: () => boolean;
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

export const haltingEventStore = (inner: EventStore, options: HaltingEventStoreOptions): EventStore => {
  const frozen = options.halted ?? (() => false);
  return {
    setup: () => inner.setup(),
    destroy: () => inner.destroy(),
    read: (stream, readOptions) => (frozen() ? never() : inner.read(stream, readOptions)),
    listStreams: (listOptions) => (frozen() ? never() : inner.listStreams(listOptions)),
    readAll: (readOptions) => (frozen() ? never() : inner.readAll(readOptions)),
    headPosition: () => (frozen() ? never() : inner.headPosition()),
    onAppended: (listener) => inner.onAppended(listener),
    get index() {
      return inner.index;
    },
    append: async (stream: string, events: readonly NewEvent[], expected: ExpectedRevision, appendOptions?: AppendOptions): Promise<AppendResult> => {
      if (frozen()) return never();
      if (options.beforeAppend?.(stream, events)) return options.halt('before append', { stream, types: events.map((e) => e.type) });
      const result = await inner.append(stream, events, expected, appendOptions);
      await options.onAcknowledged?.({ stream, lastRevision: result.lastRevision, events: events.map((e) => ({ id: e.id ?? null, type: e.type })) });
      if (options.afterAppend?.(stream, events)) return options.halt('after append', { stream, lastRevision: result.lastRevision, types: events.map((e) => e.type) });
      return result;
    },
  };
};
