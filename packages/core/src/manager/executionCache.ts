/**
 * The executions a worker last stored or loaded, so that the next decision on one starts from
 * memory instead of re-reading and re-folding its stream. Bounded by count and by (estimated)
 * bytes, least recently used out first. The store stays the truth: a stale entry only makes the
 * next append conflict, and a conflict drops the entry and re-reads.
 */
import type { SagaExecution } from '@saga/execution';

export interface ExecutionCacheOptions {
  /** At most this many executions. Default 10,000; 0 turns the cache off. */
  readonly maxEntries?: number;
  /** At most about this many bytes of folded state (JSON size). Default 64 MiB. */
  readonly maxBytes?: number;
}

interface Entry {
  readonly execution: SagaExecution;
  readonly bytes: number;
}

/** The size of an execution as JSON, which is what it costs to keep, give or take the object overhead. */
const sizeOf = (execution: SagaExecution): number => JSON.stringify(execution).length;

export class ExecutionCache {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  /** A Map keeps insertion order: re-inserting on use makes its first key the least recently used. */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(options: ExecutionCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(executionId: string): SagaExecution | undefined {
    const entry = this.#entries.get(executionId);
    if (!entry) return undefined;
    this.#entries.delete(executionId);
    this.#entries.set(executionId, entry);
    return entry.execution;
  }

  /** Keeps `execution` unless a newer revision of it is already kept. */
  set(execution: SagaExecution): void {
    if (this.#maxEntries <= 0) return;
    const known = this.#entries.get(execution.id);
    if (known && known.execution.revision > execution.revision) return;
    this.delete(execution.id);
    const bytes = sizeOf(execution);
    if (bytes > this.#maxBytes) return;
    this.#entries.set(execution.id, { execution, bytes });
    this.#bytes += bytes;
    for (const [id, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(id);
      this.#bytes -= entry.bytes;
    }
  }

  delete(executionId: string): void {
    const entry = this.#entries.get(executionId);
    if (!entry) return;
    this.#entries.delete(executionId);
    this.#bytes -= entry.bytes;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
