// What the fold keeps that mutation testing (`pnpm mutation execution-evolve`) found no test for:
// the blank execution before any event, fork provenance, a failure's ancestors, what `evolve` carries
// over from an execution it did not fold itself, and which timers and transaction states survive an
// ending. Each case is given-events / then-state, like evolve.unit.spec.ts.
import { describe, expect, it } from 'vitest';
import type { RecordedSagaEvent } from './decodeEvent.js';
import { contextAt, evolve, fold, replay } from './evolve.js';
import { sagaEvent, type ErrorInfo, type SagaEvent, type SagaEventData } from './sagaEvents.js';
import type { SagaExecution } from './sagaExecution.js';
import { SagaStatus, StepStatus } from './sagaStatus.js';

const recorded = (...events: SagaEvent[]): RecordedSagaEvent[] =>
  events.map((event, revision) => ({ ...event, revision, recordedAt: new Date(Date.UTC(2030, 0, 1, 0, 0, revision)).toISOString() }) as RecordedSagaEvent);

/** Folds event by event with `evolve`, as the decider does while it records: every step thaws a frozen execution. */
const evolveEach = (events: readonly RecordedSagaEvent[]): SagaExecution => events.reduce<SagaExecution>((execution, event) => evolve(execution, event), fold([]));

const started = (overrides: Partial<SagaEventData['SagaStarted']> = {}) =>
  sagaEvent('SagaStarted', {
    executionId: 'exec-1',
    definition: { name: 'order', version: '1', fingerprint: 'abc' },
    context: { sku: 'A1' },
    user: null,
    autocommit: true,
    service: 'orders',
    ...overrides,
  });
const boom: ErrorInfo = { name: 'Error', message: 'boom' };
const sent = (path: string, requestId: string) => sagaEvent('RequestSent', { path, requestId, target: 'stock.reserve', payload: {} });
const replied = (path: string, requestId: string, relatedServices: string[] = ['stock'], status: 200 | 400 = 200) =>
  sagaEvent('ReplyReceived', { path, requestId, status, payload: {}, relatedServices });

describe('the execution before its first event', () => {
  it('replaying up to before the first event shows an execution that has not started: no id, no definition, no service', () => {
    const events = recorded(started(), sagaEvent('StepFinished', { path: '0', kind: 'local' }));
    const before = replay(events, -1);
    // toMatchObject: the read model gains fields over time; these are the ones a blank execution must show.
    expect(before).toMatchObject({
      id: '',
      definition: { name: '', version: '', fingerprint: '' },
      status: SagaStatus.Created,
      context: {},
      service: '',
      // Nothing said otherwise yet: an execution commits on its own unless started with autocommit false.
      autocommit: true,
      steps: [],
      phase: 'forward',
      compensation: { plan: [], done: [], attempts: {} },
      transaction: { status: 'none', participants: [], votes: [], notified: false },
      timers: [],
      revision: -1,
    });
  });
});

describe('an execution made by fork', () => {
  const forkedFrom = { executionId: 'exec-0', revision: 4 };

  it('records which history it was copied from, and keeps it as later events are evolved onto it', () => {
    const events = recorded(started({ forkedFrom }), sagaEvent('StepFinished', { path: '0', kind: 'local' }));
    expect(fold(events).forkedFrom).toEqual(forkedFrom);
    expect(evolveEach(events).forkedFrom).toEqual(forkedFrom);
  });
});

describe('a step that fails', () => {
  it('at the top level marks only itself: it has no conditional above it', () => {
    const execution = fold(recorded(started(), sagaEvent('StepFailed', { path: '0', kind: 'local', status: 'errored-on-execute', error: boom, compensate: false })));
    expect(execution.steps.map((s) => s.path)).toEqual(['0']);
    expect(execution.compensation.plan).toEqual([]);
  });
});

