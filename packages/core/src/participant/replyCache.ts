/**
 * Remembers the outcome of recent requests by id, so a redelivered or re-sent request gets the same
 * reply without running the handler again. Bounded: the oldest entries go first, and `forgetBefore`
 * drops those recorded before a time (the in-memory inbox's retention).
 */
export class ReplyCache<T> {
  readonly #entries = new Map<string, { readonly value: Promise<T>; readonly at: number }>();

  constructor(
    private readonly capacity = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Runs `produce` once per key; concurrent and later calls with the same key share its result. */
  async once(key: string, produce: () => Promise<T>): Promise<{ value: T; duplicate: boolean }> {
    const known = this.#entries.get(key);
    if (known) return { value: await known.value, duplicate: true };
    const pending = produce();
    const entry = { value: pending, at: this.now() };
    this.#entries.set(key, entry);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    try {
      return { value: await pending, duplicate: false };
    } catch (error) {
      // A failure that escaped (e.g. the reply could not be built) must not be cached: retry it.
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      throw error;
    }
  }

  /** Forgets the entries recorded before `time` (ms since the epoch); returns how many. */
  forgetBefore(time: number): number {
    let forgotten = 0;
    // Insertion order is recording order, so the walk stops at the first entry to keep.
    for (const [key, entry] of this.#entries) {
      if (entry.at >= time) break;
      this.#entries.delete(key);
      forgotten += 1;
    }
    return forgotten;
  }
}
