/**
 * One subscription to a store's global order per process, fanned out in the process: every `run`
 * waiting in memory, the CLI's `tail` and projections listen here, so 10,000 waiting runs hold one
 * store listener and one reader, not 10,000 stream watches.
 *
 * The feed reads `readAll` from where it was whenever the store says something was appended
 * (`onAppended`), and every `pollMs` as well, for appends the store cannot tell about (another
 * process on the same SQLite file). Listeners get the events of their stream in revision order.
 *
 * Reading is what the feed costs: it reads back every event the store takes, this process's own
 * included. So it reads only while someone attends: a whole-store listener, a stream listener, or a
 * stream watch (`watch`) whose holder now waits. A `run` watches its execution before its first
 * decision (so that the feed's position precedes anything appended for it) and attends only if that
 * decision leaves it waiting; most runs of local steps never do. While nobody attends, notices are
 * not read, and every `pollMs` the feed moves its position to the store's head instead of reading up
 * to it; the watches it passed over are told so when they attend, and read their stream once.
 */
import type { EventStore, GlobalEvent, GlobalPosition, Unsubscribe } from '../ports/eventStore.js';
import type { Logger } from '../ports/logger.js';

export type FeedListener = (events: readonly GlobalEvent[]) => void;

/** A stream listener that keeps the feed positioned for its stream, without making it read until it attends. */
export interface StreamWatch {
  /**
   * From now on the feed reads as appends are heard (and reads what it has not yet). True when the
   * feed passed over part of the store meanwhile: events of the stream may have been missed, so the
   * holder reads the stream once.
   */
  attend(): boolean;
  readonly stop: Unsubscribe;
}

interface StreamEntry {
  readonly deliver: FeedListener;
  attending: boolean;
  /** The feed moved past events without reading them while this entry was not attending. */
  passedOver: boolean;
}

export interface StoreFeedOptions {
  /** How often to read even without a notice from the store. Default 1000 ms. */
  readonly pollMs?: number;
  /** Events per read. Default 500. */
  readonly batchSize?: number;
  /**
   * How long a notice waits before the feed reads, so that the appends of that time are read at once.
   * A run waiting in this process hears its own worker's decisions directly (not through the feed);
   * the feed matters for decisions of other processes, which it delivers this much later. Default 20 ms.
   */
  readonly coalesceMs?: number;
  /**
   * How long the feed keeps its store listener after its last listener left, so that runs one
   * after another do not each start and stop it. Default 5000 ms.
   */
  readonly lingerMs?: number;
  readonly logger?: Logger;
}

const feeds = new WeakMap<EventStore, StoreFeed>();

export class StoreFeed {
  readonly #store: EventStore;
  readonly #pollMs: number;
  readonly #batchSize: number;
  readonly #lingerMs: number;
  readonly #coalesceMs: number;
  #scheduled: ReturnType<typeof setTimeout> | undefined;
  #lingering: ReturnType<typeof setTimeout> | undefined;
  readonly #logger: Logger | undefined;
  readonly #byStream = new Map<string, Set<StreamEntry>>();
  /** Stream entries that attend (every `subscribe`, and each `watch` once it attends). */
  #attending = 0;
  #skipping = false;
  readonly #all = new Set<FeedListener>();
  #position: GlobalPosition | undefined;
  #positioned = false;
  /** Resolves once the feed knows where the store's head was when it started. */
  #started: Promise<void> | undefined;
  #stopStore: Unsubscribe | undefined;
  #poller: ReturnType<typeof setInterval> | undefined;
  #reading: Promise<void> | undefined;
  #again = false;

  /** The feed of `store` in this process (made on first use). */
  static of(store: EventStore, options: StoreFeedOptions = {}): StoreFeed {
    let feed = feeds.get(store);
    if (!feed) {
      feed = new StoreFeed(store, options);
      feeds.set(store, feed);
    }
    return feed;
  }

