/**
 * A step's status in words for an auditor. The engine's names (`paused-by-on-execute`,
 * `errored-on-error`) say which hook was running; the report says what happened, and keeps the
 * engine's name in a tooltip for whoever compares it with `saga show`.
 */
import type { StepStatus } from '@saga/core';

// A Record over every status: a status added to the engine fails to compile here until it has words.
const words: Record<StepStatus, string> = {
  'running-on-execute': 'running',
  'paused-by-on-execute': 'waiting for the reply',
  'running-on-success': 'handling the reply',
  'running-on-error': 'handling the error reply',
  finished: 'finished',
  'errored-on-execute': 'failed in its own code',
  'errored-by-on-execute': 'failed: the participant had a system error',
  'errored-on-success': 'failed while handling the reply',
  'errored-on-error': 'failed: the participant answered with an error',
  'timed-out': 'failed: no reply in time',
  'paused-on-failure': 'being undone: waiting for the compensation reply',
  compensated: 'undone (compensated)',
  'errored-on-failure': 'could not be undone (compensation failed)',
};

const isStepStatus = (status: string): status is StepStatus => Object.hasOwn(words, status);

/** `status` in words; a status this version does not know is shown as recorded. */
export const stepStatusText = (status: string, kind: string): string => {
  if (!isStepStatus(status)) return status;
  // A conditional step takes this status when a step of its branch failed, not from a participant.
  if (kind === 'conditional' && status === 'errored-by-on-execute') return 'failed: a step of its branch failed';
  if (kind === 'conditional' && status === 'running-on-execute') return 'running its branch';
  return words[status];
};
