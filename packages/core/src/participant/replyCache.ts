/**
 * Remembers the outcome of recent requests by id, so a redelivered or re-sent request gets the same
 * reply without running the handler again. Bounded: the oldest entries go first.
 */
export class ReplyCache<T> {
  readonly #entries = new Map<string, Promise<T>>();
  constructor(private readonly capacity = 10_000) {}

  /** Runs `produce` once per key; concurrent and later calls with the same key share its result. */
  async once(key: string, produce: () => Promise<T>): Promise<{ value: T; duplicate: boolean }> {
    const known = this.#entries.get(key);
    if (known) return { value: await known, duplicate: true };
    const pending = produce();
    this.#entries.set(key, pending);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    try {
      return { value: await pending, duplicate: false };
    } catch (error) {
      // A failure that escaped (e.g. the reply could not be built) must not be cached: retry it.
      this.#entries.delete(key);
      throw error;
    }
  }
}
