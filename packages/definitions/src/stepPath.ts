import type { Saga } from './saga.js';
import { ConditionalSagaStep } from './steps/conditionalSagaStep.js';
import { ParallelSagaStep } from './steps/parallelSagaStep.js';
import type { SagaStep } from './steps/sagaStep.js';

/** Which branch of a conditional step ran (the alternative's index, or 'else'), or a parallel step's branch index. */
export type BranchKey = number | 'else';

/** `"i"` for a top-level step, `"<parent>.i"` inside a branch (parent from `branchPrefix`). */
export const stepPath = (parent: string | undefined, index: number): string =>
  parent === undefined || parent === '' ? `${index}` : `${parent}.${index}`;

/** The prefix of the steps inside `branch` of the conditional step at `conditionalPath`. */
export const branchPrefix = (conditionalPath: string, branch: BranchKey): string => `${conditionalPath}.${branch}`;

export const sagaOfBranch = (step: ConditionalSagaStep, branch: BranchKey): Saga | undefined =>
  branch === 'else' ? step.otherwise : step.alternatives[branch]?.saga;

// Strict, so that "01" or "1.5" never silently address an existing step.
const indexPattern = /^(?:0|[1-9]\d*)$/;

const parseIndex = (segment: string | undefined): number | undefined =>
  segment !== undefined && indexPattern.test(segment) ? Number(segment) : undefined;

const parseBranch = (segment: string | undefined): BranchKey | undefined =>
  segment === 'else' ? 'else' : parseIndex(segment);

/** The saga of a branch of a conditional or parallel step. */
const sagaOfAnyBranch = (step: SagaStep, branch: BranchKey): Saga | undefined => {
  if (step instanceof ConditionalSagaStep) return sagaOfBranch(step, branch);
  if (step instanceof ParallelSagaStep && typeof branch === 'number') return step.branches[branch];
  return undefined;
};

/** The step a path addresses, through conditional and parallel branches; undefined if there is none. */
export const stepAtPath = (saga: Saga, path: string): SagaStep | undefined => {
  const segments = path.split('.');
  let index = parseIndex(segments[0]);
  let step = index === undefined ? undefined : saga.steps[index];
  for (let position = 1; step !== undefined && position < segments.length; position += 2) {
    const branch = parseBranch(segments[position]);
    index = parseIndex(segments[position + 1]);
    if (branch === undefined || index === undefined) return undefined;
    step = sagaOfAnyBranch(step, branch)?.steps[index];
  }
  return step;
};
