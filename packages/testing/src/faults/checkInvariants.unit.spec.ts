// The invariant checker must be able to fail: every rule is shown a hand-made history that breaks it,
// and the test expects that rule's own message, in full (a pattern that no message can match, or a
// rule that another rule's message stands in for, would let the rule be deleted unnoticed).
import { describe, expect, it } from 'vitest';
import { Saga, SagaRequest, SagaStatus, fold, type SagaExecution } from '@saga/core';
import { checkInvariants, type HistoryEvent } from './checkInvariants.js';

type Raw = readonly [type: string, data: Record<string, unknown>];

const at = '2030-01-01T00:00:00.000Z';
/** Revisions 0…n-1 in order (unless a test breaks them). */
const history = (...events: Raw[]): HistoryEvent[] => events.map(([type, data], revision) => ({ revision, type, data, recordedAt: at }));
const withEvent = (events: HistoryEvent[], revision: number, change: Partial<HistoryEvent>): HistoryEvent[] => events.map((e) => (e.revision === revision ? { ...e, ...change } : e));

const error = { name: 'Error', message: 'boom' };
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
  { path, kind: status === 'errored-on-execute' ? 'local' : 'remote', status, error, compensate, ...(requestId ? { requestId } : {}) },
];
const compensated = (path: string, requestId?: string): Raw => ['StepCompensated', { path, ...(requestId ? { requestId } : {}) }];
const attemptFailed = (path: string): Raw => ['CompensationAttemptFailed', { path, error, attempt: 1 }];
const compensationFailed = (path: string): Raw => ['CompensationFailed', { path, error }];
const resumed = (path: string): Raw => ['CompensationResumed', { path }];
const sagaFailed: Raw = ['SagaFailed', { error }];
const completed: Raw = ['SagaCompleted', { context: {} }];
const votes: Raw = ['VotesRequested', { votes: [{ service: 'stock', requestId: 'v1' }] }];
const vote = (yes: boolean, requestId = 'v1'): Raw => ['VoteReceived', { service: 'stock', requestId, vote: yes }];
const committed: Raw = ['TransactionCommitted', { services: ['stock'] }];
const rejected: Raw = ['TransactionRejected', { services: ['stock'], reason: 'no' }];
const notified: Raw = ['TransactionNotified', { services: ['stock'] }];
const commitFailed: Raw = ['CommitFailed', { error }];
const branch = (path: string): Raw => ['BranchChosen', { path, branch: 0 }];
const resent = (requestId: string): Raw => ['RequestResent', { path: '1', requestId, attempt: 2 }];
const cancel: Raw = ['CancelRequested', { reason: 'the customer called', by: null }];
const cancelStarted: Raw = ['CancelStarted', {}];
const parallel = (path: string): Raw => ['ParallelStarted', { path, branches: 3 }];
const parallelDone = (path: string): Raw => ['StepFinished', { path, kind: 'parallel' }];
const compensationStarted: Raw = ['CompensationStarted', {}];
const childDefinition = { name: 'ship', version: '1', fingerprint: 'f' };
const childStarted = (path: string, childId = 'c1'): Raw => ['ChildStarted', { path, childId, definition: childDefinition, context: {} }];
const childEnded = (path: string, outcome: string, childId = 'c1'): Raw => ['ChildEnded', { path, childId, outcome }];
const childDone = (path: string): Raw => ['StepFinished', { path, kind: 'child' }];
const childCompensation = (path: string, childId = 'c1'): Raw => ['ChildCompensationRequested', { path, childId }];
const compensationAsked: Raw = ['CompensationRequested', { parentId: 'p1' }];

