/**
 * The messages a member has taken from one partition and not yet finished, processed the way the
 * saga engine needs:
 *   - messages with the same key (one execution) run one after the other, in offset order;
 *   - other messages run side by side, within the subscription's slots, starting in offset order;
 *   - the committed offset only moves past a message once it and every message before it are
 *     settled, so a crash or rebalance redelivers whatever was not finished, and skips nothing.
 * kafkajs fetches the next batch once `eachBatch` returns, so the pipeline keeps going across
 * batches (a batch of one message must not hold back the next one's handler). It lives as long as
 * the partition stays assigned to the member, across rebalances that keep it there.
 * `abandon()` is for a partition that moved away: nothing more starts, and nothing more is committed.
 */
import type { Slots } from './slots.js';

/**
 * Delivers one message (with its retries, or its dead letter). Resolves true once settled, false
 * when it gave up because `live()` turned false (the partition was abandoned).
 */
export type Process = (live: () => boolean) => Promise<boolean>;

export interface PipelineHooks {
  /** Commit `nextOffset`, the offset of the first message not settled. */
  readonly commit: (nextOffset: string) => Promise<void>;
  /** A process threw (a bug, not a handler failure): nothing past the message is committed. */
  readonly failed: (offset: string, error: unknown) => void;
}

interface Entry {
  readonly offset: bigint;
  done: boolean;
}

export class Pipeline {
  readonly #slots: Slots;
  readonly #hooks: PipelineHooks;
  readonly #entries: Entry[] = [];
  readonly #lines = new Map<string, Promise<void>>();
  readonly #waiters = new Set<() => void>();
  #commits: Promise<void> = Promise.resolve();
  #committing = 0;
  #pending = 0;
  #abandoned = false;

  constructor(slots: Slots, hooks: PipelineHooks) {
    this.#slots = slots;
    this.#hooks = hooks;
  }

  /** Messages taken and not finished. */
  get pending(): number {
    return this.#pending;
  }

  /** Whether anything taken is unfinished, or a commit is under way: the partition must not move now. */
  get busy(): boolean {
    return !this.#abandoned && (this.#pending > 0 || this.#committing > 0);
  }

  add(offset: string, key: string | null, process: Process): void {
    const entry: Entry = { offset: BigInt(offset), done: false };
    this.#entries.push(entry);
    this.#pending += 1;
    const live = (): boolean => !this.#abandoned;
    const previous = key === null ? undefined : this.#lines.get(key);
    const line = (async () => {
      if (previous !== undefined) await previous;
      if (!live()) return;
      await this.#slots.acquire();
      try {
        if (!live()) return;
        entry.done = await process(live);
      } finally {
        this.#slots.release();
      }
      if (entry.done) this.#advance();
    })()
      .catch((error: unknown) => this.#hooks.failed(offset, error))
      .finally(() => {
        this.#pending -= 1;
        this.#wake();
      });
    if (key !== null) this.#lines.set(key, line);
  }

  /** Resolves once fewer than `limit` messages are pending (or the pipeline was abandoned). */
  async below(limit: number): Promise<void> {
    while (this.#pending >= limit && !this.#abandoned) await new Promise<void>((resolve) => this.#waiters.add(resolve));
  }

  /** The partition is no longer ours: start nothing more, commit nothing more. */
  abandon(): void {
    this.#abandoned = true;
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  #advance(): void {
    let last: Entry | undefined;
    while (this.#entries[0]?.done === true) last = this.#entries.shift();
    if (last === undefined || this.#abandoned) return;
    const next = (last.offset + 1n).toString();
    this.#committing += 1;
    this.#commits = this.#commits
      .then(() => (this.#abandoned ? undefined : this.#hooks.commit(next)))
      .catch(() => {})
      .finally(() => {
        this.#committing -= 1;
      });
  }
}
