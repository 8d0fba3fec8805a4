/**
 * `saga tail`: a live feed of the events appended to any execution. It follows the store's global
 * order through the process's one `StoreFeed` (one store listener, one reader, however many
 * executions run): events are printed in the order the store gave them, from the moment tail
 * started.
 */
import type { Command } from 'commander';
import { StoreFeed, type Logger } from '@saga/core';
import type { Io } from '../io.js';
import { eventPrinter } from '../format/tailLine.js';
import { describeStore } from '../store/storeLocation.js';
import type { CommandContext } from './commandContext.js';
import { wholeNumber } from './parseNumber.js';

/** The feed's warnings (a read that failed; it reads again) on stderr, until tail stops. */
const feedLogger = (io: Io, stopped: () => boolean): Logger => {
  const say = (fields: Record<string, unknown>, message: string) => {
    if (!stopped()) io.err(io.style.red(`saga tail: ${message}${typeof fields.error === 'string' ? `: ${fields.error}` : ''}`));
  };
  return { debug: () => undefined, info: () => undefined, warn: say, error: say };
};

/** Resolves on Ctrl-C (or SIGTERM); until then a timer keeps the process alive (the feed's poller does not). */
const untilInterrupted = (): Promise<void> =>
  new Promise((resolve) => {
    const alive = setInterval(() => undefined, 60_000);
    const stop = () => {
      clearInterval(alive);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

export const registerTail = (program: Command, context: CommandContext): void => {
  program
    .command('tail')
    .description('print events as they are appended to any execution, until Ctrl-C')
    .option('--interval <ms>', 'how often to read the store when it cannot announce appends (another process on a SQLite file)', wholeNumber('--interval', 50), 1_000)
    .action(async (options: { readonly interval: number }, command: Command) => {
      const io = context.io(command);
      await context.withStore(command, async (store, location) => {
        let stopped = false;
        const feed = StoreFeed.of(store, { pollMs: options.interval, logger: feedLogger(io, () => stopped) });
        const unsubscribe = await feed.subscribeAll(eventPrinter(io));
        io.err(io.style.dim(`Following every execution in ${describeStore(location)} from its newest event on; Ctrl-C to stop.`));
        try {
          await untilInterrupted();
        } finally {
          stopped = true;
          unsubscribe();
        }
      });
    });
};
