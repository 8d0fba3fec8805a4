import { SagaError } from '@saga/definitions';

/**
 * One thing wrong with a stored event, as data. `path` is where in the stored event: `revision`,
 * `type`, or a field of its data (`data.kind`, `data.votes[0].requestId`; `data` for the data as a
 * whole). `expected` describes what fits there (`string`, `200 | 400 | 500`, `object`), `actual` is
 * what was found, as short JSON (`undefined` when the field is missing).
 */
export interface HistoryProblem {
  readonly path: string;
  readonly expected: string;
  readonly actual: string;
}

/**
 * A stream that cannot be folded: an event does not decode, or the events are out of order. The
 * engine writes nothing to such a stream; an operator must inspect it (`saga verify`). `reason`
 * says it for a person; `problems` says it for a program, one entry per wrong field.
 */
export class CorruptedHistoryError extends SagaError {
  constructor(
    readonly stream: string,
    readonly revision: number,
    readonly reason: string,
    readonly problems: readonly HistoryProblem[] = [],
  ) {
    super(
      `The history of '${stream}' is corrupted at revision ${revision}: ${reason}. ` +
        'Nothing was written to it. Inspect it with `saga history` / `saga verify` and repair or archive the stream.',
    );
  }
}
