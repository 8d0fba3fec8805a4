import { SagaError, isSagaErrorNamed } from '@saga/core';

/**
 * The server refused an append bigger than its maximum append size (`MaxAppendSize`: 1 MiB by
 * default up to EventStoreDB 24.10). Not retried: the same append fails the same way until the
 * server's setting is raised or the events are made smaller.
 */
export class AppendTooLargeError extends SagaError {
  constructor(
    readonly stream: string,
    /** The server's limit, in bytes, as it reported it. */
    readonly maxAppendSize: number,
    /** The size of the events as sent (data, metadata, type and id), in bytes. */
    readonly appendSize: number,
    options?: ErrorOptions,
  ) {
    super(
      `Cannot append to stream '${stream}': about ${appendSize} bytes is more than the server's maximum append size of ${maxAppendSize} bytes. ` +
        'Raise the server setting MaxAppendSize (EVENTSTORE_MAX_APPEND_SIZE, or KURRENTDB_MAX_APPEND_SIZE on KurrentDB; up to 16 MiB), ' +
        'or keep large payloads out of the saga context (store them elsewhere and keep a reference).',
      options,
    );
  }
}

/** Recognises the error even when two copies of this package are loaded. */
export const isAppendTooLargeError = (error: unknown): error is AppendTooLargeError => isSagaErrorNamed<AppendTooLargeError>(error, 'AppendTooLargeError');
