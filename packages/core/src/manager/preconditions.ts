/**
 * What an execution must be for an operation to apply to it, in one place: the client throws the
 * refusal's error before doing anything, and `decide` (which may run again on a newer state after a
 * conflict) ignores the input with the same reason.
 */
import type { SagaError } from '@saga/definitions';
import { replay, type RecordedSagaEvent, type SagaExecution } from '@saga/execution';
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

/**
 * Why `events` cannot be forked at `fromRevision`, or undefined when it can: the copy must end at a
 * step boundary (no request pending, no parallel step running, still running forward). The console
 * shows it before anything is tried; `fork` refuses with it.
 */
export const forkProblem = (events: readonly RecordedSagaEvent[], fromRevision: number): string | undefined => {
  const last = events.length - 1;
  if (!Number.isInteger(fromRevision) || fromRevision < 0 || fromRevision > last) return `fromRevision must be a revision from 0 to ${last}`;
  const state = replay(forkedPrefix(events, fromRevision));
  const pending = state.pendingRequests[0];
  if (pending) return `request ${pending.requestId} of step ${pending.path} is pending there; fork from the revision before it was sent`;
  const parallel = state.parallelSteps[0];
  if (parallel) return `parallel step ${parallel.path} is running there; fork from the revision before it started`;
  if (state.pendingChildren[0]) return `child step ${state.pendingChildren[0].path} is waiting for its child there; fork from the revision before it started`;
  if (state.phase !== 'forward' || state.error) return `the execution is ${state.phase === 'compensating' ? 'compensating' : state.phase === 'ended' ? 'over' : 'failing'} there; fork from a revision before its first failure`;
  return undefined;
};

/** What a fork copies: the history up to `fromRevision`, without timers (the fork gets its own). */
export const forkedPrefix = (events: readonly RecordedSagaEvent[], fromRevision: number): RecordedSagaEvent[] =>
  events.filter((e) => e.revision <= fromRevision && e.type !== 'TimerScheduled' && e.type !== 'TimerFired');
