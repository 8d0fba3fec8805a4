/** How step actions are watched by default: a span and the step-duration metric each. */
import { SagaAttributes, inSpan, instruments } from '../observability/telemetry.js';
import type { DecisionBuilder } from './decisionBuilder.js';
import type { StepObserver } from './decideOptions.js';

/** What the last recorded event says a step action came to, for spans and metrics. */
export const outcomeOf = (d: DecisionBuilder): string => {
  switch (d.events.at(-1)?.type) {
    case 'StepFinished':
      return 'finished';
    case 'StepFailed':
      return 'failed';
    case 'RequestSent':
    case 'CompensationRequestSent':
    case 'TimerScheduled':
      return 'sent';
    case 'BranchChosen':
      return 'branch-chosen';
    case 'StepCompensated':
      return 'compensated';
    case 'CompensationFailed':
      return 'compensation-failed';
    default:
      return 'other';
  }
};

/** The default observer: each step action in its own span, timed — the unit operators look at in traces and dashboards. */
export const telemetryStepObserver: StepObserver = (step, run) => {
  const started = performance.now();
  return inSpan(
    step.compensating ? `saga.compensate ${step.kind}` : `saga.step ${step.kind}`,
    { [SagaAttributes.executionId]: step.executionId, [SagaAttributes.stepPath]: step.path, [SagaAttributes.stepKind]: step.kind },
    async (span) => {
      const { goOn, outcome } = await run();
      span.setAttribute(SagaAttributes.outcome, outcome);
      instruments().stepDuration.record(performance.now() - started, { [SagaAttributes.stepKind]: step.kind, [SagaAttributes.outcome]: outcome });
      return goOn;
    },
  );
};
