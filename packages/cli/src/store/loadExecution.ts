/**
 * Reads one execution the way an operator names it: a full id, a stream name (`saga-…`), or the
 * first characters of an id when they are unique. A stream that stops decoding is still shown up
 * to the last good revision, with the reason, because that is exactly when someone needs to look.
 */
import {
  executionIdOf,
  executionStream,
  fold,
  tryDecodeHistory,
  type CorruptedHistoryError,
  type EventStore,
  type RecordedEvent,
  type RecordedSagaEvent,
  type SagaExecution,
} from '@saga/core';
import { CliError, UsageError } from '../cliError.js';
import { describeStore, type StoreLocation } from './storeLocation.js';

export interface LoadedExecution {
  readonly id: string;
  readonly stream: string;
  /** Every event as stored, decodable or not. */
  readonly stored: readonly RecordedEvent[];
  /** The decoded events: all of them, or those before the first that does not decode. */
  readonly events: readonly RecordedSagaEvent[];
  /** The fold of `events`. */
  readonly execution: SagaExecution;
  /** Set when the stream does not decode from some revision on. */
  readonly corruption?: CorruptedHistoryError;
}

export interface DecodedPrefix {
  readonly events: RecordedSagaEvent[];
  readonly corruption?: CorruptedHistoryError;
}

/**
 * Decodes as much of a stream as decodes: the good prefix, and the error that stopped it. The
 * error's `reason` is already written for people and its `problems` say the same as data (each
 * wrong field's path, what fits there and what was found), so nothing here parses text.
 */
export const decodePrefix = (stored: readonly RecordedEvent[], stream: string): DecodedPrefix => {
  const history = tryDecodeHistory(stored, stream);
  return history.ok ? { events: history.events } : { events: history.decoded, corruption: history.error };
};

const idPattern = /^[\w.:-]+$/;
const maxCandidates = 10;

/** The execution id an argument names; fails with what to do when it names none or several. */
export const resolveExecutionId = async (store: EventStore, argument: string, location: StoreLocation): Promise<string> => {
  const wanted = argument.trim().startsWith('saga-') ? executionIdOf(argument.trim()) : argument.trim();
  if (wanted === '' || !idPattern.test(wanted)) {
    throw new UsageError(`'${argument}' is not an execution id: ids look like 3f2a9c1e-…; \`saga list\` shows them.`);
  }
  if ((await store.read(executionStream(wanted))).length > 0) return wanted;
  const page = await store.listStreams({ prefix: executionStream(wanted), limit: maxCandidates + 1 });
  const candidates = page.streams.map((summary) => executionIdOf(summary.stream));
  if (candidates.length === 1 && candidates[0] !== undefined) return candidates[0];
  if (candidates.length > 1) {
    const shown = candidates.slice(0, maxCandidates).map((id) => `  ${id}`).join('\n');
    throw new UsageError(
      `'${argument}' is the start of ${candidates.length > maxCandidates ? `more than ${maxCandidates}` : candidates.length} execution ids; type more of it:\n${shown}`,
    );
  }
  const indexed = await store.index.get(wanted);
  if (indexed) {
    throw new CliError(
      `Execution ${wanted} is in the index of the store ${describeStore(location)} (${indexed.definitionName}@${indexed.definitionVersion}, ${indexed.status}, ` +
        `started ${indexed.startedAt}) but its stream ${executionStream(wanted)} does not exist: the index is out of step with the streams. ` +
        '`saga verify --all` reports every such entry; `saga verify --all --rebuild-index` removes them.',
    );
  }
  throw new CliError(
    `No execution '${argument}' in the store ${describeStore(location)}. ` +
      '`saga list` shows the executions this store holds; if it was started elsewhere, point --store or SAGA_STORE_URL at that store.',
  );
};

const loaded = (id: string, stored: readonly RecordedEvent[]): LoadedExecution => {
  const stream = executionStream(id);
  const { events, corruption } = decodePrefix(stored, stream);
  return { id, stream, stored, events, execution: fold(events), ...(corruption ? { corruption } : {}) };
};

export const readExecution = async (store: EventStore, id: string): Promise<LoadedExecution> =>
  loaded(id, await store.read(executionStream(id)));

export const loadExecution = async (store: EventStore, argument: string, location: StoreLocation): Promise<LoadedExecution> => {
  const trimmed = argument.trim();
  const direct = trimmed.startsWith('saga-') ? executionIdOf(trimmed) : trimmed;
  // The common case, a full id, costs one read; only a partial id pays for the lookup.
  const stored = idPattern.test(direct) ? await store.read(executionStream(direct)) : [];
  if (stored.length > 0) return loaded(direct, stored);
  return readExecution(store, await resolveExecutionId(store, argument, location));
};

/** The message for a stream that stops decoding: which revision, why, and what still can be done. */
export const corruptionNotice = (loaded: LoadedExecution, command?: 'history'): string | undefined => {
  const { corruption } = loaded;
  if (!corruption) return undefined;
  const shown = loaded.events.length === 0 ? 'Nothing can be folded' : `What is shown is the execution at revision ${loaded.events.length - 1}, the last revision that decodes`;
  const next =
    command === 'history'
      ? `\`saga verify ${loaded.id}\` checks the rest.`
      : `\`saga history ${loaded.id}\` lists every stored event and \`saga verify ${loaded.id}\` checks the rest.`;
  return (
    `The history of execution ${loaded.id} does not decode at revision ${corruption.revision}: ${corruption.reason}. ` +
    `${shown}. The engine will not continue this execution; ${next}`
  );
};