describe('evolve on an execution it did not fold', () => {
  it('a finished conditional is not a step to compensate: the plan holds the steps inside it, not the conditional', () => {
    const events = recorded(
      started(),
      sagaEvent('StepFinished', { path: '0', kind: 'local' }),
      sagaEvent('BranchChosen', { path: '1', branch: 0 }),
      sagaEvent('StepFinished', { path: '1.0.0', kind: 'local' }),
      sagaEvent('StepFinished', { path: '1', kind: 'conditional' }),
      sagaEvent('StepFailed', { path: '2', kind: 'local', status: 'errored-on-execute', error: boom, compensate: false }),
    );
    expect(evolveEach(events).compensation.plan).toEqual(['1.0.0', '0']);
    expect(evolveEach(events)).toEqual(fold(events));
  });

  it('a compensation that failed stays failed when the rejection of its participants is evolved onto it', () => {
    const events = recorded(
      started(),
      sent('0', 'req-0'),
      replied('0', 'req-0'),
      sagaEvent('StepFinished', { path: '0', kind: 'remote' }),
      sagaEvent('StepFailed', { path: '1', kind: 'local', status: 'errored-on-execute', error: boom, compensate: false }),
      sagaEvent('CompensationRequestSent', { path: '0', requestId: 'comp-0', target: 'stock.release', payload: {} }),
      replied('0', 'comp-0', ['stock'], 400),
      sagaEvent('CompensationFailed', { path: '0', error: { name: 'ErrorReply', message: 'refused' } }),
      sagaEvent('TransactionRejected', { services: ['stock'], reason: 'the saga failed' }),
    );
    const execution = evolveEach(events);
    // An operator resumes from `compensation.failed`; losing it would leave the execution stuck for good.
    expect(execution.compensation.failed).toEqual({ path: '0', error: { name: 'ErrorReply', message: 'refused' } });
    expect(execution.transaction.status).toBe('rejected');
  });
});

describe('the transaction when a saga fails', () => {
  it('with no participant there is nothing to commit or reject', () => {
    const execution = fold(
      recorded(started(), sagaEvent('StepFailed', { path: '0', kind: 'local', status: 'errored-on-execute', error: boom, compensate: false }), sagaEvent('SagaFailed', { error: boom })),
    );
    expect(execution.status).toBe(SagaStatus.Errored);
    expect(execution.transaction.status).toBe('none');
  });

  it('after a commit that failed, the participants already told to reject stay rejected (not asked again)', () => {
    const execution = fold(
      recorded(
        started(),
        sent('0', 'req-0'),
        replied('0', 'req-0'),
        sagaEvent('StepFinished', { path: '0', kind: 'remote' }),
        sagaEvent('SagaCompleted', { context: {} }),
        sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: 'vote-stock' }] }),
        sagaEvent('VoteReceived', { service: 'stock', requestId: 'vote-stock', vote: false, reason: 'sold out' }),
        sagaEvent('TransactionRejected', { services: ['stock'], reason: 'stock voted no' }),
        sagaEvent('CommitFailed', { error: { name: 'CommitFailedError', message: 'stock voted no' } }),
        sagaEvent('CompensationRequestSent', { path: '0', requestId: 'comp-0', target: 'stock.release', payload: {} }),
        replied('0', 'comp-0'),
        sagaEvent('StepCompensated', { path: '0', requestId: 'comp-0' }),
        sagaEvent('SagaFailed', { error: { name: 'CommitFailedError', message: 'stock voted no' } }),
      ),
    );
    expect(execution.status).toBe(SagaStatus.Errored);
    expect(execution.transaction.status).toBe('rejected');
  });
});

