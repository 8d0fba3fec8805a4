/**
 * `onAppended` for one store: ONE filtered subscription to `$all` per store instance, however many
 * listeners the process has (the store feed, the execution index, tools). It is opened with the first
 * listener and closed with the last one (and by `close`).
 *
 * Why one: a server allows a limited number of concurrent HTTP/2 streams per connection (100 by
 * default), and every subscription is one; a subscription per waiting run made the 101st run wait
 * for ever.
 *
 * The subscription is live only (from the end of `$all`, or after the last event it delivered when it
 * is re-opened after a failure): notices say "something was appended"; readers read on from where
 * they were. Notices are coalesced (at most one per turn of the event loop), may be spurious, and a
 * re-opened subscription gives one notice for what may have come in meanwhile.
 */
import { END, type AllStreamSubscription, type Position } from '@eventstore/db-client';
import type { AppendListener, Unsubscribe } from '@saga/core';

export interface AppendNoticesOptions {
  /** Opens the filtered subscription, live from `from`. */
  readonly subscribe: (from: Position | typeof END) => AllStreamSubscription;
  /** Told about a subscription that failed; it is re-opened by itself. */
  readonly onError?: (error: unknown) => void;
  /** Delay before re-subscribing; doubles after each failure in a row, up to the maximum. */
  readonly retryDelayMs?: { readonly min: number; readonly max: number };
}

export class AppendNotices {
  readonly #options: AppendNoticesOptions;
  readonly #listeners = new Set<AppendListener>();
  #subscription: AllStreamSubscription | undefined;
  #lastSeen: Position | undefined;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #scheduled = false;
  #closed = false;

  constructor(options: AppendNoticesOptions) {
    this.#options = options;
  }

  /** Whether the server subscription is open now (for tests and diagnostics). */
  get subscribed(): boolean {
    return this.#subscription !== undefined;
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  add(listener: AppendListener): Unsubscribe {
    // Wrapped, so that the same function added twice is two listeners.
    const entry: AppendListener = () => listener();
    this.#listeners.add(entry);
    if (this.#listeners.size === 1 && !this.#closed) this.#open(END, false);
    return () => {
      if (!this.#listeners.delete(entry) || this.#listeners.size > 0) return;
      void this.#stop();
    };
  }

  /** Tells every listener soon (coalesced): after an append of this process, or a server event. */
  notify(): void {
    if (this.#scheduled || this.#closed || this.#listeners.size === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#closed) return;
      for (const listener of [...this.#listeners]) {
        try {
          listener();
        } catch {
          // A listener's bug is not the writer's, nor the other listeners'.
        }
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    await this.#stop();
  }

  #open(from: Position | typeof END, reopened: boolean): void {
    const subscription = this.#options.subscribe(from);
    this.#subscription = subscription;
    subscription.on('confirmation', () => {
      if (this.#subscription === subscription) this.#failures = 0;
      // Whatever came in while there was no subscription is read by the readers this wakes up.
      if (reopened && this.#subscription === subscription) this.notify();
    });
    subscription.on('data', (resolved) => {
      if (this.#subscription !== subscription) return;
      this.#failures = 0;
      if (resolved.event !== undefined) this.#lastSeen = resolved.event.position;
      this.notify();
    });
    subscription.on('error', (error) => this.#retry(subscription, error));
    subscription.on('end', () => this.#retry(subscription, undefined));
  }

  #retry(subscription: AllStreamSubscription, error: unknown): void {
    if (this.#subscription !== subscription) return;
    this.#subscription = undefined;
    void subscription.unsubscribe().catch(() => undefined);
    if (this.#closed || this.#listeners.size === 0) return;
    if (error !== undefined) this.#options.onError?.(error);
    const { min, max } = this.#options.retryDelayMs ?? { min: 100, max: 5_000 };
    const delay = Math.min(max, min * 2 ** this.#failures);
    this.#failures += 1;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (!this.#closed && this.#listeners.size > 0 && this.#subscription === undefined) this.#open(this.#lastSeen ?? END, true);
    }, delay);
    this.#retryTimer.unref();
  }

  async #stop(): Promise<void> {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#failures = 0;
    this.#lastSeen = undefined;
    const subscription = this.#subscription;
    this.#subscription = undefined;
    await subscription?.unsubscribe().catch(() => undefined);
  }
}
