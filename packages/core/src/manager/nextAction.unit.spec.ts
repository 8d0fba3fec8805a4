// The engine's control flow as a plain function: given a definition (the real builder) and an
// execution (folded from events), then the next action. No callback runs here.
import { describe, expect, it } from 'vitest';
import { Saga, SagaRequest, stepAtPath, type JsonObject } from '@saga/definitions';
import { CorruptedHistoryError, fold, sagaEvent, type SagaEvent, type SagaExecution } from '@saga/execution';
import { isAwaiting, nextAction } from './nextAction.js';

const keep = () => undefined;
const request = (target: string) => () => new SagaRequest(target, {});

const startedFor = (definition: Saga, overrides: { autocommit?: boolean } = {}) =>
  sagaEvent('SagaStarted', {
    executionId: 'exec-1',
    definition: { name: definition.name, version: definition.version, fingerprint: definition.fingerprint },
    context: {},
    user: null,
    autocommit: overrides.autocommit ?? true,
    service: 'orders',
  });
const finished = (path: string, kind: 'local' | 'remote' | 'conditional' = 'local', context?: JsonObject) =>
  sagaEvent('StepFinished', { path, kind, ...(context ? { context } : {}) });
const sent = (path: string, requestId = `req-${path}`) => sagaEvent('RequestSent', { path, requestId, target: 'stock.reserve', payload: {} });
const replied = (path: string, requestId = `req-${path}`, relatedServices = ['stock']) =>
  sagaEvent('ReplyReceived', { path, requestId, status: 200, payload: null, relatedServices });
const remoteDone = (path: string, service = 'stock') => [sent(path), replied(path, `req-${path}`, [service]), finished(path, 'remote')];
const chosen = (path: string, branch: number | 'else' | null) => sagaEvent('BranchChosen', { path, branch });
const failed = (path: string, compensate = false) =>
  sagaEvent('StepFailed', { path, kind: 'local', status: 'errored-on-execute', error: { name: 'Error', message: 'boom' }, compensate });
const compensated = (path: string) => sagaEvent('StepCompensated', { path });

const execution = (definition: Saga, events: readonly SagaEvent[], options: { autocommit?: boolean } = {}): SagaExecution =>
  fold([startedFor(definition, options), ...events]);

const whenNext = (definition: Saga, ...events: SagaEvent[]) => nextAction(definition, execution(definition, events));

// local(0) → remote(1) → conditional(2: ifThen express / else standard) → local(3)
const express = new Saga('express').localStep().onExecute(keep).remoteStep().onExecute(request('courier.book')).commit();
const standard = new Saga('standard').localStep().onExecute(keep).commit();
const order = new Saga('order')
  .localStep()
  .onExecute(keep)
  .remoteStep()
  .onExecute(request('stock.reserve'))
  .conditionalStep()
  .ifThen(() => true, express)
  .elseThen(standard)
  .localStep()
  .onExecute(keep)
  .commit();

