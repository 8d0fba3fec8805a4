/**
 * What an execution must do next, read from its definition and its folded state. Pure: no I/O and
 * no user code, so the engine's control flow is tested as a plain function.
 */
import {
  branchPrefix,
  sagaOfBranch,
  stepAtPath,
  stepPath,
  type ChildSagaStep,
  type ConditionalSagaStep,
  type LocalSagaStep,
  type ParallelSagaStep,
  type RemoteSagaStep,
  type Saga,
} from '@saga/definitions';
import { CorruptedHistoryError, SagaStatus, StepStatus, type PendingRequest, type SagaExecution } from '@saga/execution';
import { executionStream } from './executionStream.js';

export type Action =
  | { readonly type: 'runLocal'; readonly path: string; readonly step: LocalSagaStep }
  | { readonly type: 'sendRequest'; readonly path: string; readonly step: RemoteSagaStep }
  | { readonly type: 'chooseBranch'; readonly path: string; readonly step: ConditionalSagaStep }
  | { readonly type: 'finishConditional'; readonly path: string }
  /** Opens a parallel step: its branches run from the next action on, each on its own context. */
  | { readonly type: 'startParallel'; readonly path: string; readonly step: ParallelSagaStep }
  /** Every branch of the parallel step finished: their contexts become one (`onJoin`). */
  | { readonly type: 'joinParallel'; readonly path: string; readonly step: ParallelSagaStep }
  /** Starts the child step's saga as an execution of its own; the step waits for its end. */
  | { readonly type: 'startChild'; readonly path: string; readonly step: ChildSagaStep }
  | { readonly type: 'complete' }
  | { readonly type: 'compensateLocal'; readonly path: string; readonly step: LocalSagaStep }
  | { readonly type: 'compensateRemote'; readonly path: string; readonly step: RemoteSagaStep }
  /** Asks the finished child of a child step to compensate its own steps. */
  | { readonly type: 'compensateChild'; readonly path: string; readonly step: ChildSagaStep }
  | { readonly type: 'fail' }
  | { readonly type: 'requestVotes' }
  | { readonly type: 'decideVotes' }
  /** A cancel was requested and nothing is in flight: compensation of the finished steps starts. */
  | { readonly type: 'cancel' }
  /** A step failed while others were in flight; nothing is in flight any more: compensation starts. */
  | { readonly type: 'startCompensation' }
  /** Nothing to do until a reply (or votes) arrive. */
  | { readonly type: 'await'; readonly pending?: PendingRequest }
  /** Nothing to do: terminal, or waiting for an operator's commit/reject. */
  | { readonly type: 'idle' };

type Forward = Exclude<Action, { type: 'compensateLocal' | 'compensateRemote' | 'compensateChild' | 'fail' | 'requestVotes' | 'decideVotes' | 'idle' | 'cancel' | 'startCompensation' }>;

const nextForward = (saga: Saga, prefix: string | undefined, execution: SagaExecution, steps: ReadonlyMap<string, SagaExecution['steps'][number]>): Forward => {
  for (const [index, step] of saga.steps.entries()) {
    const path = stepPath(prefix, index);
    const recorded = steps.get(path);
    if (!recorded) {
      switch (step.kind) {
        case 'local':
          return { type: 'runLocal', path, step: step as LocalSagaStep };
        case 'remote':
          return { type: 'sendRequest', path, step: step as RemoteSagaStep };
        case 'conditional':
          return { type: 'chooseBranch', path, step: step as ConditionalSagaStep };
        case 'parallel':
          return { type: 'startParallel', path, step: step as ParallelSagaStep };
        case 'child':
          return { type: 'startChild', path, step: step as ChildSagaStep };
      }
    }
    if (recorded.status === StepStatus.Finished) continue;
    if (recorded.status === StepStatus.PausedByOnExecute) return { type: 'await', ...(execution.pendingRequest ? { pending: execution.pendingRequest } : {}) };
    if (recorded.kind === 'conditional' && recorded.status === StepStatus.RunningOnExecute && recorded.branch != null) {
      const branch = sagaOfBranch(step as ConditionalSagaStep, recorded.branch);
      if (!branch) {
        throw new CorruptedHistoryError(executionStream(execution.id), execution.revision, `step ${path} took branch '${recorded.branch}', which the definition does not have`);
      }
      const inner = nextForward(branch, branchPrefix(path, recorded.branch), execution, steps);
      return inner.type === 'complete' ? { type: 'finishConditional', path } : inner;
    }
    if (recorded.kind === 'parallel' && recorded.status === StepStatus.RunningOnExecute) {
      // The first branch with something to do does it; the step joins once every branch is done.
      const parallel = step as ParallelSagaStep;
      let waiting = false;
      for (const [branch, branchSaga] of parallel.branches.entries()) {
        const inner = nextForward(branchSaga, branchPrefix(path, branch), execution, steps);
        if (inner.type === 'await') waiting = true;
        else if (inner.type !== 'complete') return inner;
      }
      return waiting ? { type: 'await' } : { type: 'joinParallel', path, step: parallel };
    }
    // Any other status in the forward phase means the history and the definition disagree.
    throw new CorruptedHistoryError(executionStream(execution.id), execution.revision, `step ${path} is '${recorded.status}' while the execution still runs forward`);
  }
  return { type: 'complete' };
};

