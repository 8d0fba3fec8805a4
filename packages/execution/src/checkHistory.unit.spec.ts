// Each rule is shown a hand-made history that breaks it: a rule that can never fail is not checked.
import { Saga } from '@saga/definitions';
import {
  type Raw,
  at,
  history,
  error,
  started,
  local,
  request,
  compensationRequest,
  reply,
  remoteDone,
  fired,
  compensated,
  attemptFailed,
  compensationFailed,
  sagaFailed,
  completed,
  votes,
  vote,
  rejected,
  commitFailed,
  compensationStarted,
} from '../test/historyBuilders.js';
import { describe, expect, it } from 'vitest';
import { checkHistory, type CheckHistoryOptions, type HistoryFinding } from './checkHistory.js';
import type { RecordedSagaEvent } from './decodeEvent.js';
import { fold } from './evolve.js';
import { SagaStatus } from './sagaStatus.js';

const timer = (timerId: string): Raw => ['TimerScheduled', { timerId, purpose: 'reply', dueAt: at }];
const failed = (path: string, status = 'errored-on-execute', compensate = false): Raw => [
  'StepFailed',
  { path, kind: status === 'errored-on-execute' ? 'local' : 'remote', status, error, compensate },
];
const committed: Raw = ['TransactionCommitted', { services: ['stock'] }];
const notified: Raw = ['TransactionNotified', { services: ['stock'] }];
const branch = (path: string): Raw => ['BranchChosen', { path, branch: 0 }];
const parallel = (path: string): Raw => ['ParallelStarted', { path, branches: 3 }];
/** Branches 0.0 and 0.1 each send a request; 0.1 fails on its reply; 0.0's reply is awaited, then 0.0 is compensated. */
const parallelFailedRun: Raw[] = [
  started,
  parallel('0'),
  request('0.0.0', 'r1'),
  request('0.1.0', 'r2'),
  reply('0.1.0', 'r2', 400),
  ['StepFailed', { path: '0.1.0', kind: 'remote', status: 'errored-on-error', error, compensate: false, requestId: 'r2' }],
  reply('0.0.0', 'r1'),
  remoteDone('0.0.0'),
  compensationStarted,
  compensationRequest('0.0.0', 'c1'),
  reply('0.0.0', 'c1'),
  compensated('0.0.0', 'c1'),
  sagaFailed,
  rejected,
];
/** Two branches wait at once, both answer, the parallel step joins, the saga completes. */
const parallelRun: Raw[] = [started, parallel('0'), request('0.0.0', 'r1'), request('0.1.0', 'r2'), local('0.2.0'), reply('0.1.0', 'r2'), remoteDone('0.1.0'), reply('0.0.0', 'r1'), remoteDone('0.0.0'), ['StepFinished', { path: '0', kind: 'parallel' }], completed];
const childDef = { name: 'ship', version: '1', fingerprint: 'f' };
const childStarted = (path: string, childId = 'c1'): Raw => ['ChildStarted', { path, childId, definition: childDef, context: {} }];
const childEnded = (path: string, outcome: string, childId = 'c1'): Raw => ['ChildEnded', { path, childId, outcome }];
/** A child step that finished, a later step failing, the child compensated by request. */
const childRun: Raw[] = [started, childStarted('0'), childEnded('0', 'finished'), ['StepFinished', { path: '0', kind: 'child' }], failed('1'), ['ChildCompensationRequested', { path: '0', childId: 'c1' }], childEnded('0', 'compensated'), compensated('0'), sagaFailed];
const cancel: Raw = ['CancelRequested', { reason: 'the customer called', by: null }];
const cancelStarted: Raw = ['CancelStarted', {}];
/** local 0 → remote 1 in flight, cancelled → reply awaited → 1 and 0 compensated → failed. */
const cancelledRun: Raw[] = [started, local('0'), request('1', 'r1'), cancel, reply('1', 'r1'), remoteDone('1'), cancelStarted, compensationRequest('1', 'c1'), reply('1', 'c1'), compensated('1', 'c1'), compensated('0'), sagaFailed];

