/**
 * Counts of executions by status, for the table's header. The index port answers pages, not counts,
 * so the counts come from walking the whole index in the background (100,000 entries: 100 pages of
 * 1,000). They are kept, and counted again after the store changed, but never more often than the
 * last count took times `spacing`, so a busy store does not keep the console walking its index.
 */
import { maxIndexPage, type EventStore } from '@saga/core';

export interface StatusCounts {
  readonly counts: Readonly<Record<string, number>>;
  readonly total: number;
  /** When the walk that produced these counts started. */
  readonly asOf: string;
  /** How long the walk took. */
  readonly tookMs: number;
}

export interface StatusCounter {
  /** The latest counts (waits for the first walk). */
  current(): Promise<StatusCounts>;
  /** The store changed: count again when the spacing allows. */
  invalidate(): void;
  close(): void;
}

export const countStatuses = async (store: EventStore, now: () => Date = () => new Date()): Promise<StatusCounts> => {
  const started = performance.now();
  const asOf = now().toISOString();
  const counts: Record<string, number> = {};
  let total = 0;
  let after: string | undefined;
  do {
    const page = await store.index.query({ limit: maxIndexPage, ...(after !== undefined ? { after } : {}) });
    for (const entry of page.entries) counts[entry.status] = (counts[entry.status] ?? 0) + 1;
    total += page.entries.length;
    after = page.nextCursor;
  } while (after !== undefined);
  return { counts, total, asOf, tookMs: Math.round(performance.now() - started) };
};

export interface StatusCounterOptions {
  readonly minIntervalMs?: number;
  readonly spacing?: number;
  /** Called with the counts of each walk after the first (live pages show them). */
  readonly onUpdate?: (counts: StatusCounts) => void;
}

export const statusCounter = (store: EventStore, options: StatusCounterOptions = {}): StatusCounter => {
  const minIntervalMs = options.minIntervalMs ?? 1_000;
  const spacing = options.spacing ?? 10;
  let latest: Promise<StatusCounts> | undefined;
  let stale = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const count = (): Promise<StatusCounts> => {
    stale = false;
    const walk = countStatuses(store);
    // A failed walk is forgotten: the next request walks again instead of repeating the error forever.
    walk.catch(() => {
      if (latest === walk) latest = undefined;
    });
    return walk;
  };

  const schedule = (): void => {
    if (timer || closed || !latest) return;
    void latest
      .then((last) => {
        if (timer || closed) return;
        timer = setTimeout(() => {
          timer = undefined;
          if (closed || !stale) return;
          const next = count();
          // The old counts stay current until the new walk is done.
          void next.then(
            (counts) => {
              latest = next;
              options.onUpdate?.(counts);
              // Changes that came during the walk are counted by the next one.
              if (stale) schedule();
            },
            () => undefined,
          );
        }, Math.max(minIntervalMs, last.tookMs * spacing));
        timer.unref();
      })
      .catch(() => undefined);
  };

  return {
    current: () => (latest ??= count()),
    invalidate: () => {
      stale = true;
      schedule();
    },
    close: () => {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
};
