/**
 * A conditional step: the first alternative whose condition holds (else `otherwise`, else none)
 * runs as a branch of the step; the step finishes when that branch has. Its branch's steps are
 * compensated one by one like any others, so the step itself has nothing to undo.
 */
import { branchPrefix, sagaOfBranch, type ConditionalSagaStep } from '@saga/definitions';
import { CorruptedHistoryError, StepStatus, sagaEvent } from '@saga/execution';
import { attempt } from '../callUserCode.js';
import { executionStream } from '../executionStream.js';
import { contextOf } from '../stepContext.js';
import type { StepKind } from './stepKind.js';

export const conditionalStep: StepKind<ConditionalSagaStep> = {
  kind: 'conditional',
  start: (step, path) => ({ type: 'chooseBranch', path, step }),
  running: (step, path, recorded, walk) => {
    if (recorded.status !== StepStatus.RunningOnExecute || recorded.branch == null) return undefined;
    const branch = sagaOfBranch(step, recorded.branch);
    if (!branch) {
      const { execution } = walk;
      throw new CorruptedHistoryError(executionStream(execution.id), execution.revision, `step ${path} took branch '${recorded.branch}', which the definition does not have`);
    }
    const inner = walk.next(branch, branchPrefix(path, recorded.branch));
    return inner.type === 'complete' ? { type: 'finishConditional', path } : inner;
  },
  compensate: () => undefined,
  perform: {
    chooseBranch: {
      observe: { compensating: false },
      run: async (d, { path, step }) => {
        const execution = d.execution;
        const chosen = await attempt(async () => {
          for (const [index, alternative] of step.alternatives.entries()) {
            if ((await alternative.condition(contextOf(execution, path))) === true) return index;
          }
          return step.otherwise ? ('else' as const) : null;
        });
        d.record(
          chosen.ok
            ? sagaEvent('BranchChosen', { path, branch: chosen.value })
            : sagaEvent('StepFailed', { path, kind: 'conditional', status: 'errored-on-execute', error: chosen.error, compensate: false }),
        );
        return true;
      },
    },
    finishConditional: {
      run: async (d, { path }) => {
        d.record(sagaEvent('StepFinished', { path, kind: 'conditional' }));
        return true;
      },
    },
  },
};
