/**
 * The client as the store uses it: every call takes a permit of the connection's `StreamBudget`
 * (so the server's 100 streams per connection are never reached), reads and appends have a deadline,
 * and every call asks for the leader.
 *
 * - **Deadlines.** Client 6.x reads (`readStream`, `readAll`) with no deadline at all (`deadline:
 *   Infinity`, whatever the options say), and its batch append waits on one long-lived stream: a call
 *   stuck behind a dead connection or a full one would wait for ever. Here a read or an append that has
 *   not finished `deadlineMs` after it was made (waiting for a permit included) is cancelled and fails
 *   with the client's `DeadlineExceededError`, which the store retries (an append is retried with the
 *   same event ids and expected revision, so the server writes it once).
 * - **`requiresLeader`.** The engine reads its own writes (it folds a stream right after appending to
 *   it; a listing checks the head it just wrote): a follower may not have them yet.
 * - Subscriptions hold their permit while open, and have no deadline (they are meant to stay).
 */
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { DeadlineExceededError, type AllStreamSubscription, type StreamingRead } from '@eventstore/db-client';
import type { EsdbClient } from './esdbClient.js';
import type { StreamBudget } from './streamBudget.js';

export interface CallGuard {
  readonly budget: StreamBudget;
  /** Longest a read or append may take, waiting for a permit included. */
  readonly deadlineMs: number;
}

const deadlineExceeded = (what: string, ms: number): DeadlineExceededError =>
  new DeadlineExceededError(undefined, `${what} did not finish within its deadline of ${ms} ms (the store's deadlineMs option)`);

/** Why a guarded read stops early: its deadline, or its reader cancelled it. */
const cancelledByReader = Symbol('cancelled by the reader');

/** Resolves as `promise`, or rejects with `signal`'s reason once it is aborted (`cancelledByReader` resolves to `done`). */
const untilAborted = <T>(promise: Promise<IteratorResult<T>>, signal: AbortSignal): Promise<IteratorResult<T>> =>
  new Promise((resolve, reject) => {
    const onAbort = (): void => (signal.reason === cancelledByReader ? resolve({ done: true, value: undefined }) : reject(signal.reason as Error));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });

/** A unary call (append, metadata) with a permit and a deadline. */
const guardedCall = async <T>(guard: CallGuard, what: string, operation: (remainingMs: number) => Promise<T>): Promise<T> => {
  const started = Date.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(deadlineExceeded(what, guard.deadlineMs)), guard.deadlineMs);
  let release: (() => void) | undefined;
  try {
    release = await guard.budget.acquire(controller.signal);
    const pending = operation(Math.max(1, guard.deadlineMs - (Date.now() - started)));
    return await new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(controller.signal.reason as Error);
      if (controller.signal.aborted) return onAbort();
      controller.signal.addEventListener('abort', onAbort, { once: true });
      pending.then(resolve, reject);
    });
  } finally {
    clearTimeout(timer);
    // Given back at the deadline too: a batch append holds no stream of its own (it shares the
    // client's one batch stream), and a classic append got the same deadline from the client.
    release?.();
  }
};

/** A streamed read with a permit and a deadline; `cancel()` and leaving the loop end it early. */
const guardedRead = <E>(guard: CallGuard, what: string, open: () => StreamingRead<E>): StreamingRead<E> => {
  const controller = new AbortController();
  async function* run(): AsyncGenerator<E> {
    const timer = setTimeout(() => controller.abort(deadlineExceeded(what, guard.deadlineMs)), guard.deadlineMs);
    let release: (() => void) | undefined;
    let inner: StreamingRead<E> | undefined;
    let complete = false;
    try {
      release = await guard.budget.acquire(controller.signal);
      inner = open();
      const events = inner[Symbol.asyncIterator]() as AsyncIterator<E>;
      for (;;) {
        const next = await untilAborted(events.next(), controller.signal);
        if (next.done === true) {
          complete = controller.signal.aborted === false;
          return;
        }
        yield next.value;
      }
    } finally {
      clearTimeout(timer);
      // Leaving a read early does not end the server's stream by itself: cancelled, so it frees its stream.
      if (inner !== undefined && !complete) {
        await inner.cancel().catch(() => undefined);
        inner.destroy();
      }
      release?.();
    }
  }
  const readable = Readable.from(run(), { objectMode: true });
  return Object.assign(readable, {
    cancel: async (): Promise<void> => {
      controller.abort(cancelledByReader);
      readable.destroy();
    },
  }) as unknown as StreamingRead<E>;
};

/** Events of the client's subscription passed on as they come. */
const subscriptionEvents = ['confirmation', 'data', 'caughtUp', 'fellBehind', 'error', 'end', 'close'] as const;

/**
 * A subscription that opens once it has a permit (at once, unless the budget is used up) and gives
 * the permit back when it ends or is unsubscribed.
 */
class BudgetedSubscription extends EventEmitter {
  #inner: AllStreamSubscription | undefined;
  #release: (() => void) | undefined;
  #closed = false;

  constructor(budget: StreamBudget, open: () => AllStreamSubscription) {
    super();
    const start = (release: () => void): void => {
      if (this.#closed) return release();
      this.#release = release;
      const inner = open();
      this.#inner = inner;
      for (const name of subscriptionEvents) {
        inner.on(name, (...args: unknown[]) => {
          // A subscription that failed or ended holds no stream any more.
          if (name === 'error' || name === 'end' || name === 'close') this.#giveBack();
          this.emit(name, ...args);
        });
      }
    };
    // Opened at once when a permit is free, as the client opens it; else once one is.
    const now = budget.tryAcquire();
    if (now !== undefined) start(now);
    else void budget.acquire().then(start);
  }

  async unsubscribe(): Promise<void> {
    this.#closed = true;
    try {
      await this.#inner?.unsubscribe();
    } finally {
      this.#giveBack();
    }
  }

  #giveBack(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

export const guardedClient = (client: EsdbClient, guard: CallGuard): EsdbClient => {
  const guarded = {
    appendToStream: (...[stream, events, options]: Parameters<EsdbClient['appendToStream']>) =>
      guardedCall(guard, `append to '${stream}'`, (deadline) => client.appendToStream(stream, events, { ...options, requiresLeader: true, deadline })),
    setStreamMetadata: (...[stream, metadata, options]: Parameters<EsdbClient['setStreamMetadata']>) =>
      guardedCall(guard, `set the metadata of '${stream}'`, (deadline) => client.setStreamMetadata(stream, metadata, { ...options, requiresLeader: true, deadline })),
    readStream: (...[stream, options, readable]: Parameters<EsdbClient['readStream']>) =>
      guardedRead(guard, `read '${stream}'`, () => client.readStream(stream, { ...options, requiresLeader: true }, readable)),
    readAll: (...[options, readable]: Parameters<EsdbClient['readAll']>) => guardedRead(guard, 'read $all', () => client.readAll({ ...options, requiresLeader: true }, readable)),
    subscribeToAll: (...[options, readable]: Parameters<EsdbClient['subscribeToAll']>) =>
      new BudgetedSubscription(guard.budget, () => client.subscribeToAll({ ...options, requiresLeader: true }, readable)),
    dispose: () => client.dispose(),
  };
  // The wrapper has the shapes the store uses (readables, subscriptions), not every overload of the client's types.
  return guarded as unknown as EsdbClient;
};
