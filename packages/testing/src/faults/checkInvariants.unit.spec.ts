// The invariant checker must be able to fail: each rule is shown a hand-made history that breaks it.
import { describe, expect, it } from 'vitest';
import { Saga, SagaRequest, SagaStatus, fold, type SagaExecution } from '@saga/core';
import { checkInvariants, type HistoryEvent } from './checkInvariants.js';

type Raw = readonly [type: string, data: Record<string, unknown>];

/** Revisions 0…n-1 in order (unless a test breaks them). */
const history = (...events: Raw[]): HistoryEvent[] => events.map(([type, data], revision) => ({ revision, type, data, recordedAt: '2030-01-01T00:00:00.000Z' }));

const started: Raw = ['SagaStarted', { executionId: 'e1', definition: { name: 't', version: '1', fingerprint: 'f' }, context: {}, user: null, autocommit: true, service: 'order' }];
const local = (path: string): Raw => ['StepFinished', { path, kind: 'local' }];
const request = (path: string, requestId: string): Raw => ['RequestSent', { path, requestId, target: 'stock.reserve', payload: {} }];
const compensationRequest = (path: string, requestId: string): Raw => ['CompensationRequestSent', { path, requestId, target: 'stock.release', payload: {} }];
const reply = (path: string, requestId: string, status = 200): Raw => ['ReplyReceived', { path, requestId, status, payload: null, relatedServices: ['stock'] }];
const remoteDone = (path: string): Raw => ['StepFinished', { path, kind: 'remote' }];
const timer = (timerId: string, purpose = 'reply', requestId?: string): Raw => ['TimerScheduled', { timerId, purpose, dueAt: '2030-01-01T00:01:00.000Z', ...(requestId ? { requestId, path: '1' } : {}) }];
const fired = (timerId: string): Raw => ['TimerFired', { timerId }];
const failed = (path: string, status = 'errored-on-execute', compensate = false, requestId?: string): Raw => [
  'StepFailed',
  { path, kind: status === 'errored-on-execute' ? 'local' : 'remote', status, error: { name: 'Error', message: 'boom' }, compensate, ...(requestId ? { requestId } : {}) },
];
const compensated = (path: string, requestId?: string): Raw => ['StepCompensated', { path, ...(requestId ? { requestId } : {}) }];
const sagaFailed: Raw = ['SagaFailed', { error: { name: 'Error', message: 'boom' } }];
const completed: Raw = ['SagaCompleted', { context: {} }];
const votes: Raw = ['VotesRequested', { votes: [{ service: 'stock', requestId: 'v1' }] }];
const vote = (yes: boolean): Raw => ['VoteReceived', { service: 'stock', requestId: 'v1', vote: yes }];
const committed: Raw = ['TransactionCommitted', { services: ['stock'] }];
const rejected: Raw = ['TransactionRejected', { services: ['stock'], reason: 'no' }];

/** local 0 → remote 1 (reply) → committed. */
const committedRun: Raw[] = [started, local('0'), request('1', 'r1'), timer('t1', 'reply', 'r1'), reply('1', 'r1'), remoteDone('1'), completed, votes, timer('t2', 'votes'), vote(true), committed];
/** local 0 → remote 1 → local 2 fails → 1 compensated remotely → 0 locally → failed, rejected. */
const compensatedRun: Raw[] = [
  started,
  local('0'),
  request('1', 'r1'),
  reply('1', 'r1'),
  remoteDone('1'),
  failed('2'),
  compensationRequest('1', 'c1'),
  reply('1', 'c1'),
  compensated('1', 'c1'),
  compensated('0'),
  sagaFailed,
  rejected,
];

const definition = new Saga('t', { version: '1' })
  .localStep()
  .onExecute(() => undefined)
  .onFailure(() => undefined)
  .remoteStep()
  .onExecute(() => new SagaRequest('stock.reserve', {}))
  .onFailure(() => new SagaRequest('stock.release', {}))
  .localStep()
  .onExecute(() => undefined)
  .commit();

const expectViolation = (events: HistoryEvent[], pattern: RegExp, saga?: Saga): void => {
  const violations = checkInvariants(events, saga);
  expect(violations.some((v) => pattern.test(v)), `expected a violation matching ${pattern}, got ${JSON.stringify(violations)}`).toBe(true);
};