describe('the transaction when a compensation fails for good', () => {
  const localFailed = sagaEvent('StepFailed', { path: '1', kind: 'local', status: 'errored-on-execute', error: boom, compensate: false });

  it('with no participant there is nothing to commit or reject', () => {
    const execution = fold(recorded(started(), sagaEvent('StepFinished', { path: '0', kind: 'local' }), localFailed, sagaEvent('CompensationFailed', { path: '0', error: boom })));
    expect(execution.status).toBe(SagaStatus.Errored);
    expect(execution.transaction.status).toBe('none');
  });

  it('with participants, their outcome waits for an operator (pending)', () => {
    const execution = fold(
      recorded(
        started(),
        sent('0', 'req-0'),
        replied('0', 'req-0'),
        sagaEvent('StepFinished', { path: '0', kind: 'remote' }),
        localFailed,
        sagaEvent('CompensationRequestSent', { path: '0', requestId: 'comp-0', target: 'stock.release', payload: {} }),
        replied('0', 'comp-0', ['stock'], 400),
        sagaEvent('CompensationFailed', { path: '0', error: boom }),
      ),
    );
    expect(execution.transaction.status).toBe('pending');
  });

  it('after a commit that failed, the participants already told to reject stay rejected', () => {
    const execution = fold(
      recorded(
        started(),
        sent('0', 'req-0'),
        replied('0', 'req-0'),
        sagaEvent('StepFinished', { path: '0', kind: 'remote' }),
        sagaEvent('SagaCompleted', { context: {} }),
        sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: 'vote-stock' }] }),
        sagaEvent('VoteReceived', { service: 'stock', requestId: 'vote-stock', vote: false, reason: 'sold out' }),
        sagaEvent('TransactionRejected', { services: ['stock'], reason: 'stock voted no' }),
        sagaEvent('CommitFailed', { error: { name: 'CommitFailedError', message: 'stock voted no' } }),
        sagaEvent('CompensationRequestSent', { path: '0', requestId: 'comp-0', target: 'stock.release', payload: {} }),
        replied('0', 'comp-0', ['stock'], 400),
        sagaEvent('CompensationFailed', { path: '0', error: boom }),
      ),
    );
    expect(execution.status).toBe(SagaStatus.Errored);
    expect(execution.transaction.status).toBe('rejected');
  });
});

describe('timers when a compensation ends', () => {
  it('a retry timer no longer matters once the compensation has stopped for an operator', () => {
    const execution = fold(
      recorded(
        started(),
        sent('0', 'req-0'),
        replied('0', 'req-0'),
        sagaEvent('StepFinished', { path: '0', kind: 'remote' }),
        sagaEvent('StepFailed', { path: '1', kind: 'local', status: 'errored-on-execute', error: boom, compensate: false }),
        sagaEvent('CompensationRequestSent', { path: '0', requestId: 'comp-0', target: 'stock.release', payload: {} }),
        replied('0', 'comp-0', ['stock'], 400),
        sagaEvent('CompensationAttemptFailed', { path: '0', error: boom, attempt: 1 }),
        sagaEvent('TimerScheduled', { timerId: 't-retry', purpose: 'retry', dueAt: '2030-01-02T00:00:00.000Z', path: '0' }),
        sagaEvent('CompensationFailed', { path: '0', error: boom }),
      ),
    );
    expect(execution.phase).toBe('ended');
    expect(execution.steps.find((s) => s.path === '0')?.status).toBe(StepStatus.ErroredOnFailure);
    // A timer left here would wake a stopped execution for nothing.
    expect(execution.timers).toEqual([]);
  });
});

describe('a cancel nobody signed', () => {
  it('records no author, and the error says only why', () => {
    const execution = fold(
      recorded(
        started(),
        sagaEvent('StepFinished', { path: '0', kind: 'local' }),
        sagaEvent('CancelRequested', { reason: 'the customer called', by: null }),
        sagaEvent('CancelStarted', {}),
      ),
    );
    expect(execution.cancellation).toEqual({ reason: 'the customer called', requestedAt: '2030-01-01T00:00:02.000Z' });
    expect(execution.error).toEqual({ name: 'SagaCancelledError', message: 'Cancelled: the customer called' });
  });
});

// Added for the survivors of the run after parallel steps and child sagas (docs/mutation-testing.md).
const childDefinition = { name: 'ship', version: '1', fingerprint: 'f' };
const localDone = (path: string, context?: Record<string, number>) => sagaEvent('StepFinished', { path, kind: 'local', ...(context ? { context } : {}) });
const childStarted = (path: string, childId = 'child-1') => sagaEvent('ChildStarted', { path, childId, definition: childDefinition, context: { sku: 'A1' } });
const childEnded = (path: string, outcome: SagaEventData['ChildEnded']['outcome'], childId = 'child-1') => sagaEvent('ChildEnded', { path, childId, outcome });
const stepStatus = (execution: SagaExecution, path: string) => execution.steps.find((s) => s.path === path)?.status;

