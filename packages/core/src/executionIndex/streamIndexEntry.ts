/**
 * The index entry an execution's stream gives: read, decode, fold, `indexEntryOf`. What checks and
 * rebuilds of the index compare with, and write.
 */
import { CorruptedHistoryError, decodeHistory, fold } from '@saga/execution';
import type { EventStore, ExecutionIndexEntry } from '../ports/eventStore.js';
import { executionStream } from '../manager/executionStream.js';
import { indexEntryOf } from './indexEntryOf.js';

export type StreamIndexEntry =
  | { readonly kind: 'entry'; readonly entry: ExecutionIndexEntry }
  /** The stream does not decode (or does not fold): where and why. */
  | { readonly kind: 'undecodable'; readonly revision: number; readonly reason: string }
  /** There is no such stream. */
  | { readonly kind: 'absent' };

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const streamIndexEntry = async (store: EventStore, executionId: string): Promise<StreamIndexEntry> => {
  const stream = executionStream(executionId);
  const stored = await store.read(stream);
  if (stored.length === 0) return { kind: 'absent' };
  try {
    const execution = fold(decodeHistory(stored, stream));
    if (execution.id !== executionId) {
      return { kind: 'undecodable', revision: 0, reason: `SagaStarted names execution '${execution.id}', not '${executionId}' (the stream's name)` };
    }
    return { kind: 'entry', entry: indexEntryOf(execution) };
  } catch (error) {
    if (error instanceof CorruptedHistoryError) return { kind: 'undecodable', revision: error.revision, reason: error.reason };
    return { kind: 'undecodable', revision: stored.length - 1, reason: `does not fold: ${messageOf(error)}` };
  }
};
