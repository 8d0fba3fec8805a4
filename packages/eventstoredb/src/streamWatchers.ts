import { START, type StreamSubscription } from '@eventstore/db-client';
import type { StreamListener, Unsubscribe } from '@saga/core';

export interface StreamWatchersOptions {
  /** Opens a catch-up subscription to `stream` after `fromRevision` (or from its start). */
  readonly subscribe: (stream: string, fromRevision: bigint | typeof START) => StreamSubscription;
  /** The stream's last revision now, or undefined when it does not exist. */
  readonly lastRevision: (stream: string) => Promise<number | undefined>;
  /** Told about a subscription that failed; it is re-opened by itself. */
  readonly onError?: (error: unknown) => void;
  /** Delay before re-subscribing; doubles after each failure in a row, up to the maximum. */
  readonly retryDelayMs?: { readonly min: number; readonly max: number };
}

interface Watched {
  readonly listeners: Set<StreamListener>;
  /** The last revision the listeners were told about (-1: none yet); notices never go backwards. */
  lastNotified: number;
  subscription: StreamSubscription | undefined;
  failures: number;
  retryTimer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

/**
 * In-process listeners per stream, fed by one server subscription per watched stream (opened with
 * the first listener, closed with the last) and by this process's own appends.
 *
 * `watch()` returns at once but the subscription opens later; appends in between must not be
 * missed. So each (re)subscription first reads the stream's last revision, subscribes after it,
 * and announces that revision: a new watcher may get one notice for what was already there.
 */
export class StreamWatchers {
  readonly #options: StreamWatchersOptions;
  readonly #watched = new Map<string, Watched>();
  #closed = false;

  constructor(options: StreamWatchersOptions) {
    this.#options = options;
  }

  watch(stream: string, listener: StreamListener): Unsubscribe {
    let watched = this.#watched.get(stream);
    if (watched === undefined) {
      watched = { listeners: new Set(), lastNotified: -1, subscription: undefined, failures: 0, retryTimer: undefined, stopped: false };
      this.#watched.set(stream, watched);
      void this.#subscribe(stream, watched);
    }
    // A wrapper, so the same function can watch twice and each unsubscribe removes only its own.
    const entry: StreamListener = (lastRevision) => listener(lastRevision);
    watched.listeners.add(entry);
    return () => {
      const current = this.#watched.get(stream);
      if (current === undefined || !current.listeners.delete(entry) || current.listeners.size > 0) return;
      this.#watched.delete(stream);
      this.#stop(current);
    };
  }

  /** Tells the watchers of `stream` that it reached `lastRevision`, unless they know already. */
  notify(stream: string, lastRevision: number): void {
    const watched = this.#watched.get(stream);
    if (watched === undefined || lastRevision <= watched.lastNotified) return;
    watched.lastNotified = lastRevision;
    for (const listener of [...watched.listeners]) {
      try {
        listener(lastRevision);
      } catch {
        // The append is stored; a watcher's failure must not reach the writer or other watchers.
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#watched.values()];
    this.#watched.clear();
    await Promise.all(all.map((watched) => this.#stop(watched)));
  }

  async #subscribe(stream: string, watched: Watched): Promise<void> {
    let last: number | undefined;
    try {
      last = await this.#options.lastRevision(stream);
    } catch (error) {
      this.#retry(stream, watched, error);
      return;
    }
    if (watched.stopped || this.#closed) return;
    const subscription = this.#options.subscribe(stream, last === undefined ? START : BigInt(last));
    watched.subscription = subscription;
    subscription.on('data', (resolved) => {
      watched.failures = 0;
      if (resolved.event !== undefined) this.notify(stream, Number(resolved.event.revision));
    });
    subscription.on('error', (error) => {
      if (watched.subscription === subscription) this.#retry(stream, watched, error);
    });
    subscription.on('end', () => {
      if (watched.subscription === subscription) this.#retry(stream, watched, undefined);
    });
    if (last !== undefined) this.notify(stream, last);
  }

  #retry(stream: string, watched: Watched, error: unknown): void {
    const subscription = watched.subscription;
    watched.subscription = undefined;
    void subscription?.unsubscribe().catch(() => undefined);
    if (watched.stopped || this.#closed) return;
    if (error !== undefined) this.#options.onError?.(error);
    const { min, max } = this.#options.retryDelayMs ?? { min: 100, max: 5_000 };
    const delay = Math.min(max, min * 2 ** watched.failures);
    watched.failures += 1;
    watched.retryTimer = setTimeout(() => {
      watched.retryTimer = undefined;
      if (!watched.stopped && !this.#closed) void this.#subscribe(stream, watched);
    }, delay);
    watched.retryTimer.unref();
  }

  async #stop(watched: Watched): Promise<void> {
    watched.stopped = true;
    clearTimeout(watched.retryTimer);
    const subscription = watched.subscription;
    watched.subscription = undefined;
    await subscription?.unsubscribe().catch(() => undefined);
  }
}
