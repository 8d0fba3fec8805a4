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

/**
 * JSON lengths of user data (contexts, payloads, errors), measured once per object: states share them
 * (a step that leaves the context as it is passes on the same frozen object), and measuring the whole
 * execution again after every append cost 2–3 % of a worker's CPU.
 */
const measured = new WeakMap<object, number>();
const jsonLength = (value: unknown): number => {
  if (value === undefined) return 0;
  if (value === null || typeof value !== 'object') return JSON.stringify(value).length;
  let length = measured.get(value);
  if (length === undefined) {
    length = JSON.stringify(value).length;
    measured.set(value, length);
  }
  return length;
};

/** About what the entries of the state's lists take as JSON, besides their user data (measured on folded histories). */
const bytesPer = { step: 60, path: 8, timer: 140, vote: 80, request: 160, parallel: 60, child: 200 } as const;
/** The execution's own fields (id, definition, status, times…). */
const base = 600;

/**
 * The size of an execution as JSON, estimated: its user data measured, its structure counted. What
 * it costs to keep, give or take the object overhead (`executionCache.unit.spec.ts` holds the estimate
 * to the real JSON size).
 */
export const sizeOf = (execution: SagaExecution): number => {
  let bytes = base + jsonLength(execution.context) + jsonLength(execution.error);
  const { compensation, transaction } = execution;
  bytes += (execution.completedSteps.length + compensation.plan.length + compensation.done.length) * bytesPer.path;
  bytes += execution.timers.length * bytesPer.timer + transaction.votes.length * bytesPer.vote;
  for (const step of execution.steps) bytes += bytesPer.step + jsonLength(step.error);
  // With one request pending it is in the JSON twice (`pendingRequest` too).
  const requestCopies = execution.pendingRequests.length === 1 ? 2 : 1;
  for (const request of execution.pendingRequests) bytes += requestCopies * (bytesPer.request + jsonLength(request.payload));
  for (const parallel of execution.parallelSteps) {
    bytes += bytesPer.parallel + jsonLength(parallel.start);
    for (const branch of parallel.branches) bytes += jsonLength(branch);
  }
  for (const child of execution.pendingChildren) bytes += bytesPer.child + jsonLength(child.context);
  return bytes;
};

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