/** local 0 → remote 1 (reply) → committed, notified (revisions 0…11). */
const committedRun: Raw[] = [started, local('0'), request('1', 'r1'), timer('t1', 'reply', 'r1'), reply('1', 'r1'), remoteDone('1'), completed, votes, timer('t2', 'votes'), vote(true), committed, notified];
/** local 0 → remote 1 → local 2 fails → 1 compensated remotely → 0 locally → failed, rejected (revisions 0…11). */
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
/** local 0 → remote 1 in flight, cancelled → reply awaited → 1 and 0 compensated → failed, rejected. */
const cancelledRun: Raw[] = [
  started,
  local('0'),
  request('1', 'r1'),
  cancel,
  reply('1', 'r1'),
  remoteDone('1'),
  cancelStarted,
  compensationRequest('1', 'c1'),
  reply('1', 'c1'),
  compensated('1', 'c1'),
  compensated('0'),
  sagaFailed,
  rejected,
];
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
const parallelRun: Raw[] = [started, parallel('0'), request('0.0.0', 'r1'), request('0.1.0', 'r2'), local('0.2.0'), reply('0.1.0', 'r2'), remoteDone('0.1.0'), reply('0.0.0', 'r1'), remoteDone('0.0.0'), parallelDone('0'), completed];
/** A child step that finished, a later step failing, the child compensated by request. */
const childRun: Raw[] = [started, childStarted('0'), childEnded('0', 'finished'), childDone('0'), failed('1'), childCompensation('0'), childEnded('0', 'compensated'), compensated('0'), sagaFailed];
/** Steps 0 and 1 finished, 2 failed (revisions 0…3): both are to be compensated, 1 first. */
const compensating: Raw[] = [started, local('0'), local('1'), failed('2')];

/** Three local steps; 0 and 1 have an onFailure (the shape of `compensating`). */
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

/** local 0 → remote 1 → local 2, both 0 and 1 compensable (the shape of `compensatedRun`). */
const remoteDefinition = new Saga('t', { version: '1' })
  .localStep()
  .onExecute(() => undefined)
  .onFailure(() => undefined)
  .remoteStep()
  .onExecute(() => new SagaRequest('stock.reserve', {}))
  .onFailure(() => new SagaRequest('stock.release', {}))
  .localStep()
  .onExecute(() => undefined)
  .commit();

/** A fold that agrees with the events except for one field. */
const lyingFold =
  (lie: (execution: SagaExecution) => SagaExecution) =>
  (events: Parameters<typeof fold>[0]): SagaExecution =>
    lie(fold(events));

