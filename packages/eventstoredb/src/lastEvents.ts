/**
 * The last event seen per stream (revision and id), from this process's reads and appends, so the
 * next append can name its cause without asking the server. Bounded: the least recently used
 * streams are forgotten first.
 */
export class LastEvents {
  readonly #capacity: number;
  readonly #byStream = new Map<string, { readonly revision: number; readonly id: string }>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  remember(stream: string, revision: number, id: string): void {
    this.#byStream.delete(stream);
    this.#byStream.set(stream, { revision, id });
    if (this.#byStream.size > this.#capacity) {
      const oldest = this.#byStream.keys().next();
      if (oldest.done !== true) this.#byStream.delete(oldest.value);
    }
  }

  /** The id of the stream's event at `revision`, if that is the last one seen. */
  at(stream: string, revision: number): string | undefined {
    const last = this.#byStream.get(stream);
    return last !== undefined && last.revision === revision ? last.id : undefined;
  }
}