describe('checkInvariants', () => {
  it('passes well-formed histories: committed, compensated (with and without the definition)', () => {
    expect(checkInvariants(history(...committedRun))).toEqual([]);
    expect(checkInvariants(history(...compensatedRun))).toEqual([]);
    expect(checkInvariants(history(...compensatedRun), definition)).toEqual([]);
  });

  it('accepts a paused history (waiting for a reply) and a compensation that failed for an operator', () => {
    expect(checkInvariants(history(started, local('0'), request('1', 'r1'), timer('t1', 'reply', 'r1')))).toEqual([]);
    expect(checkInvariants(history(started, local('0'), failed('1'), ['CompensationFailed', { path: '0', error: { name: 'E', message: 'down' } }]))).toEqual([]);
  });

  it('an empty history, revisions that are not dense, a first event that is not SagaStarted, an event that does not decode', () => {
    expect(checkInvariants([])).toEqual(['the stream has no events']);
    const gap = history(...committedRun).map((e) => (e.revision >= 3 ? { ...e, revision: e.revision + 1 } : e));
    expectViolation(gap, /expected revision 3 \(revisions must be dense/);
    expectViolation(history(local('0'), started), /first event must be SagaStarted|SagaStarted must be the first event/);
    expectViolation(history(started, ['StepFinished', { path: 0 }]), /does not decode/);
    expectViolation(history(started, ['NoSuchEvent', {}]), /does not decode.*unknown event type/);
  });

  it('a reply that matches no request, a second reply for one request, a late reply after the timeout', () => {
    expectViolation(history(started, request('1', 'r1'), reply('1', 'r9')), /reply r9 matches no earlier RequestSent/);
    expectViolation(history(started, request('1', 'r1'), reply('1', 'r1'), remoteDone('1'), reply('1', 'r1')), /a second reply applied for request r1/);
    expectViolation(
      history(started, local('0'), request('1', 'r1'), timer('t1', 'reply', 'r1'), fired('t1'), failed('1', 'timed-out', true, 'r1'), reply('1', 'r1')),
      /reply r1 applied although its request was no longer pending/,
    );
  });

  it('a step finished twice, a step requested twice, a remote step finished without a reply', () => {
    expectViolation(history(started, local('0'), local('0')), /step 0 finished twice/);
    expectViolation(history(started, request('1', 'r1'), reply('1', 'r1'), remoteDone('1'), request('1', 'r2')), /step 1 sent its request twice/);
    expectViolation(history(started, request('1', 'r1'), reply('1', 'r1'), remoteDone('1'), request('2', 'r1')), /RequestSent for step 2 repeats request r1 of revision 1: every request gets a new id/);
    expectViolation(history(started, request('1', 'r1'), remoteDone('1')), /remote step 1 finished without a reply/);
    expectViolation(history(started, request('1', 'r1'), request('2', 'r2')), /sent while request r1 of step 1 is still pending/);
  });

  it('compensating a step that never finished, twice, or out of reverse completion order', () => {
    expectViolation(history(started, local('0'), failed('1'), compensated('5')), /step 5 compensated although it neither finished/);
    expectViolation(history(started, local('0'), local('1'), failed('2'), compensated('0'), compensated('1')), /step 1 is compensated after step 0: compensations must run in reverse order/);
    expectViolation(history(started, local('0'), failed('1'), compensated('0'), compensated('0')), /step 0 compensated twice/);
    expectViolation(history(started, local('0'), compensated('0')), /a compensation event while the execution is running forward/);
    expectViolation(history(started, local('0'), failed('1'), compensationRequest('7', 'c1')), /compensation requested for step 7/);
  });

  it('a step with an onFailure skipped before SagaFailed (only with the definition)', () => {
    const skipped = history(started, local('0'), request('1', 'r1'), reply('1', 'r1'), remoteDone('1'), failed('2'), compensated('0'), sagaFailed);
    expectViolation(skipped, /step 1 has an onFailure but was skipped/, definition);
    expectViolation(history(started, local('0'), request('1', 'r1'), reply('1', 'r1'), remoteDone('1'), failed('2'), sagaFailed), /failed before compensating step\(s\) 1, 0/, definition);
  });

  it('a compensation marked for a step whose participant changed nothing', () => {
    expectViolation(history(started, request('1', 'r1'), reply('1', 'r1', 500), failed('1', 'errored-by-on-execute', true, 'r1')), /marked for compensation but its status 'errored-by-on-execute'/);
  });

  it('more than one terminal event, and events after the end', () => {
    expectViolation(history(...compensatedRun.slice(0, -1), sagaFailed), /a second SagaFailed|only TransactionRejected may follow SagaFailed/);
    expectViolation(history(...committedRun, rejected), /nothing but TransactionNotified may follow TransactionCommitted/);
    expectViolation(history(...committedRun.slice(0, -1), rejected, committed), /the transaction was committed without a vote \(transaction rejected\)/);
    expectViolation(history(started, local('0'), completed, local('1')), /StepFinished after the execution left its forward phase \(phase: ended\)/);
    expectViolation(history(started, completed, completed), /a second SagaCompleted|SagaCompleted after the execution left its forward phase/);
  });

  it('votes: committed without a yes from everyone, a vote never asked for, a vote twice', () => {
    expectViolation(history(started, completed, votes, vote(false), committed), /committed without a yes from every participant/);
    expectViolation(history(started, completed, votes, ['VoteReceived', { service: 'x', requestId: 'v9', vote: true }]), /vote v9 was never requested/);
    expectViolation(history(started, completed, votes, vote(true), vote(true)), /a second vote for v1/);
    expectViolation(history(started, local('0'), ['VotesRequested', { votes: [] }]), /votes requested for an execution that did not complete/);
  });

  it('timers: fired without being scheduled, fired twice; a timeout with no TimerFired before it', () => {
    expectViolation(history(started, fired('t9')), /timer t9 fired but was never scheduled/);
    expectViolation(history(started, timer('t1'), fired('t1'), fired('t1')), /timer t1 fired twice/);
    expectViolation(history(started, request('1', 'r1'), failed('1', 'timed-out', true, 'r1')), /timed out without a TimerFired just before/);
  });

  it('compares the engine fold with the model: a fold that disagrees on the status is caught', () => {
    const events = history(started, local('0'), request('1', 'r1'));
    const lying = (decoded: Parameters<typeof fold>[0]): SagaExecution => ({ ...fold(decoded), status: SagaStatus.Finished });
    expect(checkInvariants(events, undefined, { fold: lying })).toEqual(['fold: status is "finished" but the events say "paused"']);
  });
});
