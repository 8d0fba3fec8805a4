/** Opens the store a command reads, with errors that say which store, from where, and what to try. */
import { existsSync } from 'node:fs';
import { redactUrl, storeFromUrl, type EventStore } from '@saga/core';
import { CliError } from '../cliError.js';
import { adapterImporter } from './adapterImport.js';
import { describeStore, type StoreLocation } from './storeLocation.js';

// A server that never answers must not leave an operator staring at a silent terminal.
const connectTimeoutMs = Number(process.env.SAGA_CLI_CONNECT_TIMEOUT_MS ?? 15_000);

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const createStore = async (location: StoreLocation): Promise<EventStore> => {
  const adapters = adapterImporter();
  try {
    return await storeFromUrl(location.url, `The store ${describeStore(location)}`, { importAdapter: adapters.importAdapter });
  } catch (error) {
    throw adapters.explain(error);
  }
};

/** SQLite creates a missing file on open: for a read-only tool, a typo must be an error, not an empty store. */
const assertFileExists = (store: EventStore, location: StoreLocation): void => {
  const filename = (store as { filename?: unknown }).filename;
  if (typeof filename !== 'string' || filename === '' || filename === ':memory:' || existsSync(filename)) return;
  if (location.source === 'the embedded default') {
    throw new CliError(
      `There is no event store here: ${filename} does not exist (the embedded default is .saga/saga.db in the current directory, or $SAGA_HOME/saga.db). ` +
        'Run saga in the folder where the application keeps its store, set SAGA_STORE_URL, or pass --store sqlite:/path/to/saga.db.',
    );
  }
  throw new CliError(
    `There is no event store at ${filename}: the file does not exist (${location.source} is ${redactUrl(location.url)}). ` +
      'Check the path (a relative one is read from the current directory).',
  );
};

const withTimeout = async <T>(work: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(`${what} did not answer within ${ms} ms.`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

export const openStore = async (location: StoreLocation): Promise<EventStore> => {
  let store: EventStore;
  try {
    store = await createStore(location);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`Cannot use the store ${describeStore(location)}: ${messageOf(error)}`);
  }
  assertFileExists(store, location);
  try {
    await withTimeout(store.setup(), connectTimeoutMs, `The store ${describeStore(location)}`);
  } catch (error) {
    await store.destroy().catch(() => undefined);
    // The adapters' own messages already say what to check; the CLI adds which store, and from where.
    throw new CliError(`Cannot reach the store ${describeStore(location)}: ${messageOf(error)}`);
  }
  return store;
};

/** Runs `work` with the store open, and always closes it (a pool left open keeps the process alive). */
export const withStore = async <T>(location: StoreLocation, work: (store: EventStore) => Promise<T>): Promise<T> => {
  const store = await openStore(location);
  try {
    return await work(store);
  } finally {
    await store.destroy().catch(() => undefined);
  }
};