  private constructor(store: EventStore, options: StoreFeedOptions) {
    this.#store = store;
    this.#pollMs = options.pollMs ?? 1_000;
    this.#batchSize = options.batchSize ?? 500;
    this.#lingerMs = options.lingerMs ?? 5_000;
    this.#coalesceMs = options.coalesceMs ?? 20;
    this.#logger = options.logger;
  }

  /** How many listeners the feed serves now (streams and whole-store listeners). */
  get listenerCount(): number {
    let count = this.#all.size;
    for (const listeners of this.#byStream.values()) count += listeners.size;
    return count;
  }

  /** True while the feed holds its one store listener. */
  get active(): boolean {
    return this.#stopStore !== undefined;
  }

  /**
   * Listens to one stream's new events. Resolves once the feed is positioned: every event appended
   * after that is delivered (an event appended before may be too; listeners skip what they know).
   */
  async subscribe(stream: string, listener: FeedListener): Promise<Unsubscribe> {
    const { stop } = await this.#add(stream, listener, true);
    return stop;
  }

  /**
   * Listens to one stream's new events, but lets the feed rest until `attend()`: see the top of this
   * file. Resolves once the feed is positioned, like `subscribe`.
   */
  async watch(stream: string, listener: FeedListener): Promise<StreamWatch> {
    const { entry, stop } = await this.#add(stream, listener, false);
    return {
      stop,
      attend: () => {
        if (!entry.attending && this.#byStream.get(stream)?.has(entry)) {
          entry.attending = true;
          this.#attending += 1;
          this.poke();
        }
        return entry.passedOver;
      },
    };
  }

  async #add(stream: string, listener: FeedListener, attending: boolean): Promise<{ entry: StreamEntry; stop: Unsubscribe }> {
    let entries = this.#byStream.get(stream);
    if (!entries) {
      entries = new Set();
      this.#byStream.set(stream, entries);
    }
    const entry: StreamEntry = { deliver: (events) => listener(events), attending, passedOver: false };
    entries.add(entry);
    if (attending) this.#attending += 1;
    const stop = () => {
      const current = this.#byStream.get(stream);
      if (!current?.delete(entry)) return;
      if (entry.attending) this.#attending -= 1;
      if (current.size === 0) this.#byStream.delete(stream);
      this.#stopWhenIdle();
    };
    try {
      await this.#start();
    } catch (error) {
      stop();
      throw error;
    }
    return { entry, stop };
  }

