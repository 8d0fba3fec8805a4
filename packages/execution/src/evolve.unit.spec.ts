// The fold as given-events / then-state: every event type of the catalogue, what it changes, and the
// guarantees callers rely on (evolve never mutates, fold = repeated evolve, replay = fold of a prefix).
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '@saga/definitions';
import type { RecordedSagaEvent } from './decodeEvent.js';
import { contextAt, evolve, fold, initialExecution, replay } from './evolve.js';
import { stamp } from './stamp.js';
import { sagaEvent, sagaEventCodecs, type ErrorInfo, type SagaEvent, type SagaEventData } from './sagaEvents.js';
import type { SagaExecution, StepExecution } from './sagaExecution.js';
import { SagaStatus, StepStatus, type StepFailureStatus } from './sagaStatus.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const timeOf = (revision: number): string => new Date(T0 + revision * 1_000).toISOString();

/** Stamps events as a store would: dense revisions from 0, one second apart. */
const recorded = (...events: SagaEvent[]): RecordedSagaEvent[] =>
  events.map((event, revision) => ({ ...event, revision, recordedAt: timeOf(revision) }) as RecordedSagaEvent);

const given = (...events: SagaEvent[]): SagaExecution => fold(recorded(...events));

const started = (overrides: Partial<SagaEventData['SagaStarted']> = {}) =>
  sagaEvent('SagaStarted', {
    executionId: 'exec-1',
    definition: { name: 'order', version: '2', fingerprint: 'f00d' },
    context: { sku: 'A1' },
    user: 'alice',
    autocommit: true,
    service: 'orders',
    ...overrides,
  });
const finished = (path: string, kind: 'local' | 'remote' | 'conditional' | 'parallel' | 'child' = 'local', context?: JsonObject) =>
  sagaEvent('StepFinished', { path, kind, ...(context ? { context } : {}) });
const sent = (path: string, target = 'stock.reserve', requestId = `req-${path}`) =>
  sagaEvent('RequestSent', { path, requestId, target, payload: { path } });
const compensationSent = (path: string, target = 'stock.release', requestId = `comp-${path}`) =>
  sagaEvent('CompensationRequestSent', { path, requestId, target, payload: { undo: path } });
const replied = (path: string, requestId: string, status: 200 | 400 | 500 = 200, relatedServices = ['stock']) =>
  sagaEvent('ReplyReceived', { path, requestId, status, payload: { ok: status === 200 }, relatedServices });
const boom: ErrorInfo = { name: 'Error', message: 'boom' };
const failed = (
  path: string,
  options: { kind?: 'local' | 'remote' | 'conditional'; status?: StepFailureStatus; compensate?: boolean; error?: ErrorInfo; requestId?: string } = {},
) =>
  sagaEvent('StepFailed', {
    path,
    kind: options.kind ?? 'local',
    status: options.status ?? 'errored-on-execute',
    error: options.error ?? boom,
    compensate: options.compensate ?? false,
    ...(options.requestId ? { requestId: options.requestId } : {}),
  });

const timer = (timerId: string, purpose: 'reply' | 'resend' | 'votes' | 'deadline' | 'retry', about: { requestId?: string; path?: string } = {}) =>
  sagaEvent('TimerScheduled', { timerId, purpose, dueAt: '2030-01-02T00:00:00.000Z', ...about });
const fired = (timerId: string) => sagaEvent('TimerFired', { timerId });

const stepOf = (execution: SagaExecution, path: string): StepExecution | undefined => execution.steps.find((s) => s.path === path);
const statusOf = (execution: SagaExecution, path: string) => stepOf(execution, path)?.status;

/** Freezes every nested object, so any write through the input throws in strict mode. */
const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null) {
    for (const nested of Object.values(value)) deepFreeze(nested);
    Object.freeze(value);
  }
  return value;
};

