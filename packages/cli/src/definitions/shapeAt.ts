import type { BranchKey, SagaShape, SagaStepShape } from '@saga/core';

/** The sub-saga a conditional step runs for `branch`, if it has one. */
export const branchShape = (step: SagaStepShape, branch: BranchKey): SagaShape | undefined =>
  step.kind !== 'conditional' ? undefined : branch === 'else' ? step.otherwise : step.alternatives[branch];

// Strict, like @saga/definitions' stepPath: "01" or "1.5" must never address an existing step.
const pathPattern = /^(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*|else)\.(?:0|[1-9]\d*))*$/;

/**
 * The step a path (`"3"`, `"3.0.1"`, `"3.else.0"`) addresses in a shape. Works on `describe()` data
 * rather than on `Saga` objects, so a definition loaded from another copy of the package works too.
 */
export const shapeAt = (shape: SagaShape, path: string): SagaStepShape | undefined => {
  if (!pathPattern.test(path)) return undefined;
  const segments = path.split('.');
  let step = shape.steps[Number(segments[0])];
  for (let position = 1; step !== undefined && position < segments.length; position += 2) {
    const key = segments[position];
    step = branchShape(step, key === 'else' ? 'else' : Number(key))?.steps[Number(segments[position + 1])];
  }
  return step;
};