describe('a parallel step’s branch contexts', () => {
  it('a parallel step nested in a branch starts on that branch’s context, not on the outer step’s start', () => {
    const execution = fold(
      recorded(started(), sagaEvent('ParallelStarted', { path: '0', branches: 2 }), localDone('0.1.0', { branch: 1 }), sagaEvent('ParallelStarted', { path: '0.1.1', branches: 2 })),
    );
    const inner = execution.parallelSteps.find((p) => p.path === '0.1.1');
    expect(inner?.start).toEqual({ branch: 1 });
    expect(contextAt(execution, '0.1.1.0.0')).toEqual({ branch: 1 });
  });

  it('branch 10 of a parallel step is told apart from branch 1 (the branch is the whole number before the next dot)', () => {
    const execution = fold(recorded(started(), sagaEvent('ParallelStarted', { path: '0', branches: 11 }), localDone('0.10.0', { branch: 10 })));
    expect(contextAt(execution, '0.10.1')).toEqual({ branch: 10 });
    expect(contextAt(execution, '0.1.0')).toEqual({ sku: 'A1' });
    expect(execution.parallelSteps[0]?.branches[1]).toEqual({ sku: 'A1' });
  });
});

describe('an execution awaiting a child', () => {
  it('stays paused while the child runs, though a step of another branch finishes meanwhile', () => {
    const execution = fold(recorded(started(), sagaEvent('ParallelStarted', { path: '0', branches: 2 }), childStarted('0.0.0'), localDone('0.1.0')));
    expect(execution.status).toBe(SagaStatus.Paused);
    expect(execution.pendingChildren.map((c) => c.path)).toEqual(['0.0.0']);
  });

  it('a child that finished leaves its step to apply onSuccess; one that errored, onError', () => {
    expect(stepStatus(fold(recorded(started(), childStarted('0'), childEnded('0', 'finished'))), '0')).toBe(StepStatus.RunningOnSuccess);
    expect(stepStatus(fold(recorded(started(), childStarted('0'), childEnded('0', 'errored'))), '0')).toBe(StepStatus.RunningOnError);
  });

  it('a child asked to compensate: awaited with its purpose (nothing to start it with again), the step paused on its failure until the child is compensated', () => {
    const asked = recorded(
      started(),
      childStarted('0'),
      childEnded('0', 'finished'),
      sagaEvent('StepFinished', { path: '0', kind: 'child' }),
      sagaEvent('StepFailed', { path: '1', kind: 'local', status: 'errored-on-execute', error: boom, compensate: false }),
      sagaEvent('ChildCompensationRequested', { path: '0', childId: 'child-1' }),
    );
    const waiting = fold(asked);
    expect(stepStatus(waiting, '0')).toBe(StepStatus.PausedOnFailure);
    expect(waiting.status).toBe(SagaStatus.Paused);
    expect(waiting.pendingChildren).toEqual([{ path: '0', childId: 'child-1', purpose: 'compensate', definition: { name: '', version: '', fingerprint: '' }, context: {} }]);
    // The child's end changes nothing of the step: its StepCompensated (or CompensationFailed) follows.
    const ended = fold(recorded(...asked, childEnded('0', 'compensated')));
    expect(stepStatus(ended, '0')).toBe(StepStatus.PausedOnFailure);
    expect(ended.pendingChildren).toEqual([]);
    expect(ended.status).toBe(SagaStatus.Running);
  });

  it('a finished child asked by its parent to compensate fails with an error naming the parent', () => {
    const execution = fold(recorded(started(), localDone('0'), sagaEvent('SagaCompleted', { context: {} }), sagaEvent('CompensationRequested', { parentId: 'parent-7' })));
    expect(execution.phase).toBe('compensating');
    expect(execution.compensation.plan).toEqual(['0']);
    expect(execution.error).toEqual({ name: 'CompensatedByParent', message: 'Compensated because its parent parent-7 compensated the step that ran it.' });
  });
});

describe('compensation events the engine would not write alone (a corrupted or hand-edited history)', () => {
  it('a CancelStarted without a CancelRequested starts nothing', () => {
    const execution = fold(recorded(started(), localDone('0'), sagaEvent('CancelStarted', {})));
    expect(execution.phase).toBe('forward');
    expect(execution.status).toBe(SagaStatus.Running);
    expect(execution.error).toBeUndefined();
  });

  it('a CompensationStarted without a failure before it compensates with a generic error', () => {
    const execution = fold(recorded(started(), localDone('0'), sagaEvent('CompensationStarted', {})));
    expect(execution.phase).toBe('compensating');
    expect(execution.error).toEqual({ name: 'SagaFailedError', message: 'A step failed.' });
  });
});
