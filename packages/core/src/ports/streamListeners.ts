import type { StreamListener, Unsubscribe } from './eventStore.js';

export interface StreamListenersOptions {
  /**
   * Called when `stream` gets its first listener (an adapter starts watching the server here).
   * Returns the last revision the new listeners count as known, if the adapter knows it: then only
   * later revisions are announced. Default: none, so the next revision announced is told.
   */
  readonly onFirstListener?: (stream: string) => number | void;
  /** Called when the last listener of `stream` unsubscribed (an adapter stops watching the server here). */
  readonly onLastListener?: (stream: string) => void;
}

interface Watched {
  readonly listeners: Set<StreamListener>;
  /** The last revision the listeners were told about (-1: none yet); notices never go backwards. */
  lastNotified: number;
}

/**
 * The listeners of each watched stream in one process, the part of `EventStore.watch` that every
 * adapter shares: how an adapter learns that a stream grew (its own appends, LISTEN/NOTIFY, a server
 * subscription, polling) is its own, and it reports each revision it learns of to `notify`.
 *
 * Listeners are told each new last revision once, in order, and never a revision they already know,
 * however many paths report it.
 */
export class StreamListeners {
  readonly #options: StreamListenersOptions;
  readonly #watched = new Map<string, Watched>();

  constructor(options: StreamListenersOptions = {}) {
    this.#options = options;
  }

  /** How many streams have listeners. */
  get size(): number {
    return this.#watched.size;
  }

  /** The streams that have listeners. */
  streams(): string[] {
    return [...this.#watched.keys()];
  }

  add(stream: string, listener: StreamListener): Unsubscribe {
    let watched = this.#watched.get(stream);
    if (watched === undefined) {
      const known = this.#options.onFirstListener?.(stream);
      watched = { listeners: new Set(), lastNotified: typeof known === 'number' ? known : -1 };
      this.#watched.set(stream, watched);
    }
    // A wrapper, so the same function can watch twice and each unsubscribe removes only its own.
    const entry: StreamListener = (lastRevision) => listener(lastRevision);
    watched.listeners.add(entry);
    return () => {
      const current = this.#watched.get(stream);
      if (current === undefined || !current.listeners.delete(entry) || current.listeners.size > 0) return;
      this.#watched.delete(stream);
      this.#options.onLastListener?.(stream);
    };
  }

  /** Tells the listeners of `stream` that it reached `lastRevision`, unless they know already. */
  notify(stream: string, lastRevision: number): void {
    const watched = this.#watched.get(stream);
    if (watched === undefined || lastRevision <= watched.lastNotified) return;
    watched.lastNotified = lastRevision;
    for (const listener of [...watched.listeners]) {
      try {
        listener(lastRevision);
      } catch {
        // The append is stored; a listener's failure must not reach the writer or other listeners.
      }
    }
  }

  /** Forgets every listener, without calling `onLastListener` (the adapter is closing). */
  clear(): void {
    this.#watched.clear();
  }
}