// [what breaks, history, the definition if the rule needs it, the violation expected (whole)]
const rules: [string, HistoryEvent[], Saga | undefined, string][] = [
  // The stream as a whole.
  ['an empty stream', [], undefined, 'the stream has no events'],
  ['a first event that is not SagaStarted', history(local('0'), started), undefined, 'rev 0 StepFinished: the first event must be SagaStarted'],
  ['a second SagaStarted', history(started, started), undefined, 'rev 1 SagaStarted: SagaStarted must be the first event, and only the first'],
  ['revisions that are not dense', withEvent(history(started, local('0')), 1, { revision: 2 }), undefined, 'rev 2 StepFinished: expected revision 1 (revisions must be dense from 0)'],
  ['a recordedAt that is no timestamp', withEvent(history(started, local('0')), 1, { recordedAt: 'yesterday' }), undefined, "rev 1 StepFinished: recordedAt 'yesterday' is not a timestamp"],
  [
    'a request id used twice',
    history(started, request('1', 'r1'), reply('1', 'r1'), remoteDone('1'), request('2', 'r1')),
    undefined,
    'rev 4 RequestSent: RequestSent for step 2 repeats request r1 of revision 1: every request gets a new id',
  ],
  // Forward steps.
  ['a forward event after the end', history(started, local('0'), completed, local('1')), undefined, 'rev 3 StepFinished: StepFinished after the execution left its forward phase (phase: ended)'],
  ['a step finished twice', history(started, local('0'), local('0')), undefined, 'rev 2 StepFinished: step 0 finished twice'],
  ['a step that changes its kind', history(started, request('1', 'r1'), reply('1', 'r1'), local('1')), undefined, 'rev 3 StepFinished: step 1 was recorded as remote and now as local'],
  ['a remote step finished without a reply', history(started, request('1', 'r1'), remoteDone('1')), undefined, 'rev 2 StepFinished: remote step 1 finished without a reply to its request'],
  ['a step finished while a request is pending', history(started, request('1', 'r1'), local('0')), undefined, 'rev 2 StepFinished: step 0 finished while request r1 of step 1 is pending'],
  ['a second StepFailed', history(started, failed('0'), failed('1')), undefined, 'rev 2 StepFailed: a second StepFailed'],
  ['a step failed after it finished', history(started, local('0'), failed('0')), undefined, 'rev 2 StepFailed: step 0 failed after it had finished'],
  ['a timeout of a step that was not waiting', history(started, timer('t1'), fired('t1'), failed('1', 'timed-out', true)), undefined, 'rev 3 StepFailed: step 1 timed out but it was not waiting for a reply'],
  ['a timeout without TimerFired just before', history(started, request('1', 'r1'), failed('1', 'timed-out', true, 'r1')), undefined, 'rev 2 StepFailed: step 1 timed out without a TimerFired just before'],
  ['a failure on a reply that was not applied', history(started, request('1', 'r1'), failed('1', 'errored-on-success', true, 'r1')), undefined, 'rev 2 StepFailed: step 1 failed on a reply that was not applied just before'],
  [
    'a compensation marked for a step whose participant changed nothing',
    history(started, request('1', 'r1'), reply('1', 'r1', 500), failed('1', 'errored-by-on-execute', true, 'r1')),
    undefined,
    "rev 3 StepFailed: step 1 is marked for compensation but its status 'errored-by-on-execute' means the participant changed nothing",
  ],
  ['a step that sends its request twice', history(started, request('1', 'r1'), reply('1', 'r1'), request('1', 'r2')), undefined, 'rev 3 RequestSent: step 1 sent its request twice (a step must be applied once)'],
  ['a request after the step finished', history(started, local('1'), request('1', 'r1')), undefined, 'rev 2 RequestSent: step 1 sent a request after it had finished'],
  ['a request while another is pending', history(started, request('1', 'r1'), request('2', 'r2')), undefined, 'rev 2 RequestSent: request r2 of step 2 sent while request r1 of step 1 is still pending'],
  ['a branch chosen twice', history(started, branch('0'), branch('0')), undefined, 'rev 2 BranchChosen: conditional step 0 chose a branch twice'],
  ['a request re-sent that is not pending', history(started, resent('r1')), undefined, 'rev 1 RequestResent: re-sent request r1, which is not pending'],
  // Replies.
  ['a reply that matches no request', history(started, reply('1', 'r9')), undefined, 'rev 1 ReplyReceived: reply r9 matches no earlier RequestSent/CompensationRequestSent'],
  ['a second reply to one request', history(started, request('1', 'r1'), reply('1', 'r1'), reply('1', 'r1')), undefined, 'rev 3 ReplyReceived: a second reply applied for request r1'],
  ['a reply recorded on another step', history(started, request('1', 'r1'), reply('2', 'r1')), undefined, 'rev 2 ReplyReceived: reply for request r1 of step 1 recorded on step 2'],
  [
    'a late reply, after the timeout',
    history(started, local('0'), request('1', 'r1'), timer('t1', 'reply', 'r1'), fired('t1'), failed('1', 'timed-out', true, 'r1'), reply('1', 'r1')),
    undefined,
    'rev 6 ReplyReceived: reply r1 applied although its request was no longer pending (a late or stale reply)',
  ],
  // The end of the forward run.
  ['a second SagaCompleted', history(started, completed, completed), undefined, 'rev 2 SagaCompleted: a second SagaCompleted'],
  ['completed while a request is pending', history(started, request('1', 'r1'), completed), undefined, 'rev 2 SagaCompleted: completed while request r1 of step 1 is pending'],
  ['completed with another context', history(started, ['SagaCompleted', { context: { paid: true } }]), undefined, 'rev 1 SagaCompleted: SagaCompleted records a context different from the one its steps produced'],
  // Compensation.
  ['a compensation event while running forward', history(started, local('0'), compensated('0')), undefined, 'rev 2 StepCompensated: a compensation event while the execution is running forward'],
  ['a compensation event after the end', history(...compensatedRun.slice(0, -1), compensated('0')), undefined, 'rev 11 StepCompensated: a compensation event while the execution is ended (failed)'],
  [
    'a compensation request for a step not in the plan',
    history(...compensating, compensationRequest('7', 'c1')),
    undefined,
    'rev 4 CompensationRequestSent: compensation requested for step 7, which neither finished nor failed with compensate: true',
  ],
  [
    'a compensation request for a step already compensated',
    history(...compensating, compensated('1'), compensationRequest('1', 'c1')),
    undefined,
    'rev 5 CompensationRequestSent: compensation requested again for step 1, already compensated',
  ],
  [
    'a compensation request out of reverse order',
    history(...compensating, compensated('0'), compensationRequest('1', 'c1')),
    undefined,
    'rev 5 CompensationRequestSent: step 1 is compensated after step 0: compensations must run in reverse order (1, 0)',
  ],
  [
    'a step compensated that is not in the plan',
    history(...compensating, compensated('5')),
    undefined,
    'rev 4 StepCompensated: step 5 compensated although it neither finished nor failed with compensate: true',
  ],
  ['a step compensated twice', history(...compensating, compensated('1'), compensated('1')), undefined, 'rev 5 StepCompensated: step 1 compensated twice'],
  [
    'a step compensated out of reverse order',
    history(...compensating, compensated('0'), compensated('1')),
    undefined,
    'rev 5 StepCompensated: step 1 is compensated after step 0: compensations must run in reverse order (1, 0)',
  ],
  [
    'a step with an onFailure skipped (with the definition)',
    history(...compensating, compensated('0')),
    definition,
    'rev 4 StepCompensated: step 1 has an onFailure but was skipped before step 0 was compensated',
  ],
  ['a step compensated by a request without its reply', history(...compensating, compensated('1', 'c9')), undefined, 'rev 4 StepCompensated: step 1 compensated by request c9 without its reply just before'],
  [
    'a step compensated locally while a request is pending',
    history(...compensating, compensationRequest('1', 'c1'), compensated('0')),
    undefined,
    'rev 5 StepCompensated: step 0 compensated locally while compensation request c1 of step 1 is pending',
  ],
  [
    'a compensation attempt of a step not to be compensated',
    history(...compensating, attemptFailed('5')),
    undefined,
    'rev 4 CompensationAttemptFailed: compensation attempt of step 5, which is not to be compensated (any more)',
  ],
  [
    'a compensation attempt out of reverse order',
    history(...compensating, compensated('0'), attemptFailed('1')),
    undefined,
    'rev 5 CompensationAttemptFailed: step 1 is compensated after step 0: compensations must run in reverse order (1, 0)',
  ],
  [
    'a compensation failed of a step not to be compensated',
    history(...compensating, compensationFailed('5')),
    undefined,
    'rev 4 CompensationFailed: compensation of step 5 failed, but that step is not to be compensated (any more)',
  ],
  [
    'a compensation failed out of reverse order',
    history(...compensating, compensated('0'), compensationFailed('1')),
    undefined,
    'rev 5 CompensationFailed: step 1 is compensated after step 0: compensations must run in reverse order (1, 0)',
  ],
  ['a compensation resumed that had not failed', history(...compensating, resumed('1')), undefined, 'rev 4 CompensationResumed: resumed the compensation of step 1, which had not failed'],
  [
    'a compensation resumed for another step than the one that failed',
    history(...compensating, compensationFailed('1'), resumed('0')),
    undefined,
    'rev 5 CompensationResumed: resumed the compensation of step 0, which had not failed',
  ],
  ['a second SagaFailed', history(...compensatedRun.slice(0, -1), sagaFailed), undefined, 'rev 11 SagaFailed: a second SagaFailed'],
  ['failed while a request is pending', history(...compensating, compensationRequest('1', 'c1'), sagaFailed), undefined, 'rev 5 SagaFailed: failed while compensation request c1 of step 1 is pending'],
  ['failed before compensating every step with an onFailure (with the definition)', history(...compensating, sagaFailed), definition, 'rev 4 SagaFailed: failed before compensating step(s) 1, 0'],
  [
    'failed before compensating a remote step with an onFailure (with the definition)',
    history(...compensatedRun.slice(0, 6), compensated('0'), sagaFailed),
    remoteDefinition,
    'rev 7 SagaFailed: failed before compensating step(s) 1',
  ],
  // The transaction.
  ['votes requested twice', history(started, completed, votes, votes), undefined, 'rev 3 VotesRequested: votes requested twice'],
  ['votes requested after the transaction was rejected', history(started, completed, rejected, votes), undefined, 'rev 3 VotesRequested: votes requested after the transaction was already rejected'],
  ['votes requested for an execution that did not complete', history(started, local('0'), votes), undefined, 'rev 2 VotesRequested: votes requested for an execution that did not complete'],
  ['a vote never asked for', history(started, completed, votes, vote(true, 'v9')), undefined, 'rev 3 VoteReceived: vote v9 was never requested'],
  ['a second vote', history(started, completed, votes, vote(true), vote(true)), undefined, 'rev 4 VoteReceived: a second vote for v1 (stock)'],
  ['a vote while no vote is asked', history(started, completed, votes, rejected, vote(true)), undefined, 'rev 4 VoteReceived: a vote received while no vote is asked'],
  ['a commit without any vote', history(started, completed, committed), undefined, 'rev 2 TransactionCommitted: the transaction was committed without a vote (transaction none)'],
  [
    'a commit after a rejection',
    history(started, completed, votes, vote(true), rejected, committed),
    undefined,
    'rev 5 TransactionCommitted: the transaction was committed without a vote (transaction rejected)',
  ],
  ['a commit without a yes from everyone', history(started, completed, votes, vote(false), committed), undefined, 'rev 4 TransactionCommitted: committed without a yes from every participant (stock: false)'],
  ['rejected twice', history(started, completed, rejected, rejected), undefined, 'rev 3 TransactionRejected: rejected twice'],
  ['rejected after the commit', history(...committedRun.slice(0, -1), rejected), undefined, 'rev 11 TransactionRejected: rejected after the transaction was committed'],
  ['anything but TransactionNotified after the commit', history(...committedRun.slice(0, -1), timer('t3')), undefined, 'rev 11 TimerScheduled: nothing but TransactionNotified may follow TransactionCommitted'],
  ['TransactionNotified before the outcome', history(started, completed, notified), undefined, 'rev 2 TransactionNotified: TransactionNotified before the transaction was decided'],
  ['TransactionNotified twice', history(...committedRun, notified), undefined, 'rev 12 TransactionNotified: TransactionNotified twice'],
  [
    'anything but TransactionRejected after SagaFailed',
    history(...compensatedRun.slice(0, -1), timer('t1')),
    undefined,
    'rev 11 TimerScheduled: only TransactionRejected (then TransactionNotified) may follow SagaFailed',
  ],
  ['a second CommitFailed', history(started, completed, votes, vote(false), commitFailed, commitFailed), undefined, 'rev 5 CommitFailed: a second CommitFailed'],
  ['a commit failed without a no vote', history(started, completed, votes, vote(true), commitFailed), undefined, 'rev 4 CommitFailed: the commit failed without a no vote'],
  ['a commit failed for an execution that did not complete', history(started, votes, vote(false), commitFailed), undefined, 'rev 3 CommitFailed: the commit failed for an execution that did not complete'],
  // Cancellation.
  ['a second CancelRequested', history(started, request('1', 'r1'), cancel, cancel), undefined, 'rev 3 CancelRequested: a second CancelRequested (cancelling twice records nothing)'],
  ['a cancel requested after the end', history(started, completed, cancel), undefined, 'rev 2 CancelRequested: cancel requested after the execution ended'],
  ['a cancel that took effect without being requested', history(started, local('0'), cancelStarted), undefined, 'rev 2 CancelStarted: the cancel took effect without a CancelRequested'],
  [
    'a cancel that took effect while a request is pending',
    history(started, request('1', 'r1'), cancel, cancelStarted),
    undefined,
    'rev 3 CancelStarted: the cancel took effect while request r1 of step 1 is pending (it must be awaited)',
  ],
  ['a second CancelStarted', history(started, cancel, cancelStarted, cancelStarted), undefined, 'rev 3 CancelStarted: a second CancelStarted'],
  ['a local step run after the cancel', history(started, cancel, local('0')), undefined, 'rev 2 StepFinished: local step 0 ran after the execution was cancelled'],
  ['a request sent after the cancel', history(started, cancel, request('0', 'r0')), undefined, 'rev 2 RequestSent: step 0 sent a request after the execution was cancelled'],
  ['a branch chosen after the cancel', history(started, cancel, branch('0')), undefined, 'rev 2 BranchChosen: conditional step 0 chose a branch after the execution was cancelled'],
  // Parallel steps.
  ['a parallel step finished that never started', history(started, parallelDone('0')), undefined, 'rev 1 StepFinished: parallel step 0 finished but never started'],
  [
    'a parallel step joined while a branch waits',
    history(started, parallel('0'), request('0.0.0', 'r1'), parallelDone('0')),
    undefined,
    'rev 3 StepFinished: parallel step 0 finished while request r1 of step 0.0.0 of a branch is pending',
  ],
  ['a parallel step started twice', history(started, parallel('0'), parallel('0')), undefined, 'rev 2 ParallelStarted: parallel step 0 started twice'],
  ['a parallel step started after the cancel', history(started, cancel, parallel('0')), undefined, 'rev 2 ParallelStarted: parallel step 0 started after the execution was cancelled'],
  [
    'a step started after a branch failed, while another waits',
    history(started, parallel('0'), request('0.0.0', 'r1'), failed('0.1.0'), local('0.1.1')),
    undefined,
    'rev 4 StepFinished: local step 0.1.1 ran after a step failed: no step may start while the requests in flight are awaited',
  ],
  ['completed with a parallel step open', history(started, parallel('0'), completed), undefined, 'rev 2 SagaCompleted: completed while parallel step 0 had not finished'],
  ['a second CompensationStarted', history(...parallelFailedRun.slice(0, 9), compensationStarted), undefined, 'rev 9 CompensationStarted: a second CompensationStarted'],
  [
    'compensation started without a failure that halted the branches',
    history(started, local('0'), compensationStarted),
    undefined,
    'rev 2 CompensationStarted: compensation started without a step that failed while others were in flight',
  ],
  [
    'compensation started with requests in flight',
    history(started, parallel('0'), request('0.0.0', 'r1'), request('0.1.0', 'r2'), failed('0.2.0'), compensationStarted),
    undefined,
    'rev 5 CompensationStarted: compensation started while request r1 of step 0.0.0 is pending (it must be awaited)',
  ],
  // Child sagas.
  ['a child step finished before its child ended', history(started, childStarted('0'), childDone('0')), undefined, 'rev 2 StepFinished: child step 0 finished before its child ended'],
  ['a child that ended but was not awaited', history(started, childEnded('0', 'finished')), undefined, 'rev 1 ChildEnded: child c1 of step 0 ended, but the step was not waiting for it'],
  ['a child compensated while it was asked to run', history(started, childStarted('0'), childEnded('0', 'compensated')), undefined, 'rev 2 ChildEnded: child c1 of step 0 compensated, but it was asked to execute'],
  ['a child started twice', history(started, childStarted('0'), childStarted('0', 'c2')), undefined, 'rev 2 ChildStarted: child step 0 started its child twice'],
  ['a child started after the cancel', history(started, cancel, childStarted('0')), undefined, 'rev 2 ChildStarted: child step 0 started after the execution was cancelled'],
  [
    'a child step compensated before its child was',
    history(...childRun.slice(0, 6), compensated('0')),
    undefined,
    'rev 6 StepCompensated: child step 0 compensated while its child is still compensating',
  ],
  [
    'a child asked to compensate for a step not to be compensated',
    history(...compensating, childCompensation('7')),
    undefined,
    'rev 4 ChildCompensationRequested: child of step 7 asked to compensate, but that step is not to be compensated (any more)',
  ],
  ['a second CompensationRequested', history(...committedRun, compensationAsked, compensationAsked), undefined, 'rev 13 CompensationRequested: a second CompensationRequested'],
  [
    'a compensation asked of an execution that did not complete',
    history(started, local('0'), compensationAsked),
    undefined,
    'rev 2 CompensationRequested: a parent asked this execution to compensate, but it had not completed',
  ],
  // Timers.
  ['a timer scheduled twice', history(started, timer('t1'), timer('t1')), undefined, 'rev 2 TimerScheduled: timer t1 scheduled twice'],
  ['a timer that fires but was never scheduled', history(started, fired('t9')), undefined, 'rev 1 TimerFired: timer t9 fired but was never scheduled'],
  ['a timer that fires twice', history(started, timer('t1'), fired('t1'), fired('t1')), undefined, 'rev 3 TimerFired: timer t1 fired twice'],
  // Decoding (checkInvariants' own rule: nothing else is checked then).
  ['an event whose data does not decode', history(started, ['StepFinished', { path: 0 }]), undefined, 'rev 1 StepFinished: does not decode'],
  ['an event type that does not exist', history(started, ['NoSuchEvent', {}]), undefined, 'rev 1 NoSuchEvent: does not decode'],
];

