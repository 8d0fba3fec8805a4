import { START, type StreamSubscription } from '@eventstore/db-client';
import { StreamListeners } from '@saga/core';
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

/** The server subscription of one watched stream, re-opened after failures. */
interface Subscribed {
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
  readonly #subscribed = new Map<string, Subscribed>();
  readonly #listeners = new StreamListeners({
    onFirstListener: (stream) => {
      const subscribed: Subscribed = { subscription: undefined, failures: 0, retryTimer: undefined, stopped: false };
      this.#subscribed.set(stream, subscribed);
      void this.#subscribe(stream, subscribed);
    },
    onLastListener: (stream) => {
      const subscribed = this.#subscribed.get(stream);
      this.#subscribed.delete(stream);
      if (subscribed !== undefined) void this.#stop(subscribed);
    },
  });
  #closed = false;

  constructor(options: StreamWatchersOptions) {
    this.#options = options;
  }

  watch(stream: string, listener: StreamListener): Unsubscribe {
    return this.#listeners.add(stream, listener);
  }

  /** Tells the watchers of `stream` that it reached `lastRevision`, unless they know already. */
  notify(stream: string, lastRevision: number): void {
    this.#listeners.notify(stream, lastRevision);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#subscribed.values()];
    this.#subscribed.clear();
    this.#listeners.clear();
    await Promise.all(all.map((subscribed) => this.#stop(subscribed)));
  }

  async #subscribe(stream: string, subscribed: Subscribed): Promise<void> {
    let last: number | undefined;
    try {
      last = await this.#options.lastRevision(stream);
    } catch (error) {
      this.#retry(stream, subscribed, error);
      return;
    }
    if (subscribed.stopped || this.#closed) return;
    const subscription = this.#options.subscribe(stream, last === undefined ? START : BigInt(last));
    subscribed.subscription = subscription;
    subscription.on('data', (resolved) => {
      subscribed.failures = 0;
      if (resolved.event !== undefined) this.notify(stream, Number(resolved.event.revision));
    });
    subscription.on('error', (error) => {
      if (subscribed.subscription === subscription) this.#retry(stream, subscribed, error);
    });
    subscription.on('end', () => {
      if (subscribed.subscription === subscription) this.#retry(stream, subscribed, undefined);
    });
    if (last !== undefined) this.notify(stream, last);
  }

  #retry(stream: string, subscribed: Subscribed, error: unknown): void {
    const subscription = subscribed.subscription;
    subscribed.subscription = undefined;
    void subscription?.unsubscribe().catch(() => undefined);
    if (subscribed.stopped || this.#closed) return;
    if (error !== undefined) this.#options.onError?.(error);
    const { min, max } = this.#options.retryDelayMs ?? { min: 100, max: 5_000 };
    const delay = Math.min(max, min * 2 ** subscribed.failures);
    subscribed.failures += 1;
    subscribed.retryTimer = setTimeout(() => {
      subscribed.retryTimer = undefined;
      if (!subscribed.stopped && !this.#closed) void this.#subscribe(stream, subscribed);
    }, delay);
    subscribed.retryTimer.unref();
  }

  async #stop(subscribed: Subscribed): Promise<void> {
    subscribed.stopped = true;
    clearTimeout(subscribed.retryTimer);
    const subscription = subscribed.subscription;
    subscribed.subscription = undefined;
    await subscription?.unsubscribe().catch(() => undefined);
  }
}