// Three histories that between them hold every event type, used for the whole-history properties.
const happyWithCommit = [
  started(),
  timer('t-deadline', 'deadline'),
  finished('0', 'local', { sku: 'A1', created: true }),
  sent('1'),
  timer('t-reply-1', 'reply', { requestId: 'req-1', path: '1' }),
  replied('1', 'req-1'),
  finished('1', 'remote', { sku: 'A1', created: true, reserved: true }),
  sagaEvent('BranchChosen', { path: '2', branch: 0 }),
  finished('2.0.0', 'local', { sku: 'A1', created: true, reserved: true, express: true }),
  finished('2', 'conditional'),
  sagaEvent('SagaCompleted', { context: { sku: 'A1', created: true, reserved: true, express: true } }),
  sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: 'vote-stock' }] }),
  timer('t-votes', 'votes'),
  sagaEvent('VoteReceived', { service: 'stock', requestId: 'vote-stock', vote: true }),
  sagaEvent('TransactionCommitted', { services: ['stock'] }),
  sagaEvent('TransactionNotified', { services: ['stock'] }),
];
const timeoutThenRollback = [
  started(),
  finished('0', 'local', { created: true }),
  sent('1'),
  replied('1', 'req-1'),
  finished('1', 'remote'),
  sent('2', 'payment.charge'),
  timer('t-reply-2', 'reply', { requestId: 'req-2', path: '2' }),
  fired('t-reply-2'),
  failed('2', { kind: 'remote', status: 'timed-out', compensate: true, requestId: 'req-2', error: { name: 'ReplyTimeoutError', message: 'late' } }),
  compensationSent('2', 'payment.refund'),
  replied('2', 'comp-2', 200, ['payment']),
  sagaEvent('StepCompensated', { path: '2', requestId: 'comp-2' }),
  compensationSent('1'),
  replied('1', 'comp-1'),
  sagaEvent('StepCompensated', { path: '1', requestId: 'comp-1' }),
  sagaEvent('StepCompensated', { path: '0', context: { created: false } }),
  sagaEvent('SagaFailed', { error: { name: 'ReplyTimeoutError', message: 'late' } }),
  sagaEvent('TransactionRejected', { services: ['stock', 'payment'], reason: 'the saga failed' }),
];
const commitFailedThenStuck = [
  started(),
  sent('0'),
  replied('0', 'req-0', 200, ['stock']),
  finished('0', 'remote'),
  sent('1', 'payment.charge'),
  replied('1', 'req-1', 200, ['payment']),
  finished('1', 'remote'),
  finished('2'),
  sagaEvent('SagaCompleted', { context: { sku: 'A1' } }),
  sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: 'vote-stock' }, { service: 'payment', requestId: 'vote-payment' }] }),
  sagaEvent('VoteReceived', { service: 'stock', requestId: 'vote-stock', vote: true }),
  sagaEvent('VoteReceived', { service: 'payment', requestId: 'vote-payment', vote: false, reason: 'over budget' }),
  sagaEvent('TransactionRejected', { services: ['stock', 'payment'], reason: 'payment voted no' }),
  sagaEvent('CommitFailed', { error: { name: 'CommitFailedError', message: 'payment voted no' } }),
  compensationSent('1', 'payment.refund'),
  replied('1', 'comp-1', 400, ['payment']),
  sagaEvent('CompensationFailed', { path: '1', error: { name: 'ErrorReply', message: 'refund refused' } }),
];
// A re-sent request, a remote compensation retried, given up, and resumed by an operator.
const retriedThenResumed = [
  started(),
  finished('0'),
  sent('1'),
  timer('t-reply-1', 'reply', { requestId: 'req-1', path: '1' }),
  timer('t-resend-1', 'resend', { requestId: 'req-1', path: '1' }),
  fired('t-resend-1'),
  sagaEvent('RequestResent', { path: '1', requestId: 'req-1', attempt: 2 }),
  replied('1', 'req-1'),
  finished('1', 'remote'),
  failed('2'),
  compensationSent('1', 'stock.release', 'comp-1a'),
  replied('1', 'comp-1a', 400),
  sagaEvent('CompensationAttemptFailed', { path: '1', error: { name: 'ErrorReply', message: 'busy' }, attempt: 1 }),
  timer('t-retry-1', 'retry', { path: '1' }),
  fired('t-retry-1'),
  compensationSent('1', 'stock.release', 'comp-1b'),
  replied('1', 'comp-1b', 400),
  sagaEvent('CompensationFailed', { path: '1', error: { name: 'ErrorReply', message: 'busy (after 2 attempts)' } }),
  sagaEvent('CompensationResumed', { path: '1' }),
  compensationSent('1', 'stock.release', 'comp-1c'),
  replied('1', 'comp-1c'),
  sagaEvent('StepCompensated', { path: '1', requestId: 'comp-1c' }),
  sagaEvent('StepCompensated', { path: '0' }),
  sagaEvent('SagaFailed', { error: boom }),
];
// Cancelled while a request was in flight: the reply is awaited, then the finished steps compensated.
const cancelledInFlight = [
  started({ key: 'order-1001' }),
  finished('0'),
  sent('1'),
  sagaEvent('CancelRequested', { reason: 'the customer called', by: 'ops' }),
  replied('1', 'req-1'),
  finished('1', 'remote'),
  sagaEvent('CancelStarted', {}),
  compensationSent('1'),
  replied('1', 'comp-1'),
  sagaEvent('StepCompensated', { path: '1', requestId: 'comp-1' }),
  sagaEvent('StepCompensated', { path: '0' }),
  sagaEvent('SagaFailed', { error: { name: 'SagaCancelledError', message: 'Cancelled by ops: the customer called' } }),
];
// Two branches wait at once; one fails on its reply; the other's reply is awaited, then it is compensated.
const parallelBranchFailed = [
  started(),
  sagaEvent('ParallelStarted', { path: '0', branches: 2 }),
  sent('0.0.0'),
  sent('0.1.0', 'payment.charge'),
  replied('0.1.0', 'req-0.1.0', 400, ['payment']),
  failed('0.1.0', { kind: 'remote', status: 'errored-on-error', requestId: 'req-0.1.0' }),
  replied('0.0.0', 'req-0.0.0'),
  finished('0.0.0', 'remote', { sku: 'A1', reserved: true }),
  sagaEvent('CompensationStarted', {}),
  compensationSent('0.0.0'),
  replied('0.0.0', 'comp-0.0.0'),
  sagaEvent('StepCompensated', { path: '0.0.0', requestId: 'comp-0.0.0' }),
  sagaEvent('SagaFailed', { error: boom }),
];
// A child step whose child finished; a later step fails, so the parent asks the child to compensate.
const childDefinition = { name: 'ship_parcel', version: '1', fingerprint: 'c0de' };
const parentCompensatesChild = [
  started(),
  sagaEvent('ChildStarted', { path: '0', childId: 'child-1', definition: childDefinition, context: { parcel: 1 } }),
  sagaEvent('ChildEnded', { path: '0', childId: 'child-1', outcome: 'finished', context: { parcel: 1, tracking: 'T-1' } }),
  finished('0', 'child', { sku: 'A1', tracking: 'T-1' }),
  failed('1'),
  sagaEvent('ChildCompensationRequested', { path: '0', childId: 'child-1' }),
  sagaEvent('ChildEnded', { path: '0', childId: 'child-1', outcome: 'compensated' }),
  sagaEvent('StepCompensated', { path: '0' }),
  sagaEvent('SagaFailed', { error: boom }),
];
// The child's own stream: it finished, then its parent asked it to compensate.
const childCompensatedByParent = [
  started({ executionId: 'child-1', parent: { executionId: 'exec-1', path: '0' } }),
  finished('0'),
  sagaEvent('SagaCompleted', { context: { sku: 'A1' } }),
  sagaEvent('CompensationRequested', { parentId: 'exec-1' }),
  sagaEvent('StepCompensated', { path: '0' }),
  sagaEvent('SagaFailed', { error: { name: 'CompensatedByParent', message: 'Compensated because its parent exec-1 compensated the step that ran it.' } }),
];
const histories = {
  happyWithCommit,
  timeoutThenRollback,
  commitFailedThenStuck,
  retriedThenResumed,
  cancelledInFlight,
  parallelBranchFailed,
  parentCompensatesChild,
  childCompensatedByParent,
};

