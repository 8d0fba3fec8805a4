/**
 * What an execution must do next, read from its definition and its folded state. Pure: no I/O and
 * no user code, so the engine's control flow is tested as a plain function. What each step kind
 * asks for is its module's business (`stepKinds/`); the walk here is what all kinds share.
 */
import { stepAtPath, stepPath, type Saga } from '@saga/definitions';
import { CorruptedHistoryError, StepStatus, type SagaExecution } from '@saga/execution';
import type { Action, ActionOf, ForwardAction } from './action.js';
import { executionStream } from './executionStream.js';
import { compensationOf, runningOf, startOf } from './stepKinds/index.js';
import { nextTransactionAction } from './transaction/twoPhaseCommit.js';

export type { Action } from './action.js';
export { isAwaiting } from './awaiting.js';

const awaiting = (execution: SagaExecution): ActionOf<'await'> => ({ type: 'await', ...(execution.pendingRequest ? { pending: execution.pendingRequest } : {}) });

const nextForward = (saga: Saga, prefix: string | undefined, execution: SagaExecution, steps: ReadonlyMap<string, SagaExecution['steps'][number]>): ForwardAction => {
  const walk = { execution, next: (inner: Saga, innerPrefix: string) => nextForward(inner, innerPrefix, execution, steps) };
  for (const [index, step] of saga.steps.entries()) {
    const path = stepPath(prefix, index);
    const recorded = steps.get(path);
    if (!recorded) return startOf(step, path);
    if (recorded.status === StepStatus.Finished) continue;
    if (recorded.status === StepStatus.PausedByOnExecute) return awaiting(execution);
    const running = runningOf(step, path, recorded, walk);
    if (running) return running;
    // Any other status in the forward phase means the history and the definition disagree.
    throw new CorruptedHistoryError(executionStream(execution.id), execution.revision, `step ${path} is '${recorded.status}' while the execution still runs forward`);
  }
  return { type: 'complete' };
};

/** Steps whose compensation is still to do, skipping steps whose kind has nothing to undo. */
const nextCompensation = (definition: Saga, execution: SagaExecution): Action => {
  if (execution.pendingRequests.length > 0 || execution.pendingChildren.length > 0) return awaiting(execution);
  // A remote compensation that failed waits for its retry timer before the next attempt.
  if (execution.timers.some((t) => t.purpose === 'retry')) return { type: 'await' };
  const done = new Set(execution.compensation.done);
  for (const path of execution.compensation.plan) {
    if (done.has(path)) continue;
    const step = stepAtPath(definition, path);
    const compensation = step && compensationOf(step, path);
    if (compensation) return compensation;
  }
  return { type: 'fail' };
};

export const nextAction = (definition: Saga, execution: SagaExecution): Action => {
  switch (execution.phase) {
    case 'forward':
      // A cancelled execution, or one where a step failed while others were in flight, starts no new
      // step: what is in flight is awaited (reply or timeout), then compensation starts.
      if (execution.cancellation || execution.error) {
        if (execution.pendingRequests.length > 0 || execution.pendingChildren.length > 0) return awaiting(execution);
        return execution.error ? { type: 'startCompensation' } : { type: 'cancel' };
      }
      return nextForward(definition, undefined, execution, new Map(execution.steps.map((s) => [s.path, s])));
    case 'compensating':
      return nextCompensation(definition, execution);
    case 'ended':
      return nextTransactionAction(execution);
  }
};

/** Whether an execution has work to do now, without waiting for a message (recovery drives it on). */
export const hasWorkToDo = (definition: Saga, execution: SagaExecution): boolean => {
  const action = nextAction(definition, execution);
  return action.type !== 'await' && action.type !== 'idle';
};