describe('nextAction, forward', () => {
  it('a new execution runs its first step locally, with the definition’s step', () => {
    expect(whenNext(order)).toEqual({ type: 'runLocal', path: '0', step: order.steps[0] });
  });

  it('after a local step, sends the request of the remote step that follows', () => {
    expect(whenNext(order, finished('0'))).toEqual({ type: 'sendRequest', path: '1', step: order.steps[1] });
  });

  it('awaits while the request is pending, naming the pending request', () => {
    const action = whenNext(order, finished('0'), sent('1', 'r-1'));
    expect(action).toEqual({ type: 'await', pending: expect.objectContaining({ path: '1', requestId: 'r-1', purpose: 'execute' }) as unknown });
  });

  it('after the remote step, chooses the branch of the conditional step', () => {
    expect(whenNext(order, finished('0'), ...remoteDone('1'))).toEqual({ type: 'chooseBranch', path: '2', step: order.steps[2] });
  });

  it.each([
    [0, '2.0.0', express],
    ['else', '2.else.0', standard],
  ] as const)('inside branch %s, runs the branch’s first step at %s', (branch, path, saga) => {
    const action = whenNext(order, finished('0'), ...remoteDone('1'), chosen('2', branch));
    expect(action).toEqual({ type: 'runLocal', path, step: saga.steps[0] });
  });

  it('walks on inside the branch, a remote step included, and awaits its reply there', () => {
    const before = [finished('0'), ...remoteDone('1'), chosen('2', 0), finished('2.0.0')];
    expect(whenNext(order, ...before)).toEqual({ type: 'sendRequest', path: '2.0.1', step: express.steps[1] });
    expect(whenNext(order, ...before, sent('2.0.1')).type).toBe('await');
  });

  it('finishes the conditional step after the last step of its branch', () => {
    expect(whenNext(order, finished('0'), ...remoteDone('1'), chosen('2', 'else'), finished('2.else.0'))).toEqual({ type: 'finishConditional', path: '2' });
  });

  it('goes on after the conditional step once it is finished', () => {
    const action = whenNext(order, finished('0'), ...remoteDone('1'), chosen('2', 'else'), finished('2.else.0'), finished('2', 'conditional'));
    expect(action).toEqual({ type: 'runLocal', path: '3', step: order.steps[3] });
  });

  it('skips a conditional step where no branch applied', () => {
    const maybe = new Saga('maybe').conditionalStep().ifThen(() => false, standard).localStep().onExecute(keep).commit();
    expect(whenNext(maybe, chosen('0', null))).toEqual({ type: 'runLocal', path: '1', step: maybe.steps[1] });
  });

  it('completes when every step finished', () => {
    const events = [finished('0'), ...remoteDone('1'), chosen('2', 'else'), finished('2.else.0'), finished('2', 'conditional'), finished('3')];
    expect(whenNext(order, ...events)).toEqual({ type: 'complete' });
  });

  it('refuses a history that disagrees with the definition, naming the stream, revision and step', () => {
    // A reply is always stored with its outcome, so a step left 'running-on-success' is not this definition's history.
    const when = () => whenNext(order, finished('0'), sent('1'), replied('1'));
    expect(when).toThrow(CorruptedHistoryError);
    expect(when).toThrow(expect.objectContaining({ stream: 'saga-exec-1', revision: 3, reason: expect.stringMatching(/step 1 is 'running-on-success'/i) as unknown }));
  });

  it('refuses a recorded branch that the definition does not have', () => {
    const maybe = new Saga('maybe').conditionalStep().ifThen(() => false, standard).localStep().onExecute(keep).commit();
    expect(() => whenNext(maybe, chosen('0', 'else'))).toThrow(/step 0/i);
  });

  describe('nested branches', () => {
    // outer: 0 = conditional, else → middle; middle: 0 = conditional, ifThen → inner; inner: 0 = remote.
    const inner = new Saga('inner').remoteStep().onExecute(request('stock.reserve')).commit();
    const middle = new Saga('middle').conditionalStep().ifThen(() => true, inner).commit();
    const outer = new Saga('outer').conditionalStep().elseThen(middle).commit();

    it('reaches the step of the innermost branch at "0.else.0.0.0"', () => {
      const action = whenNext(outer, chosen('0', 'else'), chosen('0.else.0', 0));
      expect(action).toEqual({ type: 'sendRequest', path: '0.else.0.0.0', step: inner.steps[0] });
      expect(stepAtPath(outer, '0.else.0.0.0')).toBe(inner.steps[0]);
    });

    it('chooses the inner branch at "0.else.0" first', () => {
      expect(whenNext(outer, chosen('0', 'else'))).toEqual({ type: 'chooseBranch', path: '0.else.0', step: middle.steps[0] });
    });

    it('finishes the inner conditional, then the outer one, then completes', () => {
      const inside = [chosen('0', 'else'), chosen('0.else.0', 0), ...remoteDone('0.else.0.0.0')];
      expect(whenNext(outer, ...inside)).toEqual({ type: 'finishConditional', path: '0.else.0' });
      expect(whenNext(outer, ...inside, finished('0.else.0', 'conditional'))).toEqual({ type: 'finishConditional', path: '0' });
      expect(whenNext(outer, ...inside, finished('0.else.0', 'conditional'), finished('0', 'conditional'))).toEqual({ type: 'complete' });
    });
  });
});

