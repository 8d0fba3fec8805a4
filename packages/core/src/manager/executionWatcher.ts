/**
 * Follows one execution until it no longer waits, from what this process's driver stores and from
 * the store's global order (`StoreFeed`) for what other processes append. It folds the events it is
 * given onto the state it knows, so following an execution reads its stream only to fill a gap.
 */
import { decodeEvent, evolve, type SagaExecution } from '@saga/execution';
import type { GlobalEvent } from '../ports/eventStore.js';
import { StoreFeed, type StreamWatch } from '../feed/storeFeed.js';
import { ManagerNotReadyError } from '../errors/runErrors.js';
import type { Engine } from './engine.js';
import { executionStream } from './executionStream.js';
import { isAwaiting } from './nextAction.js';

/** Registers what to do when the client stops (at once if it has); returns the unregistering function. */
export type OnStop = (listener: () => void) => () => void;

export class ExecutionWatcher {
  readonly #engine: Engine;
  readonly #executionId: string;
  #latest: SagaExecution | undefined;
  #stops: Array<() => void> = [];
  #watch: StreamWatch | undefined;
  #queue: Promise<void> = Promise.resolve();
  #settle: ((execution: SagaExecution) => void) | undefined;
  #fail: ((error: unknown) => void) | undefined;
  #settled: Promise<SagaExecution>;

  /** Starts following before anything is appended, so nothing appended later is missed. */
  static async open(engine: Engine, executionId: string, onStop: OnStop): Promise<ExecutionWatcher> {
    const watcher = new ExecutionWatcher(engine, executionId);
    watcher.#stops.push(engine.driver.onStored((execution) => watcher.offer(execution), executionId));
    watcher.#stops.push(
      onStop(() =>
        watcher.#fail?.(new ManagerNotReadyError(`The manager was destroyed while waiting for execution ${executionId}; it stays in the store and can be continued.`)),
      ),
    );
    try {
      // Watched, not yet attended: a run whose first decision leaves nothing to wait for costs the feed no read.
      watcher.#watch = await StoreFeed.of(engine.store, { logger: engine.logger }).watch(executionStream(executionId), (events) => watcher.#onEvents(events));
      watcher.#stops.push(watcher.#watch.stop);
    } catch (error) {
      watcher.close();
      throw error;
    }
    return watcher;
  }

  private constructor(engine: Engine, executionId: string) {
    this.#engine = engine;
    this.#executionId = executionId;
    this.#settled = new Promise((resolve, reject) => {
      this.#settle = resolve;
      this.#fail = reject;
    });
    this.#settled.catch(() => undefined);
  }

  /** A state of the execution known some other way (what `start` or `drive` returned). */
  offer(execution: SagaExecution): void {
    if (this.#latest && this.#latest.revision >= execution.revision) return;
    this.#latest = execution;
    if (!isAwaiting(execution)) this.#settle?.(execution);
  }

  /**
   * The execution once it no longer waits. The decision that ended the wait may still be
   * publishing its messages in this process (and recording that it did): that is let finish first.
   */
  async settled(): Promise<SagaExecution> {
    const keepAlive = setInterval(() => undefined, 1 << 30); // durable timers do not keep a process alive; a waiting run must
    // What other processes append for the execution now matters. If the feed skipped ahead since the
    // watch began, what it skipped is read from the stream, once.
    if (this.#watch?.attend()) this.#refill();
    try {
      const execution = await this.#settled;
      await this.#engine.driver.quiesce(this.#executionId);
      const kept = this.#engine.driver.cached(this.#executionId);
      return kept && kept.revision >= execution.revision ? kept : execution;
    } finally {
      clearInterval(keepAlive);
    }
  }

  close(): void {
    for (const stop of this.#stops) stop();
    this.#stops = [];
  }

  /** Reads the execution whole (after the feed passed over part of the store), in turn with delivered batches. */
  #refill(): void {
    this.#queue = this.#queue
      .then(async () => this.offer((await this.#engine.driver.load(this.#executionId)).execution))
      .catch((error: unknown) => this.#fail?.(error));
  }

  #onEvents(events: readonly GlobalEvent[]): void {
    this.#queue = this.#queue.then(() => this.#apply(events)).catch((error: unknown) => this.#fail?.(error));
  }

  /** Folds a delivered batch, then looks at the state: an append's events are one decision, not steps of one. */
  async #apply(events: readonly GlobalEvent[]): Promise<void> {
    const stream = executionStream(this.#executionId);
    let state = this.#latest;
    for (const event of events) {
      const known = state?.revision ?? -1;
      if (event.revision <= known) continue;
      if (!state || event.revision > known + 1) {
        // A gap (events appended before this watcher knew the execution): read it whole, once.
        state = (await this.#engine.driver.load(this.#executionId)).execution;
        continue;
      }
      state = evolve(state, decodeEvent(event, stream));
    }
    if (state) this.offer(state);
  }
}