describe('initialExecution', () => {
  it('is the state before any event: created, forward, nothing recorded, revision -1', () => {
    const execution = initialExecution();
    expect(execution).toMatchObject({ status: SagaStatus.Created, phase: 'forward', steps: [], revision: -1, transaction: { status: 'none', participants: [], votes: [] } });
    expect(execution.compensation).toEqual({ plan: [], done: [], attempts: {} });
    expect(execution.timers).toEqual([]);
    expect(execution.startedAt).toBeUndefined();
    expect(Object.isFrozen(execution)).toBe(true);
  });

  it('is a fresh value on each call, so no fold can leak into another', () => {
    expect(initialExecution().compensation.plan).not.toBe(initialExecution().compensation.plan);
  });
});

describe('evolve, event by event', () => {
  describe('SagaStarted', () => {
    it('records what the execution runs, with what, for whom; the execution is running', () => {
      const execution = given(started());
      expect(execution).toMatchObject({
        id: 'exec-1',
        definition: { name: 'order', version: '2', fingerprint: 'f00d' },
        context: { sku: 'A1' },
        user: 'alice',
        service: 'orders',
        autocommit: true,
        status: SagaStatus.Running,
        phase: 'forward',
        revision: 0,
        startedAt: timeOf(0),
        updatedAt: timeOf(0),
      });
    });

    it('leaves user absent when it was recorded as null, and keeps autocommit false', () => {
      const execution = given(started({ user: null, autocommit: false }));
      expect('user' in execution).toBe(false);
      expect(execution.autocommit).toBe(false);
    });
  });

  describe('StepFinished', () => {
    it('marks the step finished with its kind and replaces the context with the one recorded', () => {
      const execution = given(started(), finished('0', 'local', { sku: 'A1', total: 42 }));
      expect(stepOf(execution, '0')).toEqual({ path: '0', kind: 'local', status: StepStatus.Finished });
      expect(execution.context).toEqual({ sku: 'A1', total: 42 });
      expect(execution.status).toBe(SagaStatus.Running);
    });

    it('keeps the context when none was recorded (the callback returned nothing)', () => {
      const execution = given(started(), finished('0', 'local', { total: 1 }), finished('1', 'local'));
      expect(execution.context).toEqual({ total: 1 });
      expect(statusOf(execution, '1')).toBe(StepStatus.Finished);
    });

    it('lists steps in the order they were first recorded', () => {
      const execution = given(started(), finished('0'), sent('1'), replied('1', 'req-1'), finished('1', 'remote'), finished('2'));
      expect(execution.steps.map((s) => s.path)).toEqual(['0', '1', '2']);
    });
  });

  describe('RequestSent', () => {
    it('pauses the execution on the remote step, with the pending request for its execution', () => {
      const execution = given(started(), finished('0'), sent('1', 'stock.reserve', 'r-1'));
      expect(stepOf(execution, '1')).toEqual({ path: '1', kind: 'remote', status: StepStatus.PausedByOnExecute, requestId: 'r-1' });
      expect(execution.pendingRequest).toEqual({ path: '1', requestId: 'r-1', target: 'stock.reserve', payload: { path: '1' }, purpose: 'execute', sentAt: timeOf(2), attempt: 1 });
      expect(execution.status).toBe(SagaStatus.Paused);
    });

    it('has an empty sentAt when the event was not stored yet (a decision in progress)', () => {
      const execution = evolve(given(started()), sent('0'));
      expect(execution.pendingRequest?.sentAt).toBe('');
    });
  });

  describe('ReplyReceived', () => {
    it.each([
      [200, StepStatus.RunningOnSuccess],
      [400, StepStatus.RunningOnError],
      [500, StepStatus.RunningOnError],
    ] as const)('to a forward request with status %i: the step is %s, the request is no longer pending', (status, stepStatus) => {
      const execution = given(started(), sent('0'), replied('0', 'req-0', status));
      expect(statusOf(execution, '0')).toBe(stepStatus);
      expect(execution.pendingRequest).toBeUndefined();
      expect(execution.status).toBe(SagaStatus.Running);
    });

    it('collects the services that answered, each once, in the order they first answered', () => {
      const execution = given(
        started(),
        sent('0'),
        replied('0', 'req-0', 200, ['stock', 'warehouse']),
        finished('0', 'remote'),
        sent('1', 'payment.charge'),
        replied('1', 'req-1', 200, ['payment', 'stock']),
      );
      expect(execution.transaction.participants).toEqual(['stock', 'warehouse', 'payment']);
    });

    it('sets autocommit when it carries one (a caller continued with run({ response, autocommit })), and keeps it otherwise', () => {
      const turnedOff = sagaEvent('ReplyReceived', { ...replied('0', 'req-0').data, autocommit: false });
      expect(given(started(), sent('0'), turnedOff).autocommit).toBe(false);
      expect(given(started(), sent('0'), turnedOff, finished('0', 'remote'), sent('1'), replied('1', 'req-1')).autocommit).toBe(false);
      expect(given(started({ autocommit: false }), sent('0'), replied('0', 'req-0')).autocommit).toBe(false);
    });

    it('to a compensation request: clears the pending request and leaves the step paused on its failure', () => {
      const execution = given(started(), finished('0'), sent('1'), failed('1', { kind: 'remote', status: 'timed-out', compensate: true }), compensationSent('1'), replied('1', 'comp-1'));
      expect(statusOf(execution, '1')).toBe(StepStatus.PausedOnFailure);
      expect(execution.pendingRequest).toBeUndefined();
      expect(execution.status).toBe(SagaStatus.Running);
    });
  });

  describe('BranchChosen', () => {
    it.each([0, 'else'] as const)('branch %s: the conditional step is running, with the branch recorded', (branch) => {
      const execution = given(started(), sagaEvent('BranchChosen', { path: '0', branch }));
      expect(stepOf(execution, '0')).toEqual({ path: '0', kind: 'conditional', status: StepStatus.RunningOnExecute, branch });
    });

    it('no branch applied (null): the conditional step is finished at once', () => {
      const execution = given(started(), sagaEvent('BranchChosen', { path: '0', branch: null }));
      expect(stepOf(execution, '0')).toEqual({ path: '0', kind: 'conditional', status: StepStatus.Finished, branch: null });
    });
  });

  describe('StepFailed', () => {
    it('records the failure on the step and starts compensating with its error', () => {
      const error = { name: 'ReplyTimeoutError', message: 'no reply' };
      const execution = given(started(), finished('0'), sent('1'), failed('1', { kind: 'remote', status: 'timed-out', compensate: true, error, requestId: 'req-1' }));
      expect(stepOf(execution, '1')).toEqual({ path: '1', kind: 'remote', status: StepStatus.TimedOut, error, requestId: 'req-1' });
      expect(execution).toMatchObject({ error, phase: 'compensating', status: SagaStatus.Running });
      expect(execution.pendingRequest).toBeUndefined();
    });

    it('plans the completed steps in reverse completion order, leaving out the failing step when compensate is false', () => {
      const execution = given(started(), finished('0'), sent('1'), replied('1', 'req-1'), finished('1', 'remote'), finished('2'), failed('3', { compensate: false }));
      expect(execution.compensation).toEqual({ plan: ['2', '1', '0'], done: [], attempts: {} });
    });

    it('puts the failing step first in the plan when compensate is true (its effect may have happened)', () => {
      const execution = given(started(), finished('0'), finished('1'), sent('2'), failed('2', { kind: 'remote', status: 'timed-out', compensate: true }));
      expect(execution.compensation.plan).toEqual(['2', '1', '0']);
    });

    it('plans nothing when the first step fails on its own', () => {
      expect(given(started(), failed('0')).compensation.plan).toEqual([]);
    });

    it('plans the steps inside a branch, not the conditional step itself', () => {
      const execution = given(
        started(),
        finished('0'),
        sagaEvent('BranchChosen', { path: '1', branch: 0 }),
        finished('1.0.0'),
        finished('1.0.1'),
        finished('1', 'conditional'),
        failed('2'),
      );
      expect(execution.compensation.plan).toEqual(['1.0.1', '1.0.0', '0']);
    });

    it('marks the conditional step around a failed inner step errored ("2.0.1" → "2")', () => {
      const execution = given(started(), finished('0'), finished('1'), sagaEvent('BranchChosen', { path: '2', branch: 0 }), finished('2.0.0'), failed('2.0.1'));
      expect(statusOf(execution, '2')).toBe(StepStatus.ErroredByOnExecute);
      expect(stepOf(execution, '2')?.branch).toBe(0);
      expect(statusOf(execution, '2.0.0')).toBe(StepStatus.Finished);
      expect(execution.compensation.plan).toEqual(['2.0.0', '1', '0']);
    });

    it('marks every enclosing conditional step errored when the failure is nested ("0.else.0.0.0")', () => {
      const execution = given(
        started(),
        sagaEvent('BranchChosen', { path: '0', branch: 'else' }),
        sagaEvent('BranchChosen', { path: '0.else.0', branch: 0 }),
        failed('0.else.0.0.0', { kind: 'remote', status: 'errored-by-on-execute' }),
      );
      expect(statusOf(execution, '0')).toBe(StepStatus.ErroredByOnExecute);
      expect(statusOf(execution, '0.else.0')).toBe(StepStatus.ErroredByOnExecute);
      expect(statusOf(execution, '0.else.0.0.0')).toBe(StepStatus.ErroredByOnExecute);
    });

    it('keeps the first error when a later event reports another', () => {
      const first = { name: 'Error', message: 'first' };
      const execution = given(started(), failed('0', { error: first }), sagaEvent('SagaFailed', { error: { name: 'Error', message: 'second' } }));
      expect(execution.error).toEqual(first);
    });
  });

  describe('CompensationRequestSent', () => {
    it('pauses on the step with its compensation request pending (purpose compensate)', () => {
      const execution = given(started(), sent('0'), replied('0', 'req-0'), finished('0', 'remote'), failed('1'), compensationSent('0', 'stock.release', 'c-0'));
      expect(stepOf(execution, '0')).toMatchObject({ status: StepStatus.PausedOnFailure, requestId: 'c-0' });
      expect(execution.pendingRequest).toEqual({ path: '0', requestId: 'c-0', target: 'stock.release', payload: { undo: '0' }, purpose: 'compensate', sentAt: timeOf(5), attempt: 1 });
      expect(execution.status).toBe(SagaStatus.Paused);
      expect(execution.phase).toBe('compensating');
    });
  });

  describe('StepCompensated', () => {
    it('marks the step compensated, adds it to done, takes the recorded context and clears the pending request', () => {
      const execution = given(
        started(),
        finished('0', 'local', { created: true }),
        sent('1'),
        replied('1', 'req-1'),
        finished('1', 'remote'),
        failed('2'),
        compensationSent('1'),
        replied('1', 'comp-1'),
        sagaEvent('StepCompensated', { path: '1', requestId: 'comp-1' }),
        sagaEvent('StepCompensated', { path: '0', context: { created: false } }),
      );
      expect([statusOf(execution, '1'), statusOf(execution, '0')]).toEqual([StepStatus.Compensated, StepStatus.Compensated]);
      expect(execution.compensation).toEqual({ plan: ['1', '0'], done: ['1', '0'], attempts: {} });
      expect(execution.context).toEqual({ created: false });
      expect(execution.pendingRequest).toBeUndefined();
      expect(execution.status).toBe(SagaStatus.Running);
    });

    it('keeps the context when none was recorded', () => {
      const execution = given(started(), finished('0', 'local', { created: true }), failed('1'), sagaEvent('StepCompensated', { path: '0' }));
      expect(execution.context).toEqual({ created: true });
    });
  });

  describe('CompensationFailed', () => {
    it('stops the execution, errored and visible: the step, its error and the failed compensation are recorded', () => {
      const error = { name: 'Error', message: 'ledger down' };
      const execution = given(started(), finished('0'), failed('1'), sagaEvent('CompensationFailed', { path: '0', error }));
      expect(stepOf(execution, '0')).toMatchObject({ status: StepStatus.ErroredOnFailure, error });
      expect(execution.compensation.failed).toEqual({ path: '0', error });
      expect(execution).toMatchObject({ status: SagaStatus.Errored, phase: 'ended', error: boom });
    });

    it('clears a pending compensation request and leaves the transaction pending when there are participants', () => {
      const execution = given(started(), sent('0'), replied('0', 'req-0'), finished('0', 'remote'), failed('1'), compensationSent('0'), sagaEvent('CompensationFailed', { path: '0', error: boom }));
      expect(execution.pendingRequest).toBeUndefined();
      expect(execution.transaction.status).toBe('pending');
    });
  });

  describe('SagaFailed', () => {
    it('ends the execution errored; with no participant there is no transaction', () => {
      const execution = given(started(), failed('0'), sagaEvent('SagaFailed', { error: boom }));
      expect(execution).toMatchObject({ status: SagaStatus.Errored, phase: 'ended', error: boom });
      expect(execution.transaction.status).toBe('none');
    });

    it('leaves the transaction pending when participants answered (they must be told to reject)', () => {
      const execution = given(started(), sent('0'), replied('0', 'req-0'), finished('0', 'remote'), failed('1'), sagaEvent('StepCompensated', { path: '0' }), sagaEvent('SagaFailed', { error: boom }));
      expect(execution.transaction).toEqual({ status: 'pending', participants: ['stock'], votes: [], notified: false });
    });

    it('does not reopen a transaction already rejected (the commit failed first)', () => {
      const execution = fold(recorded(...commitFailedThenStuck.slice(0, 14), sagaEvent('SagaFailed', { error: boom })));
      expect(execution.transaction.status).toBe('rejected');
    });

    it('records its error when no earlier event had one', () => {
      expect(given(started(), sagaEvent('SagaFailed', { error: boom })).error).toEqual(boom);
    });
  });

  describe('SagaCompleted', () => {
    it('finishes the execution with the final context; no participant means no transaction', () => {
      const execution = given(started(), finished('0'), sagaEvent('SagaCompleted', { context: { done: true } }));
      expect(execution).toMatchObject({ status: SagaStatus.Finished, phase: 'ended', context: { done: true } });
      expect(execution.transaction.status).toBe('none');
    });

    it('leaves the transaction pending when participants answered', () => {
      const execution = given(started(), sent('0'), replied('0', 'req-0'), finished('0', 'remote'), sagaEvent('SagaCompleted', { context: {} }));
      expect(execution.transaction).toEqual({ status: 'pending', participants: ['stock'], votes: [], notified: false });
    });
  });

  describe('transaction events', () => {
    const completedWithTwo = [
      started(),
      sent('0'),
      replied('0', 'req-0', 200, ['stock']),
      finished('0', 'remote'),
      sent('1', 'payment.charge'),
      replied('1', 'req-1', 200, ['payment']),
      finished('1', 'remote'),
      sagaEvent('SagaCompleted', { context: {} }),
    ];
    const votesAsked = sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: 'v-s' }, { service: 'payment', requestId: 'v-p' }] });

    it('VotesRequested: reserving, one vote per participant, none answered yet', () => {
      const execution = given(...completedWithTwo, votesAsked);
      expect(execution.transaction).toEqual({
        status: 'reserving',
        participants: ['stock', 'payment'],
        votes: [
          { service: 'stock', requestId: 'v-s' },
          { service: 'payment', requestId: 'v-p' },
        ],
        notified: false,
      });
    });

    it('VoteReceived: records the vote (and a no vote’s reason) on the matching request only', () => {
      const execution = given(
        ...completedWithTwo,
        votesAsked,
        sagaEvent('VoteReceived', { service: 'payment', requestId: 'v-p', vote: false, reason: 'over budget' }),
      );
      expect(execution.transaction.votes).toEqual([
        { service: 'stock', requestId: 'v-s' },
        { service: 'payment', requestId: 'v-p', vote: false, reason: 'over budget' },
      ]);
      expect(execution.transaction.status).toBe('reserving');
    });

    it('TransactionCommitted: committed; the execution stays finished', () => {
      const execution = given(...completedWithTwo, votesAsked, sagaEvent('TransactionCommitted', { services: ['stock', 'payment'] }));
      expect(execution.transaction.status).toBe('committed');
      expect(execution.status).toBe(SagaStatus.Finished);
    });

    it('TransactionRejected: rejected', () => {
      expect(given(...completedWithTwo, sagaEvent('TransactionRejected', { services: ['stock'], reason: 'operator' })).transaction.status).toBe('rejected');
    });

    it('CommitFailed: compensates every completed step in reverse, with the commit error', () => {
      const error = { name: 'CommitFailedError', message: 'payment voted no' };
      const execution = given(...completedWithTwo, votesAsked, sagaEvent('TransactionRejected', { services: ['stock', 'payment'], reason: 'no' }), sagaEvent('CommitFailed', { error }));
      expect(execution).toMatchObject({ phase: 'compensating', status: SagaStatus.Running, error });
      expect(execution.compensation).toEqual({ plan: ['1', '0'], done: [], attempts: {} });
      expect(execution.transaction.status).toBe('rejected');
    });

    it('CommitFailed leaves conditional steps out of the plan and keeps the steps of the branch taken', () => {
      const execution = given(...happyWithCommit.slice(0, 11), sagaEvent('CommitFailed', { error: boom }));
      expect(execution.compensation.plan).toEqual(['2.0.0', '1', '0']);
    });
  });

  describe('timers', () => {
    const pendingReply = [started(), sent('0')];

    it('TimerScheduled: the timer is active while what it waits for can still happen', () => {
      const execution = given(...pendingReply, timer('t-1', 'reply', { requestId: 'req-0', path: '0' }));
      expect(execution.timers).toEqual([{ timerId: 't-1', purpose: 'reply', dueAt: '2030-01-02T00:00:00.000Z', requestId: 'req-0', path: '0' }]);
    });

    it('TimerFired: the timer is no longer active', () => {
      expect(given(...pendingReply, timer('t-1', 'reply', { requestId: 'req-0' }), fired('t-1')).timers).toEqual([]);
    });

    it('drops a reply or resend timer once its request is answered', () => {
      const events = [...pendingReply, timer('t-reply', 'reply', { requestId: 'req-0' }), timer('t-resend', 'resend', { requestId: 'req-0' })];
      expect(given(...events).timers.map((t) => t.timerId)).toEqual(['t-reply', 't-resend']);
      expect(given(...events, replied('0', 'req-0')).timers).toEqual([]);
    });

    it('never holds a reply timer for a request that is not the pending one', () => {
      expect(given(...pendingReply, timer('t-old', 'reply', { requestId: 'req-older' })).timers).toEqual([]);
    });

    it('holds the deadline only while the execution runs forward', () => {
      const withDeadline = [started(), timer('t-deadline', 'deadline'), finished('0')];
      expect(given(...withDeadline).timers.map((t) => t.purpose)).toEqual(['deadline']);
      expect(given(...withDeadline, sagaEvent('SagaCompleted', { context: {} })).timers).toEqual([]);
      expect(given(...withDeadline, failed('1')).timers).toEqual([]);
    });

    it('holds the votes timer only while votes are being gathered', () => {
      const reserving = [started(), sent('0'), replied('0', 'req-0'), finished('0', 'remote'), sagaEvent('SagaCompleted', { context: {} }), sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: 'v' }] }), timer('t-votes', 'votes')];
      expect(given(...reserving).timers.map((t) => t.purpose)).toEqual(['votes']);
      expect(given(...reserving, sagaEvent('TransactionCommitted', { services: ['stock'] })).timers).toEqual([]);
    });

    it('holds a retry timer while compensating with nothing pending, and drops it once a compensation request is out', () => {
      const retrying = [started(), sent('0'), replied('0', 'req-0'), finished('0', 'remote'), failed('1'), timer('t-retry', 'retry', { path: '0' })];
      expect(given(...retrying).timers.map((t) => t.purpose)).toEqual(['retry']);
      expect(given(...retrying, compensationSent('0')).timers).toEqual([]);
    });
  });

  describe('RequestResent', () => {
    it('counts the attempt on the pending request, which keeps its id', () => {
      const execution = given(started(), sent('0', 'stock.reserve', 'r-0'), sagaEvent('RequestResent', { path: '0', requestId: 'r-0', attempt: 3 }));
      expect(execution.pendingRequest).toMatchObject({ requestId: 'r-0', attempt: 3 });
      expect(execution.status).toBe(SagaStatus.Paused);
    });

    it('changes nothing for a request that is no longer pending', () => {
      const execution = given(started(), sent('0', 'stock.reserve', 'r-0'), sagaEvent('RequestResent', { path: '0', requestId: 'r-old', attempt: 2 }));
      expect(execution.pendingRequest?.attempt).toBe(1);
    });
  });

  describe('CompensationAttemptFailed', () => {
    const compensating = [started(), sent('0'), replied('0', 'req-0'), finished('0', 'remote'), failed('1'), compensationSent('0')];
    const busy = { name: 'ErrorReply', message: 'busy' };

    it('counts the failed attempt, marks the step, clears the request and keeps compensating (not ended)', () => {
      const execution = given(...compensating, replied('0', 'comp-0', 400), sagaEvent('CompensationAttemptFailed', { path: '0', error: busy, attempt: 2 }));
      expect(execution.compensation).toEqual({ plan: ['0'], done: [], attempts: { '0': 2 } });
      expect(stepOf(execution, '0')).toMatchObject({ status: StepStatus.ErroredOnFailure, error: busy });
      expect(execution.pendingRequest).toBeUndefined();
      expect(execution).toMatchObject({ status: SagaStatus.Running, phase: 'compensating', error: boom });
    });
  });

  describe('CompensationResumed', () => {
    it('clears the failed compensation and its attempts, and compensates again', () => {
      const stopped = [
        started(),
        sent('0'),
        replied('0', 'req-0'),
        finished('0', 'remote'),
        failed('1'),
        sagaEvent('CompensationAttemptFailed', { path: '0', error: boom, attempt: 1 }),
        sagaEvent('CompensationFailed', { path: '0', error: boom }),
      ];
      expect(given(...stopped).compensation).toEqual({ plan: ['0'], done: [], attempts: { '0': 1 }, failed: { path: '0', error: boom } });
      const execution = given(...stopped, sagaEvent('CompensationResumed', { path: '0' }));
      expect(execution.compensation).toEqual({ plan: ['0'], done: [], attempts: {} });
      expect(execution).toMatchObject({ status: SagaStatus.Running, phase: 'compensating' });
    });
  });

  describe('ParallelStarted, branches and the join', () => {
    const parallel = sagaEvent('ParallelStarted', { path: '1', branches: 2 });

    it('opens the parallel step with a copy of the context per branch; each branch’s steps change its own copy', () => {
      const execution = given(started(), finished('0', 'local', { sku: 'A1', n: 0 }), parallel, finished('1.0.0', 'local', { sku: 'A1', n: 0, stock: 'ok' }));
      expect(stepOf(execution, '1')).toMatchObject({ kind: 'parallel', status: StepStatus.RunningOnExecute });
      expect(execution.parallelSteps).toEqual([{ path: '1', start: { sku: 'A1', n: 0 }, branches: [{ sku: 'A1', n: 0, stock: 'ok' }, { sku: 'A1', n: 0 }] }]);
      expect(execution.context).toEqual({ sku: 'A1', n: 0 });
      expect(contextAt(execution, '1.0.1')).toEqual({ sku: 'A1', n: 0, stock: 'ok' });
      expect(contextAt(execution, '1.1.0')).toEqual({ sku: 'A1', n: 0 });
    });

    it('keeps every branch’s request pending at once: paused, pendingRequest only when exactly one is', () => {
      const both = given(started(), parallel, sent('1.0.0'), sent('1.1.0', 'payment.charge'));
      expect(both.pendingRequests.map((p) => p.requestId)).toEqual(['req-1.0.0', 'req-1.1.0']);
      expect(both.pendingRequest).toBeUndefined();
      expect(both.status).toBe(SagaStatus.Paused);
      const one = evolve(both, replied('1.1.0', 'req-1.1.0'));
      expect(one.pendingRequest?.requestId).toBe('req-1.0.0');
      expect(one.status).toBe(SagaStatus.Paused);
    });

    it('the join closes the parallel step and sets the context around it', () => {
      const execution = given(started(), parallel, finished('1.0.0'), finished('1.1.0'), finished('1', 'parallel', { joined: true }));
      expect(execution.parallelSteps).toEqual([]);
      expect(execution.context).toEqual({ joined: true });
      expect(execution.completedSteps).toEqual(['1.0.0', '1.1.0']);
    });

    it('a branch that fails while another waits: forward, paused, no plan yet; the reply is awaited, then CompensationStarted plans every finished step', () => {
      const halted = given(started(), finished('0'), parallel, sent('1.0.0'), failed('1.1.0'));
      expect(halted).toMatchObject({ phase: 'forward', status: SagaStatus.Paused, error: boom });
      expect(halted.compensation.plan).toEqual([]);
      const drained = given(started(), finished('0'), parallel, sent('1.0.0'), failed('1.1.0'), replied('1.0.0', 'req-1.0.0'), finished('1.0.0', 'remote'), sagaEvent('CompensationStarted', {}));
      expect(drained).toMatchObject({ phase: 'compensating', status: SagaStatus.Running, error: boom });
      expect(drained.compensation.plan).toEqual(['1.0.0', '0']);
    });

    it('the last request in flight timing out starts the compensation at once', () => {
      const execution = given(started(), parallel, sent('1.0.0'), failed('1.1.0'), fired('t'), failed('1.0.0', { kind: 'remote', status: 'timed-out', compensate: true, requestId: 'req-1.0.0' }));
      expect(execution.phase).toBe('compensating');
      expect(execution.compensation.plan).toEqual(['1.0.0']);
      expect(execution.pendingRequests).toEqual([]);
    });
  });

  describe('child steps', () => {
    it('ChildStarted: the step waits for its child (paused); ChildEnded then StepFinished go on with the context onSuccess gave', () => {
      const waiting = given(...parentCompensatesChild.slice(0, 2));
      expect(waiting.pendingChildren).toEqual([{ path: '0', childId: 'child-1', purpose: 'execute', definition: childDefinition, context: { parcel: 1 } }]);
      expect(stepOf(waiting, '0')).toMatchObject({ kind: 'child', status: StepStatus.PausedByOnExecute, childId: 'child-1' });
      expect(waiting.status).toBe(SagaStatus.Paused);
      const done = given(...parentCompensatesChild.slice(0, 4));
      expect(done.pendingChildren).toEqual([]);
      expect(done.context).toEqual({ sku: 'A1', tracking: 'T-1' });
      expect(done.completedSteps).toEqual(['0']);
    });

    it('compensating a child step waits for the child to compensate, then marks it compensated', () => {
      const asked = given(...parentCompensatesChild.slice(0, 6));
      expect(asked.pendingChildren).toMatchObject([{ path: '0', childId: 'child-1', purpose: 'compensate' }]);
      expect(asked.status).toBe(SagaStatus.Paused);
      const done = given(...parentCompensatesChild);
      expect(done).toMatchObject({ status: SagaStatus.Errored, phase: 'ended' });
      expect(statusOf(done, '0')).toBe(StepStatus.Compensated);
    });

    it('a child records its parent; CompensationRequested reopens the finished child to compensate its steps in reverse', () => {
      const reopened = given(...childCompensatedByParent.slice(0, 4));
      expect(reopened.parent).toEqual({ executionId: 'exec-1', path: '0' });
      expect(reopened).toMatchObject({ phase: 'compensating', status: SagaStatus.Running });
      expect(reopened.compensation.plan).toEqual(['0']);
      expect(reopened.error?.name).toBe('CompensatedByParent');
    });
  });

  describe('CancelRequested and CancelStarted', () => {
    const cancel = sagaEvent('CancelRequested', { reason: 'the customer called', by: 'ops' });

    it('CancelRequested records the cancellation and changes nothing else: a request in flight stays pending', () => {
      const before = given(started(), finished('0'), sent('1'));
      const execution = given(started(), finished('0'), sent('1'), cancel);
      expect(execution.cancellation).toEqual({ reason: 'the customer called', by: 'ops', requestedAt: timeOf(3) });
      expect(execution).toMatchObject({ status: SagaStatus.Paused, phase: 'forward', pendingRequest: before.pendingRequest });
      expect(execution.error).toBeUndefined();
    });

    it('CancelStarted compensates the finished steps in reverse, with SagaCancelledError as the execution’s error', () => {
      const execution = given(started(), finished('0'), sent('1'), cancel, replied('1', 'req-1'), finished('1', 'remote'), sagaEvent('CancelStarted', {}));
      expect(execution).toMatchObject({ phase: 'compensating', status: SagaStatus.Running });
      expect(execution.compensation.plan).toEqual(['1', '0']);
      expect(execution.error).toEqual({ name: 'SagaCancelledError', message: 'Cancelled by ops: the customer called' });
    });

    it('a step that fails while the cancel is awaited (a timeout) compensates, and the execution’s error is still the cancel', () => {
      const execution = given(started(), sent('0'), cancel, fired('t'), failed('0', { kind: 'remote', status: 'timed-out', compensate: true, requestId: 'req-0' }));
      expect(execution.phase).toBe('compensating');
      expect(execution.error?.name).toBe('SagaCancelledError');
      expect(stepOf(execution, '0')?.error).toEqual(boom);
    });

    it('SagaStarted keeps the business key of an idempotent start', () => {
      expect(given(started({ key: 'order-1001' })).key).toBe('order-1001');
      expect(given(started()).key).toBeUndefined();
    });
  });

  describe('revision and timestamps', () => {
    it('revision is the last event’s; startedAt is the first event’s time, updatedAt the last’s', () => {
      const execution = given(started(), finished('0'), finished('1'));
      expect(execution).toMatchObject({ revision: 2, startedAt: timeOf(0), updatedAt: timeOf(2) });
    });

    it('takes the stored revision as it is (it does not count events)', () => {
      const execution = evolve(given(started()), { ...finished('0'), revision: 7, recordedAt: timeOf(7) });
      expect(execution).toMatchObject({ revision: 7, updatedAt: timeOf(7), startedAt: timeOf(0) });
    });

    it('counts on from the previous revision for events not stored yet, keeping the stored times', () => {
      const execution = evolve(evolve(given(started()), finished('0')), finished('1'));
      expect(execution).toMatchObject({ revision: 2, updatedAt: timeOf(0), startedAt: timeOf(0) });
    });

    it('has no startedAt when SagaStarted was not stored yet', () => {
      const execution = evolve(initialExecution(), started());
      expect(execution.revision).toBe(0);
      expect(execution.startedAt).toBeUndefined();
    });
  });
});

