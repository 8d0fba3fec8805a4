import { SagaError, isSagaErrorNamed } from '@saga/core';

/**
 * A stream that was deleted on the server, which the store refuses to read or append to:
 * - `'tombstoned'` (hard delete): the server refuses both for ever;
 * - `'soft-deleted'`: the server hides the events before the delete, and an append that expects no
 *   stream continues at the old revisions (not from 0). A history with its start cut off cannot be
 *   folded into the execution it was, so the store refuses it rather than start a second one on top.
 * Not retried: the stream stays deleted.
 */
export class DeletedStreamError extends SagaError {
  constructor(
    readonly stream: string,
    readonly deletion: 'tombstoned' | 'soft-deleted',
    /** For a soft-deleted stream: the first revision the server still shows. */
    readonly firstRevision?: number,
    options?: ErrorOptions,
  ) {
    super(
      deletion === 'tombstoned'
        ? `Stream '${stream}' was deleted for good on the server (a tombstone): it can be neither read nor written. Start a new execution (another stream) instead.`
        : `Stream '${stream}' was deleted on the server (a soft delete): its events before revision ${String(firstRevision)} are gone, and the store does not fold or extend a history that does not start at revision 0. ` +
            'Start a new execution (another stream) instead.',
      options,
    );
  }
}

/** Recognises the error even when two copies of this package are loaded. */
export const isDeletedStreamError = (error: unknown): error is DeletedStreamError => isSagaErrorNamed<DeletedStreamError>(error, 'DeletedStreamError');
