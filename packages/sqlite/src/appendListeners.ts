/**
 * The `onAppended` listeners of one store. They are told after each append made through that store,
 * once the append has resolved (as a server's notice would arrive), each in its own microtask so that
 * a listener that throws neither fails the append nor silences the others.
 */
import type { AppendListener, Unsubscribe } from '@saga/core';

export class AppendListeners {
  readonly #listeners = new Set<AppendListener>();

  get size(): number {
    return this.#listeners.size;
  }

  /** The same function may listen twice; each unsubscribe removes one of them. */
  add(listener: AppendListener): Unsubscribe {
    const entry: AppendListener = () => listener();
    this.#listeners.add(entry);
    return () => void this.#listeners.delete(entry);
  }

  notify(): void {
    for (const listener of [...this.#listeners]) {
      queueMicrotask(() => {
        try {
          listener();
        } catch {
          // A listener's bug is not the writer's: the append has succeeded.
        }
      });
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