/** Steps whose compensation is still to do, skipping steps that have no onFailure. */
const nextCompensation = (definition: Saga, execution: SagaExecution): Action => {
  if (execution.pendingRequests.length > 0 || execution.pendingChildren.length > 0) return { type: 'await', ...(execution.pendingRequest ? { pending: execution.pendingRequest } : {}) };
  // A remote compensation that failed waits for its retry timer before the next attempt.
  if (execution.timers.some((t) => t.purpose === 'retry')) return { type: 'await' };
  const done = new Set(execution.compensation.done);
  for (const path of execution.compensation.plan) {
    if (done.has(path)) continue;
    const step = stepAtPath(definition, path);
    if (step?.kind === 'local' && (step as LocalSagaStep).failure) return { type: 'compensateLocal', path, step: step as LocalSagaStep };
    if (step?.kind === 'remote' && (step as RemoteSagaStep).failure) return { type: 'compensateRemote', path, step: step as RemoteSagaStep };
    // A finished child is always asked: its own steps say what there is to undo.
    if (step?.kind === 'child') return { type: 'compensateChild', path, step: step as ChildSagaStep };
  }
  return { type: 'fail' };
};

export const nextAction = (definition: Saga, execution: SagaExecution): Action => {
  switch (execution.phase) {
    case 'forward':
      // A cancelled execution, or one where a step failed while others were in flight, starts no new
      // step: what is in flight is awaited (reply or timeout), then compensation starts.
      if (execution.cancellation || execution.error) {
        if (execution.pendingRequests.length > 0 || execution.pendingChildren.length > 0) return { type: 'await', ...(execution.pendingRequest ? { pending: execution.pendingRequest } : {}) };
        return execution.error ? { type: 'startCompensation' } : { type: 'cancel' };
      }
      return nextForward(definition, undefined, execution, new Map(execution.steps.map((s) => [s.path, s])));
    case 'compensating':
      return nextCompensation(definition, execution);
    case 'ended': {
      const { transaction } = execution;
      if (transaction.status === 'reserving') {
        return transaction.votes.every((v) => v.vote !== undefined) ? { type: 'decideVotes' } : { type: 'await' };
      }
      if (execution.autocommit && execution.status === SagaStatus.Finished && transaction.status === 'pending') return { type: 'requestVotes' };
      return { type: 'idle' };
    }
  }
};

/** Whether an execution is waiting for a message (a reply or votes) rather than done. */
export const isAwaiting = (execution: SagaExecution): boolean =>
  execution.pendingRequests.length > 0 ||
  execution.pendingChildren.length > 0 ||
  execution.transaction.status === 'reserving' ||
  (execution.phase === 'compensating' && execution.timers.some((t) => t.purpose === 'retry'));

/** Whether an execution has work to do now, without waiting for a message (recovery drives it on). */
export const hasWorkToDo = (definition: Saga, execution: SagaExecution): boolean => {
  const action = nextAction(definition, execution);
  return action.type !== 'await' && action.type !== 'idle';
};
