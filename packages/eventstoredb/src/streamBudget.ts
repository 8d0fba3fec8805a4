/**
 * The HTTP/2 streams this package may have open at once on one client's connection.
 *
 * Why: a server (Kestrel, under EventStoreDB and KurrentDB) allows 100 concurrent streams per
 * connection, and every read, append and subscription of the client is one while it runs. A call
 * beyond that waits in the HTTP/2 layer until another ends, and when the others are subscriptions,
 * that is never. So every call of the store takes a permit first, from one budget per client object
 * (stores that share a client share it), and the budget is kept below the server's limit: the limit
 * cannot be reached by this package, and a call that waits for a permit waits in the open, where its
 * deadline applies.
 */
import { DeadlineExceededError } from '@eventstore/db-client';

export class StreamBudget {
  readonly capacity: number;
  #inUse = 0;
  readonly #waiting = new Set<() => void>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Permits held now. */
  get inUse(): number {
    return this.#inUse;
  }

  /** A permit now if one is free (the function that gives it back), else undefined. */
  tryAcquire(): (() => void) | undefined {
    return this.#inUse < this.capacity ? this.#take() : undefined;
  }

  /**
   * Resolves with the function that gives the permit back (calling it twice gives it back once).
   * An aborted `signal` ends the wait with the client's `DeadlineExceededError` (a transient error).
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    while (this.#inUse >= this.capacity) {
      if (signal?.aborted === true) throw this.#timedOut();
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          this.#waiting.delete(wake);
          reject(this.#timedOut());
        };
        const wake = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        this.#waiting.add(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    if (signal?.aborted === true) throw this.#timedOut();
    return this.#take();
  }

  #take(): () => void {
    this.#inUse += 1;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#inUse -= 1;
      const [next] = this.#waiting;
      if (next !== undefined) {
        this.#waiting.delete(next);
        next();
      }
    };
  }

  #timedOut(): DeadlineExceededError {
    return new DeadlineExceededError(
      undefined,
      `waited past the deadline for one of the ${this.capacity} streams this store may open on its connection (all busy; raise maxConcurrentCalls, up to 90, or give the store a client of its own)`,
    );
  }
}

const budgets = new WeakMap<object, StreamBudget>();

/** The budget of a client object: made by the first store that uses the client, with its capacity. */
export const budgetOf = (client: object, capacity: number): StreamBudget => {
  let budget = budgets.get(client);
  if (budget === undefined) {
    budget = new StreamBudget(capacity);
    budgets.set(client, budget);
  }
  return budget;
};