/** local 0 → remote 1 (reply) → committed, notified. */
const committedRun: Raw[] = [started, local('0'), request('1', 'r1'), timer('t1'), reply('1', 'r1'), remoteDone('1'), completed, votes, vote(true), committed, notified];
/** local 0 → remote 1 → local 2 fails → 1 compensated remotely → 0 locally → failed, rejected. */
const compensatedRun: Raw[] = [started, local('0'), request('1', 'r1'), reply('1', 'r1'), remoteDone('1'), failed('2'), compensationRequest('1', 'c1'), reply('1', 'c1'), compensated('1', 'c1'), compensated('0'), sagaFailed, rejected];
/** Steps 0 and 1 finished, 2 failed: both are to be compensated, 1 first. */
const compensating: Raw[] = [started, local('0'), local('1'), failed('2')];

const definition = new Saga('t', { version: '1' })
  .localStep()
  .onExecute(() => undefined)
  .onFailure(() => undefined)
  .localStep()
  .onExecute(() => undefined)
  .onFailure(() => undefined)
  .localStep()
  .onExecute(() => undefined)
  .commit();

const messages = (events: readonly RecordedSagaEvent[], options?: CheckHistoryOptions): string[] =>
  checkHistory(events, options).map((f) => `${f.severity} ${f.revision ?? '-'} ${f.type ?? '-'}: ${f.message}`);

