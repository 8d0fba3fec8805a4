/**
 * Whether a history fits the definition it names: same shape (fingerprint), and every recorded step,
 * branch, request and compensation exists in that shape. A mismatch means the definition changed
 * without a new version, so the engine would resume the execution with steps it never ran.
 */
import type { RecordedSagaEvent, SagaShape } from '@saga/core';
import type { DefinitionLike } from '../definitions/loadDefinition.js';
import { branchShape, shapeAt } from '../definitions/shapeAt.js';
import type { Finding } from './historyInvariants.js';

export type DefinitionVerdict =
  | { readonly kind: 'checked'; readonly problems: readonly Finding[] }
  /** No definition with the execution's name and version was given. */
  | { readonly kind: 'unchecked'; readonly definition: string };

const stepProblem = (shape: SagaShape, event: RecordedSagaEvent): string | undefined => {
  if (!('path' in event.data) || typeof event.data.path !== 'string') return undefined;
  const path = event.data.path;
  const step = shapeAt(shape, path);
  if (!step) return `${event.type} names step ${path}, which the definition does not have`;
  switch (event.type) {
    case 'StepFinished':
    case 'StepFailed':
      return step.kind === event.data.kind ? undefined : `step ${path} is ${step.kind} in the definition but was recorded as ${event.data.kind}`;
    case 'RequestSent':
    case 'CompensationRequestSent':
      return step.kind === 'remote' ? undefined : `${event.type} for step ${path}, a ${step.kind} step in the definition`;
    case 'BranchChosen':
      if (step.kind !== 'conditional') return `BranchChosen for step ${path}, a ${step.kind} step in the definition`;
      return event.data.branch === null || branchShape(step, event.data.branch)
        ? undefined
        : `step ${path} took branch ${event.data.branch}, which the definition does not have`;
    case 'StepCompensated':
      return step.kind !== 'conditional' && step.hooks.includes('onFailure')
        ? undefined
        : `step ${path} was compensated, but it has no onFailure in the definition`;
    default:
      return undefined;
  }
};

export const checkDefinition = (events: readonly RecordedSagaEvent[], definitions: readonly DefinitionLike[]): DefinitionVerdict => {
  const started = events[0]?.type === 'SagaStarted' ? events[0] : undefined;
  if (!started) return { kind: 'checked', problems: [] };
  const { name, version, fingerprint } = started.data.definition;
  const definition = definitions.find((d) => d.name === name && d.version === version);
  if (!definition) return { kind: 'unchecked', definition: `${name}@${version}` };
  const problems: Finding[] = [];
  if (definition.fingerprint !== fingerprint) {
    problems.push({
      revision: started.revision,
      message:
        `started with ${name}@${version} of shape ${fingerprint}, but that definition now has shape ${definition.fingerprint}: ` +
        'its steps changed without a new version; give the changed saga a new version so running executions keep theirs',
    });
  }
  const shape = definition.describe();
  for (const event of events) {
    const problem = stepProblem(shape, event);
    if (problem) problems.push({ revision: event.revision, message: problem });
  }
  return { kind: 'checked', problems };
};
