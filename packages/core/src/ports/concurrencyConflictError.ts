import { SagaError, isSagaErrorNamed } from '@saga/definitions';
import type { ExpectedRevision } from './eventStore.js';

/**
 * Another writer appended to the stream first. The engine re-reads, re-folds and decides again;
 * adapters throw exactly this class (not their driver's error) so the engine can recognise it.
 */
export class ConcurrencyConflictError extends SagaError {
  constructor(
    readonly stream: string,
    readonly expectedRevision: ExpectedRevision,
    readonly actualRevision: number | 'no_stream',
  ) {
    super(
      `Stream '${stream}' is at revision ${String(actualRevision)} but the append expected ${String(expectedRevision)}: ` +
        'another writer got there first. Re-read the stream and decide again.',
    );
  }
}

/** Recognises the conflict error even when two copies of @saga/core are loaded. */
export const isConcurrencyConflictError = (error: unknown): error is ConcurrencyConflictError =>
  isSagaErrorNamed<ConcurrencyConflictError>(error, 'ConcurrencyConflictError');
