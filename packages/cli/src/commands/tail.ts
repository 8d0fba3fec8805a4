/**
 * `saga tail`: a live feed of the events appended to any execution. New executions are found by
 * polling the store's stream listing; each stream is then followed with `watch`, and every notice
 * re-reads the stream from the last revision printed, so coalesced or late notices lose nothing.
 */
import type { Command } from 'commander';
import { decodeEvent, executionIdOf, summarizeEvent, type EventStore, type StreamPage, type Unsubscribe } from '@saga/core';
import type { Io } from '../io.js';
import { preciseTime } from '../format/time.js';
import { describeStore } from '../store/storeLocation.js';
import type { CommandContext } from './commandContext.js';
import { wholeNumber } from './parseNumber.js';

interface Followed {
  printed: number;
  unwatch: Unsubscribe;
  /** Reads of one stream run one after another, so no event is printed twice or out of order. */
  queue: Promise<void>;
}

const line = (io: Io, stream: string, stored: Parameters<typeof decodeEvent>[0]): string => {
  const id = executionIdOf(stream).slice(0, 8);
  const head = `${io.style.dim(preciseTime(stored.recordedAt))}  ${io.style.cyan(id)}  #${String(stored.revision).padEnd(3)}`;
  try {
    const event = decodeEvent(stored, stream);
    const { step, summary } = summarizeEvent(event);
    return `${head} ${event.type.padEnd(23)} ${(step ?? '').padEnd(8)} ${summary}`;
  } catch (error) {
    return `${head} ${io.style.red(`${stored.type} ✗ ${error instanceof Error ? error.message : String(error)}`)}`;
  }
};

export class StreamFollower {
  readonly #followed = new Map<string, Followed>();
  /** The cursor of the last page read: new streams are looked for from there, not from the start. */
  #lastPageAfter: string | undefined;
  #stopped = false;

  constructor(
    private readonly store: EventStore,
    private readonly io: Io,
  ) {}

  get size(): number {
    return this.#followed.size;
  }

  /** Lists streams from the last page on; follows the new ones (printing their events if `print`). */
  async discover(print: boolean): Promise<void> {
    let after = this.#lastPageAfter;
    for (;;) {
      const page: StreamPage = await this.store.listStreams({ prefix: 'saga-', limit: 500, ...(after !== undefined ? { after } : {}) });
      for (const summary of page.streams) {
        if (!this.#followed.has(summary.stream)) this.#follow(summary.stream, print ? -1 : summary.lastRevision);
      }
      if (page.nextCursor === undefined) break;
      after = page.nextCursor;
    }
    this.#lastPageAfter = after;
  }

  #follow(stream: string, printed: number): void {
    if (this.#stopped) return;
    const followed: Followed = { printed, unwatch: () => undefined, queue: Promise.resolve() };
    this.#followed.set(stream, followed);
    followed.unwatch = this.store.watch(stream, () => this.#catchUp(stream));
    // Events appended between the listing and the watch would otherwise never be announced.
    this.#catchUp(stream);
  }

  #catchUp(stream: string): void {
    const followed = this.#followed.get(stream);
    if (!followed || this.#stopped) return;
    followed.queue = followed.queue.then(async () => {
      if (this.#stopped) return;
      try {
        const events = await this.store.read(stream, { fromRevision: followed.printed + 1 });
        for (const stored of events) {
          if (stored.revision <= followed.printed) continue;
          this.io.out(line(this.io, stream, stored));
          followed.printed = stored.revision;
        }
      } catch (error) {
        if (!this.#stopped) this.io.err(this.io.style.red(`saga tail: could not read ${stream}: ${error instanceof Error ? error.message : String(error)}`));
      }
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const followed of this.#followed.values()) followed.unwatch();
    await Promise.all([...this.#followed.values()].map((f) => f.queue));
  }
}

export const registerTail = (program: Command, context: CommandContext): void => {
  program
    .command('tail')
    .description('print events as they are appended to any execution, until Ctrl-C')
    .option('--interval <ms>', 'how often to look for new executions', wholeNumber('--interval', 50), 1_000)
    .action(async (options: { readonly interval: number }, command: Command) => {
      const io = context.io(command);
      await context.withStore(command, async (store, location) => {
        const follower = new StreamFollower(store, io);
        await follower.discover(false);
        io.err(io.style.dim(`Following ${follower.size} executions in ${describeStore(location)} and any new one; Ctrl-C to stop.`));
        await new Promise<void>((resolve) => {
          let polling: Promise<void> | undefined;
          const timer = setInterval(() => {
            polling ??= follower
              .discover(true)
              .catch((error: unknown) => io.err(io.style.red(`saga tail: could not list executions: ${error instanceof Error ? error.message : String(error)}`)))
              .finally(() => {
                polling = undefined;
              });
          }, options.interval);
          const stop = () => {
            clearInterval(timer);
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            // The store closes after this: let the listing in flight finish first.
            void Promise.resolve(polling)
              .then(() => follower.stop())
              .then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      });
    });
};