// [field the fold gets wrong, history, the lie, the violation expected]
const foldLies: [string, HistoryEvent[], (execution: SagaExecution) => SagaExecution, string][] = [
  ['status', history(started, local('0'), request('1', 'r1')), (e) => ({ ...e, status: SagaStatus.Finished }), 'fold: status is "finished" but the events say "paused"'],
  ['phase', history(started, local('0')), (e) => ({ ...e, phase: 'compensating' }), 'fold: phase is "compensating" but the events say "forward"'],
  ['revision', history(started, local('0')), (e) => ({ ...e, revision: 7 }), 'fold: revision is 7 but the events say 1'],
  [
    'pending requests',
    history(started, local('0')),
    (e) => ({ ...e, pendingRequests: [{ requestId: 'r9', path: '1', target: 'x', payload: {}, purpose: 'execute', sentAt: at, attempt: 1 }] }),
    'fold: pending requests is "r9" but the events say ""',
  ],
  [
    'compensation.failed',
    history(...compensating, compensationFailed('1')),
    (e) => ({ ...e, compensation: { ...e.compensation, failed: undefined } }),
    'fold: compensation.failed is undefined but the events say "1"',
  ],
  ['transaction.status', history(...committedRun), (e) => ({ ...e, transaction: { ...e.transaction, status: 'rejected' } }), 'fold: transaction.status is "rejected" but the events say "committed"'],
  [
    'the compensated steps',
    history(...compensatedRun),
    (e) => ({ ...e, steps: e.steps.map((s) => (s.path === '0' ? { ...s, status: 'finished' } : s)) }),
    'fold: compensated steps is "1" but the events say "0,1"',
  ],
];