  /** Whether anyone needs events delivered as they are appended (else reading can wait). */
  #anyoneAttends(): boolean {
    return this.#attending > 0 || this.#all.size > 0;
  }

  /** Listens to every event of the store from now on. */
  async subscribeAll(listener: FeedListener): Promise<Unsubscribe> {
    const entry: FeedListener = (events) => listener(events);
    this.#all.add(entry);
    const unsubscribe = () => {
      if (this.#all.delete(entry)) this.#stopWhenIdle();
    };
    try {
      await this.#start();
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  /** Reads what was appended since the last read, after `coalesceMs` (with the notices of that time). */
  poke(): void {
    if (this.#coalesceMs <= 0) return this.#read();
    if (this.#scheduled) return;
    this.#scheduled = setTimeout(() => {
      this.#scheduled = undefined;
      this.#read();
    }, this.#coalesceMs);
    this.#scheduled.unref();
  }

  #read(): void {
    // Before the head is known there is no position to read from (reading would start at the
    // beginning of the store); the start reads once it is known.
    if (!this.#stopStore || !this.#positioned) return;
    // Nobody waits on what a read would deliver: the position stays, and the next poll skips ahead.
    if (!this.#anyoneAttends()) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = this.#readUntilCaughtUp().finally(() => {
      this.#reading = undefined;
      if (this.#again) {
        this.#again = false;
        this.#read();
      }
    });
  }

  #start(): Promise<void> {
    if (this.#lingering) clearTimeout(this.#lingering);
    this.#lingering = undefined;
    this.#started ??= (async () => {
      this.#stopStore = this.#store.onAppended(() => this.poke());
      try {
        this.#position = await this.#store.headPosition();
        this.#positioned = true;
      } catch (error) {
        this.#stopStore();
        this.#stopStore = undefined;
        this.#started = undefined;
        throw error;
      }
      if (this.#pollMs > 0) {
        this.#poller = setInterval(() => (this.#anyoneAttends() ? this.poke() : void this.#skipAhead()), this.#pollMs);
        this.#poller.unref();
      }
    })();
    return this.#started;
  }

  #stopWhenIdle(): void {
    if (this.#byStream.size > 0 || this.#all.size > 0 || !this.#started || this.#lingering) return;
    this.#lingering = setTimeout(() => {
      this.#lingering = undefined;
      if (this.#byStream.size === 0 && this.#all.size === 0) this.stop();
    }, this.#lingerMs);
    this.#lingering.unref();
  }

  /** Lets go of the store now (its owner is closing it); a later subscribe starts again. */
  stop(): void {
    // Whoever still watches may miss what is appended until the feed is positioned again.
    for (const entries of this.#byStream.values()) for (const entry of entries) entry.passedOver = true;
    if (this.#scheduled) clearTimeout(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#lingering) clearTimeout(this.#lingering);
    this.#lingering = undefined;
    this.#stopStore?.();
    this.#stopStore = undefined;
    if (this.#poller) clearInterval(this.#poller);
    this.#poller = undefined;
    this.#started = undefined;
    this.#position = undefined;
    this.#positioned = false;
  }

  /**
   * While nobody attends: moves the position to the store's head without reading up to it, and
   * marks the watches that were there as passed over (each reads its stream once, if it attends).
   * One cheap query per `pollMs`, where reading would bring back every event appended meanwhile.
   */
  async #skipAhead(): Promise<void> {
    if (this.#skipping || this.#reading || !this.#positioned) return;
    this.#skipping = true;
    try {
      const head = await this.#store.headPosition();
      if (!this.#stopStore || !this.#positioned) return;
      // Someone attended meanwhile: read instead (nothing is passed over).
      if (this.#anyoneAttends()) return this.poke();
      for (const entries of this.#byStream.values()) for (const entry of entries) entry.passedOver = true;
      this.#position = head;
    } catch (error) {
      // As after a failed read: nobody listens (the store may be closed under a lingering feed), let go quietly.
      if (this.#byStream.size === 0 && this.#all.size === 0) return this.stop();
      this.#logger?.warn({ error: error instanceof Error ? error.message : String(error) }, 'The store feed could not read the head of the store; it tries again');
    } finally {
      this.#skipping = false;
    }
  }

  async #readUntilCaughtUp(): Promise<void> {
    try {
      for (;;) {
        const page = await this.#store.readAll({ ...(this.#position === undefined ? {} : { after: this.#position }), limit: this.#batchSize });
        if (!this.#stopStore) return;
        if (page.position !== undefined) this.#position = page.position;
        if (page.events.length === 0) return;
        this.#deliver(page.events);
        if (page.events.length < this.#batchSize) return;
      }
    } catch (error) {
      // Nobody listens (the store may be closed under a lingering feed): let go quietly.
      if (this.#byStream.size === 0 && this.#all.size === 0) return this.stop();
      // The next notice or poll reads again from the same position: nothing is skipped.
      this.#logger?.warn({ error: error instanceof Error ? error.message : String(error) }, 'The store feed could not read; it tries again');
    }
  }

  #deliver(events: readonly GlobalEvent[]): void {
    const byStream = new Map<string, GlobalEvent[]>();
    for (const event of events) {
      if (!this.#byStream.has(event.stream)) continue;
      const list = byStream.get(event.stream);
      if (list) list.push(event);
      else byStream.set(event.stream, [event]);
    }
    for (const [stream, list] of byStream) for (const entry of this.#byStream.get(stream) ?? []) safely(entry.deliver, list, this.#logger);
    for (const listener of this.#all) safely(listener, events, this.#logger);
  }
}

const safely = (listener: FeedListener, events: readonly GlobalEvent[], logger: Logger | undefined): void => {
  try {
    listener(events);
  } catch (error) {
    logger?.error({ error: error instanceof Error ? error.message : String(error) }, 'A store feed listener threw');
  }
};
