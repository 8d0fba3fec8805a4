/**
 * The queue of group commit: appends issued while every round trip allowed is in flight wait, and
 * go together in the next one. A lone append goes at once, alone (no added latency): batching only
 * gathers what is already waiting. Generic over what is sent, so it is tested without a server.
 */
import { SagaError } from '@saga/core';

export interface GroupCommitOptions {
  /** Most appends sent in one round trip. Default 64. */
  readonly maxBatch?: number;
  /**
   * How long a batch that is not full may wait for more appends, in ms. Default 0: it takes what is
   * waiting when a round trip is free, and never delays an append.
   */
  readonly maxWaitMs?: number;
  /**
   * Round trips of appends in flight at once (each holds a pooled connection). Appends issued while
   * all are busy queue, and go in one batch when one returns. Default 2.
   */
  readonly maxInFlight?: number;
}

export const defaultGroupCommit: Required<GroupCommitOptions> = { maxBatch: 64, maxWaitMs: 0, maxInFlight: 2 };

/** What one item of a batch came to. */
export type Outcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

interface Waiting<I, R> {
  readonly item: I;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
}

const wholeNumber = (name: string, value: number | undefined, fallback: number, min: number): number => {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new SagaError(`PostgresEventStore: groupCommit.${name} must be a whole number ≥ ${min}, got ${String(value)}.`);
  return value;
};

export const resolveGroupCommit = (options: GroupCommitOptions | boolean | undefined): Required<GroupCommitOptions> | undefined => {
  if (options === false) return undefined;
  if (options === undefined || options === true) return defaultGroupCommit;
  if (typeof options !== 'object' || options === null) throw new SagaError('PostgresEventStore: groupCommit is true, false or { maxBatch, maxWaitMs, maxInFlight }.');
  return {
    maxBatch: wholeNumber('maxBatch', options.maxBatch, defaultGroupCommit.maxBatch, 1),
    maxWaitMs: wholeNumber('maxWaitMs', options.maxWaitMs, defaultGroupCommit.maxWaitMs, 0),
    maxInFlight: wholeNumber('maxInFlight', options.maxInFlight, defaultGroupCommit.maxInFlight, 1),
  };
};

export class GroupCommit<I, R> {
  readonly #settings: Required<GroupCommitOptions>;
  /** Sends a batch; one outcome per item, in order. A rejection fails every item of the batch. */
  readonly #send: (items: readonly I[]) => Promise<readonly Outcome<R>[]>;
  #queue: Waiting<I, R>[] = [];
  #inFlight = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Round trips sent, the items in them, and the largest (for tests and measurement). */
  readonly sent = { batches: 0, items: 0, largest: 0 };

  constructor(settings: Required<GroupCommitOptions>, send: (items: readonly I[]) => Promise<readonly Outcome<R>[]>) {
    this.#settings = settings;
    this.#send = send;
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#pump(false);
    });
  }

  #pump(timerFired: boolean): void {
    const { maxBatch, maxWaitMs, maxInFlight } = this.#settings;
    if (timerFired) this.#timer = undefined;
    while (this.#inFlight < maxInFlight && this.#queue.length > 0) {
      if (maxWaitMs > 0 && this.#queue.length < maxBatch && !timerFired) {
        this.#timer ??= setTimeout(() => this.#pump(true), maxWaitMs);
        return;
      }
      timerFired = false;
      const batch = this.#queue.splice(0, maxBatch);
      this.#inFlight += 1;
      this.sent.batches += 1;
      this.sent.items += batch.length;
      this.sent.largest = Math.max(this.sent.largest, batch.length);
      void this.#flush(batch);
    }
    if (this.#queue.length === 0 && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  async #flush(batch: readonly Waiting<I, R>[]): Promise<void> {
    try {
      const outcomes = await this.#send(batch.map((waiting) => waiting.item));
      batch.forEach((waiting, index) => {
        const outcome = outcomes[index];
        if (outcome === undefined) waiting.reject(new SagaError('PostgresEventStore: a batched append got no result (this is a bug).'));
        else if (outcome.ok) waiting.resolve(outcome.value);
        else waiting.reject(outcome.error);
      });
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      this.#inFlight -= 1;
      this.#pump(false);
    }
  }
}