describe('checkInvariants', () => {
  it('passes well-formed histories: committed, compensated (with and without the definition), cancelled, parallel, with a child, paused, a compensation failed for an operator and resumed', () => {
    expect(checkInvariants(history(...committedRun))).toEqual([]);
    expect(checkInvariants(history(...compensatedRun))).toEqual([]);
    expect(checkInvariants(history(...compensatedRun), remoteDefinition)).toEqual([]);
    expect(checkInvariants(history(...cancelledRun), remoteDefinition)).toEqual([]);
    expect(checkInvariants(history(...parallelFailedRun))).toEqual([]);
    expect(checkInvariants(history(...parallelRun))).toEqual([]);
    expect(checkInvariants(history(...childRun))).toEqual([]);
    expect(checkInvariants(history(...committedRun, compensationAsked, compensated('0'), sagaFailed))).toEqual([]);
    expect(checkInvariants(history(...compensating, compensated('1'), compensated('0'), sagaFailed, rejected, notified), definition)).toEqual([]);
    expect(checkInvariants(history(started, local('0'), request('1', 'r1'), timer('t1', 'reply', 'r1')))).toEqual([]);
    expect(checkInvariants(history(started, local('0'), failed('1'), compensationFailed('0'), resumed('0'), compensated('0'), sagaFailed))).toEqual([]);
  });

  it('a clock that runs backwards is a warning, not a violation', () => {
    expect(checkInvariants(withEvent(history(started, local('0')), 1, { recordedAt: '2000-01-01T00:00:00.000Z' }))).toEqual([]);
  });

  it('an event that does not decode is the only thing reported (the rules between events need every event)', () => {
    const violations = checkInvariants(history(started, local('0'), local('0'), ['StepFinished', { path: 0 }]));
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/^rev 3 StepFinished: does not decode \(/);
  });

  it.each(rules)('catches %s', (_, events, saga, expected) => {
    const violations = checkInvariants(events, saga);
    // Decoding failures carry the decoder's wording after the rule's own: the prefix is the rule.
    const found = expected.endsWith('does not decode') ? violations.some((v) => v.startsWith(`${expected} (`)) : violations.includes(expected);
    expect(found, `expected the violation ${JSON.stringify(expected)}, got ${JSON.stringify(violations, null, 2)}`).toBe(true);
  });

  it('with the execution id it was read for: a SagaStarted that names another execution is caught', () => {
    expect(checkInvariants(history(...committedRun), undefined, { executionId: 'e1' })).toEqual([]);
    expect(checkInvariants(history(...committedRun), undefined, { executionId: 'e2' })).toEqual(['rev 0 SagaStarted: SagaStarted names execution e1, but the stream belongs to e2']);
  });

  it.each(foldLies)('compares the engine fold with the model: a fold wrong about %s is caught', (_, events, lie, expected) => {
    expect(checkInvariants(events, undefined, { fold: lyingFold(lie) })).toEqual([expected]);
  });
});
