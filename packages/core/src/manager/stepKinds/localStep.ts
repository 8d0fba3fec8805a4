/** A local step: a callback run in the manager's process, undone by its onFailure callback. */
import type { LocalSagaStep } from '@saga/definitions';
import { contextAt, sagaEvent } from '@saga/execution';
import { contextOutcome } from '../callUserCode.js';
import { contextOf } from '../stepContext.js';
import type { StepKind } from './stepKind.js';

export const localStep: StepKind<LocalSagaStep> = {
  kind: 'local',
  start: (step, path) => ({ type: 'runLocal', path, step }),
  // A local step finishes or fails within the action that runs it: it is never seen running.
  running: () => undefined,
  compensate: (step, path) => (step.failure ? { type: 'compensateLocal', path, step } : undefined),
  perform: {
    runLocal: {
      observe: { compensating: false },
      run: async (d, { path, step }) => {
        const execution = d.execution;
        const outcome = await d.retry(step.retryPolicy, () => contextOutcome(contextAt(execution, path), () => step.execute?.(contextOf(execution, path))));
        d.record(
          outcome.ok
            ? sagaEvent('StepFinished', { path, kind: 'local', context: outcome.value })
            : sagaEvent('StepFailed', { path, kind: 'local', status: 'errored-on-execute', error: outcome.error, compensate: false }),
        );
        return true;
      },
    },
    compensateLocal: {
      observe: { compensating: true },
      run: async (d, { path, step }) => {
        const execution = d.execution;
        const outcome = await d.retry(d.options.compensationRetry, () => contextOutcome(contextAt(execution, path), () => step.failure?.(contextOf(execution, path))));
        d.record(outcome.ok ? sagaEvent('StepCompensated', { path, context: outcome.value }) : sagaEvent('CompensationFailed', { path, error: outcome.error }));
        // A compensation that failed stops the execution for an operator: nothing else is undone first.
        return outcome.ok;
      },
    },
  },
};
