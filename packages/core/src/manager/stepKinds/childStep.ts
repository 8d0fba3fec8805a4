/**
 * A child step: runs another saga as an execution of its own and waits for its end. Undone by
 * asking the finished child to compensate its own steps, which is why every finished child step
 * is asked, whatever callbacks it has.
 */
import { SagaContext, stepAtPath, type ChildSagaStep, type JsonObject, type Saga } from '@saga/definitions';
import { SagaStatus, contextAt, sagaEvent, type SagaExecution } from '@saga/execution';
import { isAwaiting } from '../awaiting.js';
import { contextOutcome } from '../callUserCode.js';
import type { DecisionBuilder } from '../decisionBuilder.js';
import { executionIdForKey } from '../executionIdForKey.js';
import { contextOf } from '../stepContext.js';
import type { StepKind } from './stepKind.js';

export interface ChildStepKind extends StepKind<ChildSagaStep> {
  /** A child execution this one waits on has ended (or settled its compensation); the reason when it changes nothing. */
  readonly applyChildEnd: (d: DecisionBuilder, definition: Saga, child: SagaExecution) => Promise<string | undefined>;
}

/** The id of the child execution a child step starts: derived, so a start repeated by recovery finds it. */
export const childExecutionId = (parentId: string, path: string, child: Saga): string => executionIdForKey(child, `${parentId}/${path}`);

const childStarted = (parent: SagaExecution, path: string, childId: string, definition: { name: string; version: string; fingerprint: string }, context: JsonObject) =>
  sagaEvent('SagaStarted', {
    executionId: childId,
    definition,
    context,
    user: parent.user ?? null,
    autocommit: parent.autocommit,
    service: parent.service,
    key: `${parent.id}/${path}`,
    parent: { executionId: parent.id, path },
  });

/** The `SagaStarted` of a child that a crash kept from being started: recovery starts it from the parent's record. */
export const childStartOf = (parent: SagaExecution, child: { readonly path: string; readonly childId: string; readonly definition: { name: string; version: string; fingerprint: string }; readonly context: JsonObject }) =>
  childStarted(parent, child.path, child.childId, child.definition, child.context);

/** Whether a child execution has come to rest: nothing awaited, nothing left to do. */
export const childSettled = (child: SagaExecution): boolean => child.phase === 'ended' && !isAwaiting(child);

export const childStep: ChildStepKind = {
  kind: 'child',
  start: (step, path) => ({ type: 'startChild', path, step }),
  // While its child runs the step is paused, which the forward walk awaits for every kind.
  running: () => undefined,
  compensate: (step, path) => ({ type: 'compensateChild', path, step }),
  perform: {
    startChild: {
      run: async (d, { path, step }) => {
        const execution = d.execution;
        const child = step.child as Saga;
        const build = step.execute;
        const built = build ? await contextOutcome(contextAt(execution, path), () => build(contextOf(execution, path))) : ({ ok: true, value: contextAt(execution, path) } as const);
        if (!built.ok) {
          d.record(sagaEvent('StepFailed', { path, kind: 'child', status: 'errored-on-execute', error: built.error, compensate: false }));
          return true;
        }
        const childId = childExecutionId(execution.id, path, child);
        const definition = { name: child.name, version: child.version, fingerprint: child.fingerprint };
        d.record(sagaEvent('ChildStarted', { path, childId, definition, context: built.value }));
        d.children.push({ kind: 'start', definition: child, started: childStarted(execution, path, childId, definition, built.value) });
        return true;
      },
    },
    compensateChild: {
      run: async (d, { path }) => {
        const execution = d.execution;
        const childId = execution.steps.find((s) => s.path === path)?.childId;
        if (!childId) {
          d.record(sagaEvent('CompensationFailed', { path, error: { name: 'CorruptedHistoryError', message: `Child step ${path} has no child execution recorded to compensate.` } }));
          return false;
        }
        d.record(sagaEvent('ChildCompensationRequested', { path, childId }));
        d.children.push({ kind: 'compensate', childId, parentId: execution.id });
        return true;
      },
    },
  },

  applyChildEnd: async (d, definition, child) => {
    const execution = d.execution;
    const pending = execution.pendingChildren.find((c) => c.childId === child.id);
    if (!pending) return `child ${child.id} is not awaited by execution ${execution.id}`;
    if (!childSettled(child)) return `child ${child.id} has not ended yet (${child.status})`;
    const { path, childId } = pending;
    if (pending.purpose === 'compensate') {
      const failed = child.compensation.failed;
      if (failed) {
        d.record(sagaEvent('ChildEnded', { path, childId, outcome: 'compensation-failed', error: failed.error }));
        d.record(sagaEvent('CompensationFailed', { path, error: { name: failed.error.name, message: `Child ${childId} could not compensate step ${failed.path}: ${failed.error.message}` } }));
      } else {
        d.record(sagaEvent('ChildEnded', { path, childId, outcome: 'compensated' }));
        d.record(sagaEvent('StepCompensated', { path }));
      }
      return undefined;
    }
    if (child.status !== SagaStatus.Finished) {
      const error = child.error ?? { name: 'SagaFailedError', message: 'the child failed' };
      d.record(sagaEvent('ChildEnded', { path, childId, outcome: 'errored', error }));
      // The child compensated itself: this step has nothing left to undo.
      d.record(
        sagaEvent('StepFailed', {
          path,
          kind: 'child',
          status: 'errored-by-on-execute',
          error: { name: 'ChildSagaFailedError', message: `Child ${childId} (${child.definition.name}) failed: ${error.name}: ${error.message}` },
          compensate: false,
        }),
      );
      return undefined;
    }
    d.record(sagaEvent('ChildEnded', { path, childId, outcome: 'finished', context: child.context }));
    const step = stepAtPath(definition, path) as ChildSagaStep | undefined;
    const success = step?.success;
    const outcome = success
      ? await contextOutcome(contextAt(d.execution, path), () => success(contextOf(d.execution, path), { id: childId, context: new SagaContext(child.context) }))
      : ({ ok: true, value: contextAt(d.execution, path) } as const);
    d.record(
      outcome.ok
        ? sagaEvent('StepFinished', { path, kind: 'child', context: outcome.value })
        : // The child's steps took effect: this step is undone with the others (the child compensates).
          sagaEvent('StepFailed', { path, kind: 'child', status: 'errored-on-success', error: outcome.error, compensate: true }),
    );
    return undefined;
  },
};