describe('nextAction, compensating', () => {
  // 0 local (onFailure), 1 remote (onFailure), 2 local (no onFailure), 3 remote (no onFailure), 4 local
  const rollback = new Saga('rollback')
    .localStep()
    .onExecute(keep)
    .onFailure(keep)
    .remoteStep()
    .onExecute(request('stock.reserve'))
    .onFailure(request('stock.release'))
    .localStep()
    .onExecute(keep)
    .remoteStep()
    .onExecute(request('audit.log'))
    .localStep()
    .onExecute(keep)
    .commit();
  const failedAtFour = [finished('0'), ...remoteDone('1'), finished('2'), ...remoteDone('3', 'audit'), failed('4')];

  it('compensates the last completed step that has an onFailure, skipping those without', () => {
    expect(whenNext(rollback, ...failedAtFour)).toEqual({ type: 'compensateRemote', path: '1', step: rollback.steps[1] });
  });

  it('awaits the reply to a remote compensation before the step before it', () => {
    const action = whenNext(rollback, ...failedAtFour, sagaEvent('CompensationRequestSent', { path: '1', requestId: 'c-1', target: 'stock.release', payload: {} }));
    expect(action).toEqual({ type: 'await', pending: expect.objectContaining({ path: '1', requestId: 'c-1', purpose: 'compensate' }) as unknown });
  });

  it('then compensates the local step before it, in plan order', () => {
    expect(whenNext(rollback, ...failedAtFour, compensated('1'))).toEqual({ type: 'compensateLocal', path: '0', step: rollback.steps[0] });
  });

  it('awaits the retry timer of a failed remote compensation, then compensates that step again', () => {
    const attemptFailed = [
      ...failedAtFour,
      sagaEvent('CompensationRequestSent', { path: '1', requestId: 'c-1', target: 'stock.release', payload: {} }),
      sagaEvent('ReplyReceived', { path: '1', requestId: 'c-1', status: 400, payload: null, relatedServices: ['stock'] }),
      sagaEvent('CompensationAttemptFailed', { path: '1', error: { name: 'ErrorReply', message: 'busy' }, attempt: 1 }),
      sagaEvent('TimerScheduled', { timerId: 't-retry', purpose: 'retry', dueAt: '2030-01-01T00:00:01.000Z', path: '1' }),
    ];
    expect(whenNext(rollback, ...attemptFailed)).toEqual({ type: 'await' });
    expect(isAwaiting(execution(rollback, attemptFailed))).toBe(true);
    expect(whenNext(rollback, ...attemptFailed, sagaEvent('TimerFired', { timerId: 't-retry' }))).toEqual({ type: 'compensateRemote', path: '1', step: rollback.steps[1] });
  });

  it('compensates a step again once an operator resumed its failed compensation', () => {
    const stopped = [...failedAtFour, compensated('1'), sagaEvent('CompensationFailed', { path: '0', error: { name: 'Error', message: 'ledger down' } })];
    expect(whenNext(rollback, ...stopped)).toEqual({ type: 'idle' });
    expect(whenNext(rollback, ...stopped, sagaEvent('CompensationResumed', { path: '0' }))).toEqual({ type: 'compensateLocal', path: '0', step: rollback.steps[0] });
  });

  it('fails once the plan is done', () => {
    expect(whenNext(rollback, ...failedAtFour, compensated('1'), compensated('0'))).toEqual({ type: 'fail' });
  });

  it('fails at once when nothing completed before the failure', () => {
    expect(whenNext(rollback, failed('0'))).toEqual({ type: 'fail' });
  });

  it('compensates the failing step first when it must be undone too', () => {
    const events = [finished('0'), sent('1'), sagaEvent('StepFailed', { path: '1', kind: 'remote', status: 'timed-out', error: { name: 'ReplyTimeoutError', message: 'late' }, compensate: true })];
    expect(whenNext(rollback, ...events)).toMatchObject({ type: 'compensateRemote', path: '1' });
  });

  it('compensates steps inside a branch', () => {
    const undoable = new Saga('undoable').localStep().onExecute(keep).onFailure(keep).commit();
    const saga = new Saga('branchy').conditionalStep().ifThen(() => true, undoable).localStep().onExecute(keep).commit();
    const action = whenNext(saga, chosen('0', 0), finished('0.0.0'), finished('0', 'conditional'), failed('1'));
    expect(action).toEqual({ type: 'compensateLocal', path: '0.0.0', step: undoable.steps[0] });
  });

  it('after a failed commit, compensates every completed step in reverse', () => {
    const events = [
      finished('0'),
      ...remoteDone('1'),
      finished('2'),
      ...remoteDone('3', 'audit'),
      finished('4'),
      sagaEvent('SagaCompleted', { context: {} }),
      sagaEvent('CommitFailed', { error: { name: 'CommitFailedError', message: 'stock voted no' } }),
    ];
    expect(whenNext(rollback, ...events)).toMatchObject({ type: 'compensateRemote', path: '1' });
  });
});

