/**
 * What an execution must be for an operation to apply to it, in one place: the client throws the
 * refusal's error before doing anything, and `decide` (which may run again on a newer state after a
 * conflict) ignores the input with the same reason.
 */
import type { SagaError } from '@saga/definitions';
import type { SagaExecution } from '@saga/execution';
import { InvalidRunOptionsError, SagaAlreadyExecutedError } from '../errors/runErrors.js';
import { isAwaiting } from './nextAction.js';

export interface Refusal {
  /** For the log, when `decide` ignores the input. */
  readonly reason: string;
  /** For the caller. */
  readonly error: SagaError;
}

const decided = (execution: SagaExecution): string | undefined => {
  const { status } = execution.transaction;
  return status === 'committed' || status === 'rejected' || status === 'reserving' ? status : undefined;
};

export const refuseCommit = (execution: SagaExecution): Refusal | undefined => {
  const transaction = decided(execution);
  if (transaction) return { reason: `the transaction is already ${transaction}`, error: new SagaAlreadyExecutedError(execution.id, `transaction ${transaction}`, 'committed') };
  if (execution.status !== 'finished') {
    return { reason: 'only a finished execution can be committed', error: new SagaAlreadyExecutedError(execution.id, execution.status, 'committed (only finished executions can be)') };
  }
  return undefined;
};

export const refuseReject = (execution: SagaExecution): Refusal | undefined => {
  if (execution.phase !== 'ended') {
    return {
      reason: 'cannot reject while the execution is still running',
      error: new InvalidRunOptionsError(
        `Execution ${execution.id} is still ${execution.status}: reject() applies once it has ended (run with autocommit: false). Wait for it, or let it compensate.`,
      ),
    };
  }
  const transaction = decided(execution);
  if (transaction) return { reason: `the transaction is already ${transaction}`, error: new SagaAlreadyExecutedError(execution.id, `transaction ${transaction}`, 'rejected') };
  return undefined;
};

export const refuseResume = (execution: SagaExecution): Refusal | undefined =>
  execution.compensation.failed
    ? undefined
    : {
        reason: 'nothing to resume: no compensation has failed',
        error: new SagaAlreadyExecutedError(execution.id, execution.status, 'resumed (only an execution whose compensation failed can be)'),
      };

/** A reply given to `run({ response })`: the execution must still be waiting for something. */
export const refuseContinue = (execution: SagaExecution): Refusal | undefined =>
  execution.phase === 'ended' && !isAwaiting(execution)
    ? { reason: `the execution is ${execution.status}`, error: new SagaAlreadyExecutedError(execution.id, execution.status) }
    : undefined;

/**
 * A cancel applies to an execution still running forward or paused on a reply. One that ended
 * because it was cancelled takes a second cancel harmlessly (nothing is recorded); any other ended
 * execution is refused.
 */
export const refuseCancel = (execution: SagaExecution): Refusal | undefined =>
  execution.phase === 'ended' && !execution.cancellation
    ? {
        reason: `the execution already ended (${execution.status})`,
        error: new SagaAlreadyExecutedError(execution.id, execution.status, 'cancelled (only a running or paused execution can be)'),
      }
    : undefined;
