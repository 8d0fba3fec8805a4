/** The status of a whole execution (the reference's `SagaStatus`). */
export const SagaStatus = {
  Created: 'created',
  Running: 'running',
  Paused: 'paused',
  Finished: 'finished',
  Errored: 'errored',
} as const;
export type SagaStatus = (typeof SagaStatus)[keyof typeof SagaStatus];

/**
 * The status of one step, after the reference's §3.4 (0.8 set) plus the compensation statuses that
 * the reference declared but never assigned: here compensation progress is tracked.
 */
export const StepStatus = {
  RunningOnExecute: 'running-on-execute',
  PausedByOnExecute: 'paused-by-on-execute',
  RunningOnSuccess: 'running-on-success',
  RunningOnError: 'running-on-error',
  Finished: 'finished',
  ErroredOnExecute: 'errored-on-execute',
  ErroredByOnExecute: 'errored-by-on-execute',
  ErroredOnSuccess: 'errored-on-success',
  ErroredOnError: 'errored-on-error',
  TimedOut: 'timed-out',
  PausedOnFailure: 'paused-on-failure',
  Compensated: 'compensated',
  ErroredOnFailure: 'errored-on-failure',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

/** The statuses a `StepFailed` event may record. */
export const stepFailureStatuses = [
  StepStatus.ErroredOnExecute,
  StepStatus.ErroredByOnExecute,
  StepStatus.ErroredOnSuccess,
  StepStatus.ErroredOnError,
  StepStatus.TimedOut,
] as const;
export type StepFailureStatus = (typeof stepFailureStatuses)[number];