describe('checkHistory', () => {
  it('finds nothing in well-formed histories: committed, compensated (with the definition), paused, a compensation failed for an operator', () => {
    expect(checkHistory(history(...committedRun))).toEqual([]);
    expect(checkHistory(history(...compensatedRun))).toEqual([]);
    expect(checkHistory(history(...compensating, compensated('1'), compensated('0'), sagaFailed, rejected, notified), { definition })).toEqual([]);
    expect(checkHistory(history(started, local('0'), request('1', 'r1'), timer('t1')), { executionId: 'e1' })).toEqual([]);
    expect(checkHistory(history(started, local('0'), failed('1'), compensationFailed('0'), ['CompensationResumed', { path: '0' }], compensated('0'), sagaFailed))).toEqual([]);
    expect(checkHistory(history(...cancelledRun))).toEqual([]);
    expect(checkHistory(history(...parallelFailedRun))).toEqual([]);
    expect(checkHistory(history(...parallelRun))).toEqual([]);
    expect(checkHistory(history(...childRun))).toEqual([]);
    expect(checkHistory(history(...committedRun, ['CompensationRequested', { parentId: 'p1' }], compensated('0'), sagaFailed))).toEqual([]);
  });

  it('gives each finding its revision, event type and severity', () => {
    expect(checkHistory(history(started, fired('t9')))).toEqual<HistoryFinding[]>([{ revision: 1, type: 'TimerFired', message: 'timer t9 fired but was never scheduled', severity: 'problem' }]);
  });

  // [what breaks, history, options, the finding expected (severity revision type: message, as a prefix or the whole)]
  const rules: [string, RecordedSagaEvent[], CheckHistoryOptions, string][] = [
    ['an empty stream', [], {}, 'problem - -: the stream has no events'],
    ['a first event that is not SagaStarted', history(local('0'), started), {}, 'problem 0 StepFinished: the first event must be SagaStarted'],
    ['a second SagaStarted', history(started, started), {}, 'problem 1 SagaStarted: SagaStarted must be the first event, and only the first'],
    ['revisions that are not dense', history(started, local('0')).map((e) => (e.revision === 1 ? { ...e, revision: 2 } : e)), {}, 'problem 2 StepFinished: expected revision 1 (revisions must be dense from 0)'],
    ['a recordedAt that is no timestamp', history(started, local('0')).map((e) => (e.revision === 1 ? { ...e, recordedAt: 'yesterday' } : e)), {}, "problem 1 StepFinished: recordedAt 'yesterday' is not a timestamp"],
    ['time that runs backwards (a warning)', history(started, local('0')).map((e) => (e.revision === 1 ? { ...e, recordedAt: '2000-01-01T00:00:00.000Z' } : e)), {}, 'warning 1 StepFinished: recorded at 2000-01-01T00:00:00.000Z, before the event preceding it'],
    ['an execution id that is not the stream’s', history(started), { executionId: 'e2' }, 'problem 0 SagaStarted: SagaStarted names execution e1, but the stream belongs to e2'],
    ['a request id used twice', history(started, request('1', 'r1'), reply('1', 'r1'), remoteDone('1'), request('2', 'r1')), {}, 'problem 4 RequestSent: RequestSent for step 2 repeats request r1 of revision 1'],
    ['a forward event after the end', history(started, local('0'), completed, local('1')), {}, 'problem 3 StepFinished: StepFinished after the execution left its forward phase (phase: ended)'],
    ['a compensation event outside compensation', history(started, local('0'), compensated('0')), {}, 'problem 2 StepCompensated: a compensation event while the execution is running forward'],
    ['a step finished twice', history(started, local('0'), local('0')), {}, 'problem 2 StepFinished: step 0 finished twice'],
    ['a step that changes its kind', history(started, request('1', 'r1'), reply('1', 'r1'), local('1')), {}, 'problem 3 StepFinished: step 1 was recorded as remote and now as local'],
    ['a remote step finished without a reply', history(started, request('1', 'r1'), remoteDone('1')), {}, 'problem 2 StepFinished: remote step 1 finished without a reply to its request'],
    ['a step finished while a request is pending', history(started, request('1', 'r1'), local('0')), {}, 'problem 2 StepFinished: step 0 finished while request r1 of step 1 is pending'],
    ['a second StepFailed', history(started, failed('0'), failed('1')), {}, 'problem 2 StepFailed: a second StepFailed'],
    ['a step failed after it finished', history(started, local('0'), failed('0')), {}, 'problem 2 StepFailed: step 0 failed after it had finished'],
    ['a timeout of a step that was not waiting', history(started, timer('t1'), fired('t1'), failed('1', 'timed-out', true)), {}, 'problem 3 StepFailed: step 1 timed out but it was not waiting for a reply'],
    ['a timeout without TimerFired just before', history(started, request('1', 'r1'), failed('1', 'timed-out', true)), {}, 'problem 2 StepFailed: step 1 timed out without a TimerFired just before'],
    ['a failure on a reply that was not applied', history(started, request('1', 'r1'), failed('1', 'errored-on-success', true)), {}, 'problem 2 StepFailed: step 1 failed on a reply that was not applied just before'],
    ['a compensation marked for a step that changed nothing', history(started, request('1', 'r1'), reply('1', 'r1', 500), failed('1', 'errored-by-on-execute', true)), {}, "problem 3 StepFailed: step 1 is marked for compensation but its status 'errored-by-on-execute'"],
    ['a step that sends its request twice', history(started, request('1', 'r1'), reply('1', 'r1'), request('1', 'r2')), {}, 'problem 3 RequestSent: step 1 sent its request twice'],
    ['a request after the step finished', history(started, local('1'), request('1', 'r1')), {}, 'problem 2 RequestSent: step 1 sent a request after it had finished'],
    ['a request while another is pending', history(started, request('1', 'r1'), request('2', 'r2')), {}, 'problem 2 RequestSent: request r2 of step 2 sent while request r1 of step 1 is still pending'],
    ['a compensation request for a step not in the plan', history(...compensating, compensationRequest('7', 'c1')), {}, 'problem 4 CompensationRequestSent: compensation requested for step 7, which neither finished'],
    ['a compensation request for a step already compensated', history(...compensating, compensated('1'), compensationRequest('1', 'c1')), {}, 'problem 5 CompensationRequestSent: compensation requested again for step 1, already compensated'],
    ['a compensation request out of reverse order', history(...compensating, compensated('0'), compensationRequest('1', 'c1')), {}, 'problem 5 CompensationRequestSent: step 1 is compensated after step 0: compensations must run in reverse order (1, 0)'],
    ['a reply that matches no request', history(started, reply('1', 'r9')), {}, 'problem 1 ReplyReceived: reply r9 matches no earlier RequestSent/CompensationRequestSent'],
    ['a second reply to one request', history(started, request('1', 'r1'), reply('1', 'r1'), reply('1', 'r1')), {}, 'problem 3 ReplyReceived: a second reply applied for request r1'],
    ['a reply recorded on another step', history(started, request('1', 'r1'), reply('2', 'r1')), {}, 'problem 2 ReplyReceived: reply for request r1 of step 1 recorded on step 2'],
    ['a late reply', history(started, request('1', 'r1'), timer('t1'), fired('t1'), failed('1', 'timed-out', true), reply('1', 'r1')), {}, 'problem 5 ReplyReceived: reply r1 applied although its request was no longer pending'],
    ['a branch chosen twice', history(started, branch('0'), branch('0')), {}, 'problem 2 BranchChosen: conditional step 0 chose a branch twice'],
    ['a second SagaCompleted', history(started, completed, completed), {}, 'problem 2 SagaCompleted: a second SagaCompleted'],
    ['completed while a request is pending', history(started, request('1', 'r1'), completed), {}, 'problem 2 SagaCompleted: completed while request r1 of step 1 is pending'],
    ['completed with another context', history(started, ['SagaCompleted', { context: { paid: true } }]), {}, 'problem 1 SagaCompleted: SagaCompleted records a context different from the one its steps produced'],
    ['a step compensated that is not in the plan', history(...compensating, compensated('5')), {}, 'problem 4 StepCompensated: step 5 compensated although it neither finished'],
    ['a step compensated twice', history(...compensating, compensated('1'), compensated('1')), {}, 'problem 5 StepCompensated: step 1 compensated twice'],
    ['a step compensated out of reverse order', history(...compensating, compensated('0'), compensated('1')), {}, 'problem 5 StepCompensated: step 1 is compensated after step 0: compensations must run in reverse order (1, 0)'],
    ['a step with an onFailure skipped (with the definition)', history(...compensating, compensated('0')), { definition }, 'problem 4 StepCompensated: step 1 has an onFailure but was skipped before step 0 was compensated'],
    ['a step compensated by a request without its reply', history(...compensating, compensated('1', 'c9')), {}, 'problem 4 StepCompensated: step 1 compensated by request c9 without its reply just before'],
    ['a step compensated locally while a request is pending', history(...compensating, compensationRequest('1', 'c1'), compensated('0')), {}, 'problem 5 StepCompensated: step 0 compensated locally while compensation request c1 of step 1 is pending'],
    ['a compensation attempt of a step not to be compensated', history(...compensating, attemptFailed('5')), {}, 'problem 4 CompensationAttemptFailed: compensation attempt of step 5, which is not to be compensated'],
    ['a compensation attempt out of reverse order', history(...compensating, compensated('0'), attemptFailed('1')), {}, 'problem 5 CompensationAttemptFailed: step 1 is compensated after step 0'],
    ['a compensation failed of a step not to be compensated', history(...compensating, compensationFailed('5')), {}, 'problem 4 CompensationFailed: compensation of step 5 failed, but that step is not to be compensated'],
    ['a compensation failed out of reverse order', history(...compensating, compensated('0'), compensationFailed('1')), {}, 'problem 5 CompensationFailed: step 1 is compensated after step 0'],
    ['a compensation resumed that had not failed', history(...compensating, ['CompensationResumed', { path: '1' }]), {}, 'problem 4 CompensationResumed: resumed the compensation of step 1, which had not failed'],
    ['a second SagaFailed', history(...compensatedRun.slice(0, -1), sagaFailed), {}, 'problem 11 SagaFailed: a second SagaFailed'],
    ['failed while a request is pending', history(...compensating, compensationRequest('1', 'c1'), sagaFailed), {}, 'problem 5 SagaFailed: failed while compensation request c1 of step 1 is pending'],
    ['failed before compensating every step with an onFailure (with the definition)', history(...compensating, sagaFailed), { definition }, 'problem 4 SagaFailed: failed before compensating step(s) 1, 0'],
    ['votes requested twice', history(started, completed, votes, votes), {}, 'problem 3 VotesRequested: votes requested twice'],
    ['votes requested after the transaction was rejected', history(started, completed, rejected, votes), {}, 'problem 3 VotesRequested: votes requested after the transaction was already rejected'],
    ['votes requested for an execution that did not complete', history(started, local('0'), votes), {}, 'problem 2 VotesRequested: votes requested for an execution that did not complete'],
    ['a vote never asked for', history(started, completed, votes, vote(true, 'v9')), {}, 'problem 3 VoteReceived: vote v9 was never requested'],
    ['a second vote', history(started, completed, votes, vote(true), vote(true)), {}, 'problem 4 VoteReceived: a second vote for v1 (stock)'],
    ['a vote while no vote is asked', history(started, completed, votes, rejected, vote(true)), {}, 'problem 4 VoteReceived: a vote received while no vote is asked'],
    ['a commit without a vote in progress', history(started, completed, votes, vote(true), rejected, committed), {}, 'problem 5 TransactionCommitted: the transaction was committed without a vote (transaction rejected)'],
    ['a commit without a yes from everyone', history(started, completed, votes, vote(false), committed), {}, 'problem 4 TransactionCommitted: committed without a yes from every participant (stock: false)'],
    ['rejected twice', history(started, completed, rejected, rejected), {}, 'problem 3 TransactionRejected: rejected twice'],
    ['rejected after the commit', history(...committedRun.slice(0, -1), rejected), {}, 'problem 10 TransactionRejected: rejected after the transaction was committed'],
    ['anything but TransactionNotified after the commit', history(...committedRun.slice(0, -1), timer('t2')), {}, 'problem 10 TimerScheduled: nothing but TransactionNotified may follow TransactionCommitted'],
    ['TransactionNotified before the decision', history(started, completed, notified), {}, 'problem 2 TransactionNotified: TransactionNotified before the transaction was decided'],
    ['TransactionNotified twice', history(...committedRun, notified), {}, 'problem 11 TransactionNotified: TransactionNotified twice'],
    ['anything but TransactionRejected after SagaFailed', history(...compensating, compensated('1'), compensated('0'), sagaFailed, timer('t1')), {}, 'problem 7 TimerScheduled: only TransactionRejected (then TransactionNotified) may follow SagaFailed'],
    ['a second CommitFailed', history(started, completed, votes, vote(false), commitFailed, commitFailed), {}, 'problem 5 CommitFailed: a second CommitFailed'],
    ['a commit failed without a no vote', history(started, completed, votes, vote(true), commitFailed), {}, 'problem 4 CommitFailed: the commit failed without a no vote'],
    ['a commit failed for an execution that did not complete', history(started, votes, vote(false), commitFailed), {}, 'problem 3 CommitFailed: the commit failed for an execution that did not complete'],
    ['a timer scheduled twice', history(started, timer('t1'), timer('t1')), {}, 'problem 2 TimerScheduled: timer t1 scheduled twice'],
    ['a timer that fires but was never scheduled', history(started, fired('t9')), {}, 'problem 1 TimerFired: timer t9 fired but was never scheduled'],
    ['a timer that fires twice', history(started, timer('t1'), fired('t1'), fired('t1')), {}, 'problem 3 TimerFired: timer t1 fired twice'],
    ['a request re-sent that is not pending', history(started, ['RequestResent', { path: '1', requestId: 'r1', attempt: 2 }]), {}, 'problem 1 RequestResent: re-sent request r1, which is not pending'],
    ['a second CancelRequested', history(started, request('1', 'r1'), cancel, cancel), {}, 'problem 3 CancelRequested: a second CancelRequested'],
    ['a cancel requested after the end', history(started, completed, cancel), {}, 'problem 2 CancelRequested: cancel requested after the execution ended'],
    ['a cancel that took effect without being requested', history(started, local('0'), cancelStarted), {}, 'problem 2 CancelStarted: the cancel took effect without a CancelRequested'],
    ['a cancel that took effect while a request is pending', history(started, request('1', 'r1'), cancel, cancelStarted), {}, 'problem 3 CancelStarted: the cancel took effect while request r1 of step 1 is pending'],
    ['a second CancelStarted', history(started, cancel, cancelStarted, cancelStarted), {}, 'problem 3 CancelStarted: a second CancelStarted'],
    ['a local step run after the cancel', history(started, cancel, local('0')), {}, 'problem 2 StepFinished: local step 0 ran after the execution was cancelled'],
    ['a request sent after the cancel', history(started, cancel, request('0', 'r0')), {}, 'problem 2 RequestSent: step 0 sent a request after the execution was cancelled'],
    ['a branch chosen after the cancel', history(started, cancel, branch('0')), {}, 'problem 2 BranchChosen: conditional step 0 chose a branch after the execution was cancelled'],
    ['two requests at once outside a parallel step', history(started, request('1', 'r1'), request('2', 'r2')), {}, 'problem 2 RequestSent: request r2 of step 2 sent while request r1 of step 1 is still pending'],
    ['two requests at once in one branch', history(started, parallel('0'), request('0.0.0', 'r1'), request('0.0.1', 'r2')), {}, 'problem 3 RequestSent: request r2 of step 0.0.1 sent while request r1 of step 0.0.0 is still pending'],
    ['a parallel step joined while a branch waits', history(started, parallel('0'), request('0.0.0', 'r1'), ['StepFinished', { path: '0', kind: 'parallel' }]), {}, 'problem 3 StepFinished: parallel step 0 finished while request r1 of step 0.0.0 of a branch is pending'],
    ['a parallel step started twice', history(started, parallel('0'), parallel('0')), {}, 'problem 2 ParallelStarted: parallel step 0 started twice'],
    ['a step started after a branch failed', history(started, parallel('0'), request('0.0.0', 'r1'), failed('0.1.0'), local('0.1.1')), {}, 'problem 4 StepFinished: local step 0.1.1 ran after a step failed'],
    ['a request sent after a branch failed', history(started, parallel('0'), request('0.0.0', 'r1'), failed('0.1.0'), request('0.1.1', 'r2')), {}, 'problem 4 RequestSent: step 0.1.1 sent a request after a step failed'],
    ['compensation started with requests in flight', history(started, parallel('0'), request('0.0.0', 'r1'), request('0.1.0', 'r2'), failed('0.2.0'), compensationStarted), {}, 'problem 5 CompensationStarted: compensation started while request r1 of step 0.0.0 is pending'],
    ['compensation started without a halted failure', history(started, local('0'), compensationStarted), {}, 'problem 2 CompensationStarted: compensation started without a step that failed while others were in flight'],
    ['completed with a parallel step open', history(started, parallel('0'), completed), {}, 'problem 2 SagaCompleted: completed while parallel step 0 had not finished'],
    ['a child step finished before its child ended', history(started, childStarted('0'), ['StepFinished', { path: '0', kind: 'child' }]), {}, 'problem 2 StepFinished: child step 0 finished before its child ended'],
    ['a child that ended but was not awaited', history(started, childEnded('0', 'finished')), {}, 'problem 1 ChildEnded: child c1 of step 0 ended, but the step was not waiting for it'],
    ['a child compensated while asked to run', history(started, childStarted('0'), childEnded('0', 'compensated')), {}, 'problem 2 ChildEnded: child c1 of step 0 compensated, but it was asked to execute'],
    ['a child started twice', history(started, childStarted('0'), childStarted('0', 'c2')), {}, 'problem 2 ChildStarted: child step 0 started its child twice'],
    ['a child step compensated before its child did', history(started, childStarted('0'), childEnded('0', 'finished'), ['StepFinished', { path: '0', kind: 'child' }], failed('1'), ['ChildCompensationRequested', { path: '0', childId: 'c1' }], compensated('0')), {}, 'problem 6 StepCompensated: child step 0 compensated while its child is still compensating'],
    ['a compensation asked of an execution that did not complete', history(started, local('0'), ['CompensationRequested', { parentId: 'p1' }]), {}, 'problem 2 CompensationRequested: a parent asked this execution to compensate, but it had not completed'],
    ['a fold that disagrees with the model', history(started, local('0'), request('1', 'r1')), { fold: (events) => ({ ...fold(events), status: SagaStatus.Finished }) }, 'problem - -: fold: status is "finished" but the events say "paused"'],
  ];

  it.each(rules)('catches %s', (_, events, options, expected) => {
    const found = messages(events, options);
    expect(found.some((m) => m.startsWith(expected)), `expected a finding starting with ${JSON.stringify(expected)}, got ${JSON.stringify(found, null, 2)}`).toBe(true);
  });
});
