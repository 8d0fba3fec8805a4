import type { Command } from 'commander';
import type { EventStore } from '@saga/core';
import { processIo, type Io } from '../io.js';
import { withStore } from '../store/openStore.js';
import { resolveStoreLocation, type StoreLocation } from '../store/storeLocation.js';

/** What every command needs from the program: where to write, which store, how to report failure. */
export interface CommandContext {
  /** The io for this invocation (colour decided by the global --no-color). */
  io(command: Command): Io;
  location(command: Command): StoreLocation;
  /** Runs `work` with the store open and closed afterwards. */
  withStore<T>(command: Command, work: (store: EventStore, location: StoreLocation) => Promise<T>): Promise<T>;
  /** The exit code when the command returns normally (1: a problem was found). */
  setExitCode(code: number): void;
}

interface GlobalOptions {
  readonly store?: string;
  readonly color?: boolean;
}

export const createCommandContext = (onExitCode: (code: number) => void): CommandContext => ({
  io: (command) => processIo(command.optsWithGlobals<GlobalOptions>().color),
  location: (command) => resolveStoreLocation(command.optsWithGlobals<GlobalOptions>().store),
  withStore: async (command, work) => {
    const location = resolveStoreLocation(command.optsWithGlobals<GlobalOptions>().store);
    return withStore(location, (store) => work(store, location));
  },
  setExitCode: onExitCode,
});

/** Commander hands an action its arguments, then its options, then the command itself. */
export type Action<A extends unknown[], O> = (...args: [...A, O, Command]) => Promise<void>;
