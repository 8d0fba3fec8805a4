/**
 * The messages a member has fetched and not yet finished, processed the way the saga engine needs:
 *   - messages with the same key (one execution) on a partition run one after the other, in offset order;
 *   - other messages run side by side, at most `concurrency` at once, starting in offset order;
 *   - a partition's committed offset only moves past a message once it and every message before it
 *     are done, so a crash or rebalance redelivers whatever was not finished, and skips nothing.
 * kafkajs fetches the next batch once `eachBatch` returns, so the pipeline keeps going across
 * batches (a batch of one message must not hold back the next one's handler).
 *
 * After a rebalance the consumer fetches again from the committed offsets: `reset()` forgets every
 * message not started, and the outcome of those still running no longer commits anything.
 */
import type { Slots } from './slots.js';

/** Delivers one message (with its retries, or its dead letter). Resolves false when `current()` turned false meanwhile. */
export type Process = (current: () => boolean) => Promise<boolean>;

interface Entry {
  readonly offset: bigint;
  done: boolean;
}

interface PartitionState {
  readonly entries: Entry[];
  readonly lines: Map<string, Promise<void>>;
  commits: Promise<void>;
}

export interface PipelineHooks {
  /** Commit `nextOffset` (the offset of the first message not done) for `partition`. */
  readonly commit: (partition: number, nextOffset: string) => Promise<void>;
  /** A message could not be settled (its dead letter not stored): fetch again from `offset` later. */
  readonly failed: (partition: number, offset: string, error: unknown) => void;
}

export class Pipeline {
  readonly #slots: Slots;
  readonly #hooks: PipelineHooks;
  readonly #partitions = new Map<number, PartitionState>();
  readonly #waiters = new Set<() => void>();
  #generation = 0;
  #pending = 0;

  constructor(slots: Slots, hooks: PipelineHooks) {
    this.#slots = slots;
    this.#hooks = hooks;
  }

  /** Messages taken and not finished (in this generation). */
  get pending(): number {
    return this.#pending;
  }

  add(partition: number, offset: string, key: string | null, process: Process): void {
    const generation = this.#generation;
    const current = (): boolean => this.#generation === generation;
    const state = this.#state(partition);
    const entry: Entry = { offset: BigInt(offset), done: false };
    state.entries.push(entry);
    this.#pending += 1;
    const previous = key === null ? undefined : state.lines.get(key);
    const line = (async () => {
      if (previous !== undefined) await previous;
      if (!current()) return;
      await this.#slots.acquire();
      let settled = false;
      try {
        if (!current()) return;
        settled = await process(current);
      } finally {
        this.#slots.release();
      }
      if (!settled || !current()) return;
      entry.done = true;
      this.#finished();
      this.#advance(partition, state);
    })().catch((error: unknown) => {
      if (!current()) return;
      this.#hooks.failed(partition, offset, error);
    });
    if (key !== null) state.lines.set(key, line);
  }

  /** Resolves once fewer than `limit` messages are pending (or after `reset()`). */
  async below(limit: number): Promise<void> {
    while (this.#pending >= limit) await new Promise<void>((resolve) => this.#waiters.add(resolve));
  }

  /** Forgets everything taken so far: the consumer will fetch again from the committed offsets. */
  reset(): void {
    this.#generation += 1;
    this.#partitions.clear();
    this.#pending = 0;
    this.#wake();
  }

  #state(partition: number): PartitionState {
    let state = this.#partitions.get(partition);
    if (state === undefined) {
      state = { entries: [], lines: new Map(), commits: Promise.resolve() };
      this.#partitions.set(partition, state);
    }
    return state;
  }

  #finished(): void {
    this.#pending -= 1;
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  #advance(partition: number, state: PartitionState): void {
    let last: Entry | undefined;
    while (state.entries[0]?.done === true) last = state.entries.shift();
    if (last === undefined) return;
    const next = (last.offset + 1n).toString();
    state.commits = state.commits.then(() => this.#hooks.commit(partition, next)).catch(() => {});
  }
}
