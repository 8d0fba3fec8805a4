import { SagaError } from '@saga/definitions';

/**
 * A stream that cannot be folded: an event does not decode, or the events are out of order. The
 * engine writes nothing to such a stream; an operator must inspect it (`saga verify`).
 */
export class CorruptedHistoryError extends SagaError {
  constructor(
    readonly stream: string,
    readonly revision: number,
    readonly reason: string,
  ) {
    super(
      `The history of '${stream}' is corrupted at revision ${revision}: ${reason}. ` +
        'Nothing was written to it. Inspect it with `saga history` / `saga verify` and repair or archive the stream.',
    );
  }
}
