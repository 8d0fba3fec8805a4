/**
 * A parallel step: its branches run side by side, each on its own copy of the context, and join
 * into one context when all have finished. Its branches' steps are compensated one by one like any
 * others, so the step itself has nothing to undo.
 */
import { SagaContext, branchPrefix, type JsonObject, type ParallelSagaStep } from '@saga/definitions';
import { StepStatus, contextAt, sagaEvent } from '@saga/execution';
import { contextOutcome } from '../callUserCode.js';
import type { StepKind } from './stepKind.js';

/**
 * The default join of a parallel step: the context it started with, plus what each branch changed
 * (keys set to another value, or removed), branch by branch in order.
 */
const mergeBranches = (start: JsonObject, branches: readonly JsonObject[]): JsonObject => {
  const merged: Record<string, JsonObject[string]> = { ...start };
  for (const branch of branches) {
    for (const [key, value] of Object.entries(branch)) {
      if (JSON.stringify(value) !== JSON.stringify(start[key])) merged[key] = value;
    }
    for (const key of Object.keys(start)) if (!(key in branch)) delete merged[key];
  }
  return merged;
};

export const parallelStep: StepKind<ParallelSagaStep> = {
  kind: 'parallel',
  start: (step, path) => ({ type: 'startParallel', path, step }),
  running: (step, path, recorded, walk) => {
    if (recorded.status !== StepStatus.RunningOnExecute) return undefined;
    // The first branch with something to do does it; the step joins once every branch is done.
    let waiting = false;
    for (const [branch, branchSaga] of step.branches.entries()) {
      const inner = walk.next(branchSaga, branchPrefix(path, branch));
      if (inner.type === 'await') waiting = true;
      else if (inner.type !== 'complete') return inner;
    }
    return waiting ? { type: 'await' } : { type: 'joinParallel', path, step };
  },
  compensate: () => undefined,
  perform: {
    startParallel: {
      run: async (d, { path, step }) => {
        d.record(sagaEvent('ParallelStarted', { path, branches: step.branches.length }));
        return true;
      },
    },
    joinParallel: {
      run: async (d, { path, step }) => {
        const execution = d.execution;
        const open = execution.parallelSteps.find((p) => p.path === path);
        const start = open?.start ?? contextAt(execution, path);
        const branches = open?.branches ?? [];
        const join = step.join;
        const outcome = join
          ? await contextOutcome(start, () => join(new SagaContext(start), branches.map((branch) => new SagaContext(branch))))
          : ({ ok: true, value: mergeBranches(start, branches) } as const);
        d.record(
          outcome.ok
            ? sagaEvent('StepFinished', { path, kind: 'parallel', context: outcome.value })
            : sagaEvent('StepFailed', { path, kind: 'parallel', status: 'errored-on-execute', error: outcome.error, compensate: false }),
        );
        return true;
      },
    },
  },
};
