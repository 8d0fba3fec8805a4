/**
 * How long an inbox keeps its records, and the timer that prunes the older ones. Written once here
 * for every inbox adapter: each calls `pruneOnSchedule` from its `setup()` and the returned stop
 * from its `destroy()`.
 */
import { SagaError } from '@saga/definitions';
import { systemClock, type Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';

export interface InboxRetentionOptions {
  /**
   * How long a record is kept (ms). Default 7 days. A request re-sent after its record was pruned
   * runs again, so keep it longer than a saga may take from a request to its outcome, broker
   * redeliveries and recovery re-sends included.
   */
  readonly retentionMs?: number;
  /** How often older records are deleted (ms). Default: the retention, at most one hour. */
  readonly pruneEveryMs?: number;
  /** Whose time decides what is older. Default: the system clock. */
  readonly clock?: Clock;
}

export const defaultInboxRetentionMs = 7 * 24 * 60 * 60 * 1000;
const maxPruneEveryMs = 60 * 60 * 1000;

export interface ResolvedInboxRetention {
  readonly retentionMs: number;
  readonly pruneEveryMs: number;
  readonly clock: Clock;
}

const positive = (inbox: string, name: string, value: number): number => {
  if (!Number.isFinite(value) || value <= 0) {
    throw new SagaError(`${inbox}: ${name} must be a positive number of milliseconds, got ${String(value)}; e.g. ${name}: 7 * 24 * 3600 * 1000 for a week.`);
  }
  return value;
};

export const resolveInboxRetention = (inbox: string, options: InboxRetentionOptions = {}): ResolvedInboxRetention => {
  const retentionMs = positive(inbox, 'retentionMs', options.retentionMs ?? defaultInboxRetentionMs);
  return {
    retentionMs,
    pruneEveryMs: positive(inbox, 'pruneEveryMs', options.pruneEveryMs ?? Math.min(retentionMs, maxPruneEveryMs)),
    clock: options.clock ?? systemClock,
  };
};

/**
 * Prunes records older than the retention every `pruneEveryMs` until the returned function is
 * called. A failed prune is logged and tried again at the next tick: records are only kept longer.
 */
export const pruneOnSchedule = (
  inbox: string,
  prune: (olderThan: Date) => Promise<number>,
  retention: ResolvedInboxRetention,
  logger: Logger,
): (() => void) => {
  let cancel: (() => void) | undefined;
  let stopped = false;
  const tick = async (): Promise<void> => {
    const olderThan = new Date(retention.clock.now().getTime() - retention.retentionMs);
    try {
      const pruned = await prune(olderThan);
      if (pruned > 0) logger.debug({ inbox, pruned, olderThan: olderThan.toISOString() }, 'Inbox: pruned records past their retention');
    } catch (error) {
      logger.warn({ inbox, error: error instanceof Error ? error.message : String(error) }, 'Inbox: pruning failed; trying again at the next tick');
    }
    arm();
  };
  const arm = (): void => {
    if (stopped) return;
    cancel = retention.clock.setTimeout(() => void tick(), retention.pruneEveryMs);
  };
  arm();
  return () => {
    stopped = true;
    cancel?.();
  };
};
