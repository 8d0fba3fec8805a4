/**
 * The parent/child relation of an execution in words, for `saga show` and `saga history`: the
 * parent that runs it, and the children it started (with how each ended). Each id is the one to
 * pass to `saga show` / `saga report` next.
 */
import type { SagaExecution } from '@saga/core';

const field = (name: string, value: string): string => `  ${name.padEnd(14)}${value}`;

export const relationLines = (execution: SagaExecution): string[] => {
  const lines: string[] = [];
  if (execution.parent) lines.push(field('parent', `${execution.parent.executionId} (its step ${execution.parent.path} runs this execution)`));
  const children = execution.steps.filter((step) => step.childId !== undefined);
  children.forEach((step, index) => {
    const waiting = execution.pendingChildren.find((c) => c.childId === step.childId);
    const state = waiting ? (waiting.purpose === 'compensate' ? 'undoing its steps' : 'running') : step.status;
    lines.push(field(index === 0 ? 'children' : '', `${step.childId ?? ''} (step ${step.path}, ${state})`));
  });
  return lines;
};