describe('whole histories', () => {
  it('the histories hold every event type of the catalogue', () => {
    const types = new Set(Object.values(histories).flatMap((events) => events.map((e) => e.type)));
    expect([...types].sort()).toEqual(Object.keys(sagaEventCodecs).sort());
  });

  it.each(Object.entries(histories))('%s: evolve never changes the execution it is given', (_, events) => {
    const stored = recorded(...events);
    let execution = initialExecution();
    for (const event of stored) {
      const before = structuredClone(deepFreeze(execution));
      // A write through the deep-frozen input would throw here rather than pass silently.
      const after = evolve(execution, event);
      expect(execution).toEqual(before);
      expect(after).not.toBe(execution);
      expect(Object.isFrozen(after)).toBe(true);
      execution = after;
    }
  });

  it.each(Object.entries(histories))('%s: fold equals evolve applied event by event, at every prefix', (_, events) => {
    const stored = recorded(...events);
    let stepwise = initialExecution();
    for (const [index, event] of stored.entries()) {
      stepwise = evolve(stepwise, event);
      expect(fold(stored.slice(0, index + 1))).toEqual(stepwise);
    }
  });

  it.each(Object.entries(histories))('%s: stamp of a batch folded unstamped equals the batch folded as stored, for every batch of 1 to 4 events', (_, events) => {
    const stored = recorded(...events);
    for (let from = 0; from < events.length; from++) {
      const before = fold(stored.slice(0, from));
      for (let to = from + 1; to <= Math.min(events.length, from + 4); to++) {
        // One append: its events share the time the store recorded.
        const batch = events.slice(from, to);
        const at = new Date(T0 + 9_000_000 + to).toISOString();
        const unstamped = batch.reduce((execution, event) => evolve(execution, event), before);
        const asStored = fold(batch.map((event, index) => ({ ...event, revision: from + index, recordedAt: at })), before);
        expect(stamp(unstamped, at)).toEqual(asStored);
      }
    }
  });

  it('stamp sets what the time of an append decides: the start, the sending time of requests sent now, the cancel, the last change', () => {
    const at = '2031-05-05T05:05:05.005Z';
    const before = fold(recorded(started(), sent('0', 'stock.reserve', 'req-old')));
    const batch = [sagaEvent('CancelRequested', { reason: 'withdrawn', by: 'ops' }), compensationSent('1', 'stock.release', 'req-new')];
    const stamped = stamp(batch.reduce((execution, event) => evolve(execution, event), before), at);
    expect(stamped.updatedAt).toBe(at);
    expect(stamped.startedAt).toBe(before.startedAt);
    expect(stamped.cancellation).toEqual({ reason: 'withdrawn', by: 'ops', requestedAt: at });
    expect(stamped.pendingRequests.map((request) => [request.requestId, request.sentAt])).toEqual([
      ['req-old', timeOf(1)],
      ['req-new', at],
    ]);
    expect(Object.isFrozen(stamped)).toBe(true);
    const opened = stamp(evolve(initialExecution(), started()), at);
    expect(opened).toMatchObject({ startedAt: at, updatedAt: at, revision: 0 });
  });

  it('fold continues from a given execution as if the whole history were folded', () => {
    const stored = recorded(...commitFailedThenStuck);
    expect(fold(stored.slice(9), fold(stored.slice(0, 9)))).toEqual(fold(stored));
  });

  it.each(Object.entries(histories))('%s: replay(upTo) equals the fold of the events up to that revision', (_, events) => {
    const stored = recorded(...events);
    for (let upTo = 0; upTo < stored.length; upTo++) {
      expect(replay(stored, upTo)).toEqual(fold(stored.slice(0, upTo + 1)));
    }
    expect(replay(stored)).toEqual(fold(stored));
  });

  it('replay before the first revision is the initial execution', () => {
    expect(replay(recorded(...happyWithCommit), -1)).toEqual(initialExecution());
  });

  it('ends each history where its story says', () => {
    const [happy, rollback, stuck] = [happyWithCommit, timeoutThenRollback, commitFailedThenStuck].map((events) => given(...events));
    expect(happy).toMatchObject({ status: SagaStatus.Finished, transaction: { status: 'committed', notified: true }, context: { express: true } });
    expect(rollback).toMatchObject({ status: SagaStatus.Errored, error: { name: 'ReplyTimeoutError' }, compensation: { plan: ['2', '1', '0'], done: ['2', '1', '0'] } });
    expect(rollback?.transaction).toEqual({ status: 'rejected', participants: ['stock', 'payment'], votes: [], notified: false });
    expect(stuck).toMatchObject({ status: SagaStatus.Errored, phase: 'ended', error: { name: 'CommitFailedError' }, compensation: { plan: ['2', '1', '0'], done: [], failed: { path: '1' } } });
    const resumed = given(...retriedThenResumed);
    expect(resumed).toMatchObject({ status: SagaStatus.Errored, phase: 'ended', error: boom, compensation: { plan: ['1', '0'], done: ['1', '0'], attempts: {} } });
    expect(resumed.compensation.failed).toBeUndefined();
    expect(resumed.timers).toEqual([]);
  });
});