describe('nextAction, ended: the transaction', () => {
  const oneRemote = new Saga('one_remote').remoteStep().onExecute(request('stock.reserve')).remoteStep().onExecute(request('payment.charge')).commit();
  const completed = [...remoteDone('0', 'stock'), ...remoteDone('1', 'payment'), sagaEvent('SagaCompleted', { context: {} })];
  const votes = sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: 'v-s' }, { service: 'payment', requestId: 'v-p' }] });
  const vote = (service: string, yes: boolean) => sagaEvent('VoteReceived', { service, requestId: `v-${service[0] ?? ''}`, vote: yes });

  it('requests votes when a finished execution with participants autocommits', () => {
    expect(whenNext(oneRemote, ...completed)).toEqual({ type: 'requestVotes' });
  });

  it('is idle when autocommit is off (the caller commits or rejects)', () => {
    expect(nextAction(oneRemote, execution(oneRemote, completed, { autocommit: false }))).toEqual({ type: 'idle' });
  });

  it('is idle when no participant took part', () => {
    const local = new Saga('local').localStep().onExecute(keep).commit();
    expect(whenNext(local, finished('0'), sagaEvent('SagaCompleted', { context: {} }))).toEqual({ type: 'idle' });
  });

  it('awaits while a vote is missing', () => {
    expect(whenNext(oneRemote, ...completed, votes)).toEqual({ type: 'await' });
    expect(whenNext(oneRemote, ...completed, votes, vote('stock', true))).toEqual({ type: 'await' });
  });

  it.each([
    [true, true],
    [true, false],
  ])('decides once every vote is in (%s, %s)', (stock, payment) => {
    expect(whenNext(oneRemote, ...completed, votes, vote('stock', stock), vote('payment', payment))).toEqual({ type: 'decideVotes' });
  });

  it.each([
    ['committed', [votes, vote('stock', true), vote('payment', true), sagaEvent('TransactionCommitted', { services: ['stock', 'payment'] })]],
    ['rejected by an operator', [sagaEvent('TransactionRejected', { services: ['stock', 'payment'], reason: 'operator' })]],
  ])('is idle once the transaction is %s', (_, after) => {
    expect(whenNext(oneRemote, ...completed, ...after)).toEqual({ type: 'idle' });
  });

  it('is idle after the saga failed, participants or not (the failure already rejected them)', () => {
    const events = [...remoteDone('0', 'stock'), failed('1'), compensated('0'), sagaEvent('SagaFailed', { error: { name: 'Error', message: 'boom' } })];
    expect(whenNext(oneRemote, ...events)).toEqual({ type: 'idle' });
  });

  it('is idle after a compensation failed (an operator must act)', () => {
    const events = [...remoteDone('0', 'stock'), failed('1'), sagaEvent('CompensationFailed', { path: '0', error: { name: 'Error', message: 'no' } })];
    expect(whenNext(oneRemote, ...events)).toEqual({ type: 'idle' });
  });
});

describe('isAwaiting', () => {
  const saga = new Saga('awaiting').remoteStep().onExecute(request('stock.reserve')).commit();

  it('is true while a request is pending or votes are being gathered, false otherwise', () => {
    expect(isAwaiting(execution(saga, []))).toBe(false);
    expect(isAwaiting(execution(saga, [sent('0')]))).toBe(true);
    const completed = [...remoteDone('0'), sagaEvent('SagaCompleted', { context: {} })];
    expect(isAwaiting(execution(saga, completed))).toBe(false);
    expect(isAwaiting(execution(saga, [...completed, sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: 'v' }] })]))).toBe(true);
  });
});
