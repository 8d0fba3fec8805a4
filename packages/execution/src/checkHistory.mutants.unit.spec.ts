// What mutation testing (`pnpm mutation execution-checkHistory`) found no test for in the history
// checker: histories an engine writes that no rule may reject (a timeout, each failure status, two
// branches failing, a branch failing while a child runs, nested parallel steps), and histories that
// break one rule, checked for every finding they give (not just the expected one): a rule that
// fires where it should not, an event checked on after its phase was already wrong, or findings out
// of revision order all show up as a finding more, one less, or a different order.
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
import { checkHistory, type CheckHistoryOptions } from './checkHistory.js';
import type { RecordedSagaEvent } from './decodeEvent.js';
import { Saga } from '@saga/definitions';

const replyTimer = (timerId: string, requestId: string): Raw => ['TimerScheduled', { timerId, purpose: 'reply', dueAt: at, requestId, path: '1' }];
const failed = (path: string, status = 'errored-on-execute', compensate = false): Raw => ['StepFailed', { path, kind: 'local', status, error, compensate }];
const remoteFailed = (path: string, requestId: string, status: string, compensate: boolean): Raw => ['StepFailed', { path, kind: 'remote', status, error, compensate, requestId }];
const branch = (path: string, chosen: number | null = 0): Raw => ['BranchChosen', { path, branch: chosen }];
const conditionalDone = (path: string): Raw => ['StepFinished', { path, kind: 'conditional' }];
const parallel = (path: string): Raw => ['ParallelStarted', { path, branches: 2 }];
const parallelDone = (path: string): Raw => ['StepFinished', { path, kind: 'parallel' }];
const childDefinition = { name: 'ship', version: '1', fingerprint: 'f' };
const childStarted = (path: string, childId = 'c1'): Raw => ['ChildStarted', { path, childId, definition: childDefinition, context: {} }];
const childEnded = (path: string, outcome: string, childId = 'c1'): Raw => ['ChildEnded', { path, childId, outcome }];
const childDone = (path: string): Raw => ['StepFinished', { path, kind: 'child' }];
const childCompensation = (path: string, childId = 'c1'): Raw => ['ChildCompensationRequested', { path, childId }];
const cancel: Raw = ['CancelRequested', { reason: 'the customer called', by: null }];
const cancelStarted: Raw = ['CancelStarted', {}];
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

/** Four local steps; 0, 1 and 2 have an onFailure. */
const threeCompensable = new Saga('t', { version: '1' })
  .localStep()
  .onExecute(() => undefined)
  .onFailure(() => undefined)
  .localStep()
  .onExecute(() => undefined)
  .onFailure(() => undefined)
  .localStep()
  .onExecute(() => undefined)
  .onFailure(() => undefined)
  .localStep()
  .onExecute(() => undefined)
  .commit();

const twoVotes: Raw = ['VotesRequested', { votes: [{ service: 'stock', requestId: 'v1' }, { service: 'pay', requestId: 'v2' }] }];
const payVote = (yes: boolean): Raw => ['VoteReceived', { service: 'pay', requestId: 'v2', vote: yes }];

/** Every finding, as `<revision or -> <type or ->: <message>` (problems; warnings prefixed). */
const findings = (events: readonly RecordedSagaEvent[], options?: CheckHistoryOptions): string[] =>
  checkHistory(events, options).map((f) => `${f.severity === 'warning' ? 'warning ' : ''}${f.revision ?? '-'} ${f.type ?? '-'}: ${f.message}`);

describe('checkHistory: histories an engine writes', () => {
  // [what happened, history]
  const valid: [string, RecordedSagaEvent[]][] = [
    ['a request timed out (its reply timer fired) and its step is compensated', history(started, request('1', 'r1'), replyTimer('t1', 'r1'), fired('t1'), remoteFailed('1', 'r1', 'timed-out', true), compensationRequest('1', 'c1'), reply('1', 'c1'), compensated('1', 'c1'), sagaFailed)],
    ['onSuccess failed on the reply: the step is compensated', history(started, request('1', 'r1'), reply('1', 'r1'), remoteFailed('1', 'r1', 'errored-on-success', true), compensationRequest('1', 'c1'), reply('1', 'c1'), compensated('1', 'c1'), sagaFailed)],
    ['onError failed on an error reply: the step is compensated', history(started, request('1', 'r1'), reply('1', 'r1', 400), remoteFailed('1', 'r1', 'errored-on-error', true), compensationRequest('1', 'c1'), reply('1', 'c1'), compensated('1', 'c1'), sagaFailed)],
    ['the participant failed to execute: only the steps before are compensated', history(started, local('0'), request('1', 'r1'), reply('1', 'r1', 500), remoteFailed('1', 'r1', 'errored-by-on-execute', false), compensated('0'), sagaFailed)],
    [
      'two branches fail, the second while the first failure waits for it',
      history(started, parallel('0'), request('0.0.0', 'r1'), request('0.1.0', 'r2'), reply('0.1.0', 'r2', 400), remoteFailed('0.1.0', 'r2', 'errored-on-error', false), reply('0.0.0', 'r1', 400), remoteFailed('0.0.0', 'r1', 'errored-on-error', false), sagaFailed),
    ],
    [
      'a branch fails while a child runs in the other: the child is awaited, then compensated',
      history(started, parallel('0'), childStarted('0.0.0'), failed('0.1.0'), childEnded('0.0.0', 'finished'), childDone('0.0.0'), compensationStarted, childCompensation('0.0.0'), childEnded('0.0.0', 'compensated'), compensated('0.0.0'), sagaFailed),
    ],
    [
      'a parallel step nested in a branch joins while the other branch still waits for its reply',
      history(started, parallel('0'), request('0.1.0', 'r1'), parallel('0.0.0'), local('0.0.0.0.0'), local('0.0.0.1.0'), parallelDone('0.0.0'), reply('0.1.0', 'r1'), remoteDone('0.1.0'), parallelDone('0'), completed),
    ],
    [
      'a participant voted no: the commit failed, the finished saga is compensated',
      history(started, request('1', 'r1'), reply('1', 'r1'), remoteDone('1'), completed, votes, vote(false), rejected, commitFailed, compensationRequest('1', 'c1'), reply('1', 'c1'), compensated('1', 'c1'), sagaFailed),
    ],
    ['paused on a child', history(started, childStarted('0'))],
    [
      'two branches of a parallel step nested in a branch wait at once',
      history(started, parallel('0'), parallel('0.0.0'), request('0.0.0.0.0', 'r1'), request('0.0.0.1.0', 'r2'), reply('0.0.0.0.0', 'r1'), remoteDone('0.0.0.0.0'), reply('0.0.0.1.0', 'r2'), remoteDone('0.0.0.1.0'), parallelDone('0.0.0'), local('0.1.0'), parallelDone('0'), completed),
    ],
    [
      'a compensation attempt failed, retried, then done',
      history(...compensating, compensationRequest('1', 'c1'), reply('1', 'c1', 500), attemptFailed('1'), ['TimerScheduled', { timerId: 't1', purpose: 'retry', dueAt: at, path: '1' }], fired('t1'), compensationRequest('1', 'c2'), reply('1', 'c2'), compensated('1', 'c2'), compensated('0'), sagaFailed),
    ],
    ['a request re-sent while it waits', history(started, request('1', 'r1'), ['TimerScheduled', { timerId: 't1', purpose: 'resend', dueAt: at, requestId: 'r1', path: '1' }], fired('t1'), ['RequestResent', { path: '1', requestId: 'r1', attempt: 2 }], reply('1', 'r1'), remoteDone('1'), completed)],
    [
      'one participant voted yes, the other no: the commit failed, both steps compensated in reverse order',
      history(started, local('0'), request('1', 'r1'), reply('1', 'r1'), remoteDone('1'), completed, twoVotes, vote(true), payVote(false), rejected, commitFailed, compensationRequest('1', 'c1'), reply('1', 'c1'), compensated('1', 'c1'), compensated('0'), sagaFailed),
    ],
    [
      'a finished child asked by its parent to compensate undoes its steps in reverse order',
      history(started, local('0'), request('1', 'r1'), reply('1', 'r1'), remoteDone('1'), completed, ['CompensationRequested', { parentId: 'p1' }], compensationRequest('1', 'c1'), reply('1', 'c1'), compensated('1', 'c1'), compensated('0'), sagaFailed),
    ],
    [
      'a branch failed while another waited: once it is answered, the finished steps are compensated in reverse order',
      history(started, parallel('0'), local('0.0.0'), request('0.1.0', 'r1'), failed('0.2.0'), reply('0.1.0', 'r1'), remoteDone('0.1.0'), compensationStarted, compensationRequest('0.1.0', 'c1'), reply('0.1.0', 'c1'), compensated('0.1.0', 'c1'), compensated('0.0.0'), sagaFailed),
    ],
    [
      'a child that failed (and compensated itself): its step failed, the steps before it compensated',
      history(started, local('0'), childStarted('1'), childEnded('1', 'errored'), ['StepFailed', { path: '1', kind: 'child', status: 'errored-by-on-execute', error, compensate: false }], compensated('0'), sagaFailed),
    ],
    ['a child that could not compensate', history(started, childStarted('0'), childEnded('0', 'finished'), childDone('0'), failed('1'), childCompensation('0'), childEnded('0', 'compensation-failed'), compensationFailed('0'))],
    [
      'branch 1’s step recorded before branch 0’s, both compensated',
      history(started, parallel('0'), request('0.1.0', 'r1'), local('0.0.0'), reply('0.1.0', 'r1'), remoteDone('0.1.0'), parallelDone('0'), failed('1'), compensationRequest('0.1.0', 'c1'), reply('0.1.0', 'c1'), compensated('0.1.0', 'c1'), compensated('0.0.0'), sagaFailed),
    ],
    ['failed with a participant whose outcome is not decided yet', history(started, request('1', 'r1'), reply('1', 'r1'), remoteDone('1'), failed('2'), compensationRequest('1', 'c1'), reply('1', 'c1'), compensated('1', 'c1'), sagaFailed)],
  ];

  it.each(valid)('finds nothing: %s', (_, events) => {
    expect(findings(events)).toEqual([]);
  });

  it('with the definition: steps without an onFailure may be skipped, three compensations in a row are not skips', () => {
    expect(findings(history(started, local('0'), local('1'), local('2'), failed('3'), compensated('1'), compensated('0'), sagaFailed), { definition })).toEqual([]);
    expect(findings(history(started, local('0'), local('1'), local('2'), failed('3'), compensated('2'), compensated('1'), compensated('0'), sagaFailed), { definition: threeCompensable })).toEqual([]);
  });

  it('finds nothing when the definition does not have a step the history names (that rule is checkHistoryAgainstDefinition’s)', () => {
    expect(findings(history(started, local('7'), failed('8'), sagaFailed), { definition })).toEqual([]);
  });
});

describe('checkHistory: every finding of a broken history', () => {
  // [what breaks, history, every finding expected, in order]
  const broken: [string, RecordedSagaEvent[], string[]][] = [
    // An event in the wrong phase is reported as such, and its own rules are not applied on top.
    ['a step finished again after the end', history(started, local('0'), completed, local('0')), ['- -: fold: status is "running" but the events say "finished"', '3 StepFinished: StepFinished after the execution left its forward phase (phase: ended)']],
    [
      'a finished step failed after the end',
      history(started, local('0'), completed, failed('0')),
      ['- -: fold: status is "running" but the events say "finished"', '- -: fold: phase is "compensating" but the events say "ended"', '3 StepFailed: StepFailed after the execution left its forward phase (phase: ended)'],
    ],
    [
      'a request sent again after the end',
      history(started, request('1', 'r1'), reply('1', 'r1'), remoteDone('1'), completed, request('1', 'r2')),
      ['- -: fold: status is "paused" but the events say "finished"', '- -: fold: pending requests is "r2" but the events say ""', '5 RequestSent: RequestSent after the execution left its forward phase (phase: ended)'],
    ],
    ['a branch chosen again after the end', history(started, branch('0'), local('0.0.0'), conditionalDone('0'), completed, branch('0')), ['5 BranchChosen: BranchChosen after the execution left its forward phase (phase: ended)']],
    [
      'completed, with another context, after the execution failed',
      history(...compensating, compensated('1'), compensated('0'), sagaFailed, ['SagaCompleted', { context: { x: 1 } }]),
      [
        '- -: fold: status is "finished" but the events say "errored"',
        '7 SagaCompleted: only TransactionRejected (then TransactionNotified) may follow SagaFailed',
        '7 SagaCompleted: SagaCompleted after the execution left its forward phase (phase: ended)',
      ],
    ],
    [
      'a cancel that takes effect during compensation, while a compensation request is pending',
      history(...compensating, cancel, compensationRequest('1', 'c1'), cancelStarted),
      ['- -: fold: status is "running" but the events say "paused"', '- -: fold: pending requests is "" but the events say "c1"', '6 CancelStarted: CancelStarted after the execution left its forward phase (phase: compensating)'],
    ],
    ['a parallel step started again after the end', history(started, parallel('0'), parallelDone('0'), completed, parallel('0')), ['4 ParallelStarted: ParallelStarted after the execution left its forward phase (phase: ended)']],
    [
      'a child started again after the end',
      history(started, childStarted('0'), childEnded('0', 'finished'), childDone('0'), completed, childStarted('0', 'c2')),
      ['- -: fold: status is "paused" but the events say "finished"', '5 ChildStarted: ChildStarted after the execution left its forward phase (phase: ended)'],
    ],
    ['compensation started while compensating', history(...compensating, compensationStarted), ['4 CompensationStarted: CompensationStarted after the execution left its forward phase (phase: compensating)']],
    ['a step compensated while running forward', history(started, local('0'), compensated('0')), ['- -: fold: compensated steps is "0" but the events say ""', '2 StepCompensated: a compensation event while the execution is running forward']],
    ['a compensation attempt while running forward', history(started, local('0'), attemptFailed('0')), ['2 CompensationAttemptFailed: a compensation event while the execution is running forward']],
    [
      'a compensation failed while running forward',
      history(started, local('0'), compensationFailed('0')),
      [
        '- -: fold: status is "errored" but the events say "running"',
        '- -: fold: phase is "ended" but the events say "forward"',
        '- -: fold: compensation.failed is "0" but the events say undefined',
        '2 CompensationFailed: a compensation event while the execution is running forward',
      ],
    ],
    [
      'failed while running forward, with a request pending',
      history(started, request('1', 'r1'), sagaFailed),
      ['- -: fold: status is "errored" but the events say "paused"', '- -: fold: phase is "ended" but the events say "forward"', '2 SagaFailed: a compensation event while the execution is running forward'],
    ],
    [
      'a compensation request while running forward',
      history(started, local('0'), compensationRequest('0', 'c1')),
      ['- -: fold: status is "paused" but the events say "running"', '- -: fold: pending requests is "c1" but the events say ""', '2 CompensationRequestSent: a compensation event while the execution is running forward'],
    ],
    [
      'a child asked to compensate while running forward',
      history(started, local('0'), childCompensation('0')),
      ['- -: fold: status is "paused" but the events say "running"', '2 ChildCompensationRequested: a compensation event while the execution is running forward'],
    ],
    // Failure statuses: which ones need a reply applied just before, which ones may be compensated.
    ['onError failed without an error reply', history(started, request('1', 'r1'), remoteFailed('1', 'r1', 'errored-on-error', true)), ['2 StepFailed: step 1 failed on a reply that was not applied just before']],
    ['the participant failed to execute without a reply', history(started, request('1', 'r1'), remoteFailed('1', 'r1', 'errored-by-on-execute', false)), ['2 StepFailed: step 1 failed on a reply that was not applied just before']],
    ['a local onExecute that threw, marked for compensation', history(started, failed('0', 'errored-on-execute', true)), ["1 StepFailed: step 0 is marked for compensation but its status 'errored-on-execute' means the participant changed nothing"]],
    // Conditional and parallel steps are not compensated themselves: the steps inside them are.
    ['a conditional step compensated itself', history(started, branch('0'), local('0.0.0'), conditionalDone('0'), failed('1'), compensationRequest('0', 'c1')), ['5 CompensationRequestSent: compensation requested for step 0, which neither finished nor failed with compensate: true']],
    ['a parallel step compensated itself', history(started, parallel('0'), local('0.0.0'), local('0.1.0'), parallelDone('0'), failed('1'), compensated('0')), ['6 StepCompensated: step 0 compensated although it neither finished nor failed with compensate: true']],
    ['a conditional that chose no branch finished again', history(started, branch('0', null), conditionalDone('0')), ['2 StepFinished: step 0 finished twice']],
    // Compensation.
    [
      'two compensation requests at once, in two branches of a parallel step',
      history(started, parallel('0'), local('0.0.0'), local('0.1.0'), failed('0.2.0'), compensationRequest('0.1.0', 'c1'), compensationRequest('0.0.0', 'c2')),
      ['6 CompensationRequestSent: compensation request c2 of step 0.0.0 sent while compensation request c1 of step 0.1.0 is still pending'],
    ],
    ['a step compensated by a request other than the one replied to', history(...compensating, compensationRequest('1', 'c1'), reply('1', 'c1'), compensated('1', 'c2')), ['6 StepCompensated: step 1 compensated by request c2 without its reply just before']],
    ['a step compensated by a request whose attempt failed after its reply', history(...compensating, compensationRequest('1', 'c1'), reply('1', 'c1'), attemptFailed('1'), compensated('1', 'c1')), ['7 StepCompensated: step 1 compensated by request c1 without its reply just before']],
    ['a compensation attempt of a step already compensated', history(...compensating, compensated('1'), attemptFailed('1')), ['- -: fold: compensated steps is "" but the events say "1"', '5 CompensationAttemptFailed: compensation attempt of step 1, which is not to be compensated (any more)']],
    ['a compensation failed of a step already compensated', history(...compensating, compensated('1'), compensationFailed('1')), ['- -: fold: compensated steps is "" but the events say "1"', '5 CompensationFailed: compensation of step 1 failed, but that step is not to be compensated (any more)']],
    ['a child asked to compensate a step already compensated', history(...compensating, compensated('1'), childCompensation('1')), ['- -: fold: compensated steps is "" but the events say "1"', '5 ChildCompensationRequested: child of step 1 asked to compensate, but that step is not to be compensated (any more)']],
    // Replies.
    ['a reply that matches no request', history(started, reply('1', 'r9')), ['1 ReplyReceived: reply r9 matches no earlier RequestSent/CompensationRequestSent']],
    ['a second reply to one request', history(started, request('1', 'r1'), reply('1', 'r1'), reply('1', 'r1')), ['3 ReplyReceived: a second reply applied for request r1']],
    // The transaction.
    ['votes requested after a commit (that had no vote)', history(started, completed, ['TransactionCommitted', { services: ['stock'] }], votes), ['2 TransactionCommitted: the transaction was committed without a vote (transaction none)', '3 VotesRequested: nothing but TransactionNotified may follow TransactionCommitted', '3 VotesRequested: votes requested after the transaction was already committed']],
    ['a commit without any vote', history(started, completed, ['TransactionCommitted', { services: ['stock'] }]), ['2 TransactionCommitted: the transaction was committed without a vote (transaction none)']],
    // Parallel steps and children started again after they finished.
    ['a parallel step started again after it joined', history(started, parallel('0'), parallelDone('0'), parallel('0')), ['3 ParallelStarted: parallel step 0 started twice']],
    ['a child step that starts a child again after it finished', history(started, childStarted('0'), childEnded('0', 'finished'), childDone('0'), childStarted('0', 'c2')), ['4 ChildStarted: child step 0 started its child twice']],
    ['another child than the one awaited ended', history(started, childStarted('0'), childEnded('0', 'finished', 'c9')), ['2 ChildEnded: child c9 of step 0 ended, but the step was not waiting for it']],
    ['a second request in one branch, the first inside a conditional step of that branch', history(started, parallel('0'), branch('0.0.0'), request('0.0.0.0.0', 'r1'), request('0.0.1', 'r2')), ['4 RequestSent: request r2 of step 0.0.1 sent while request r1 of step 0.0.0.0.0 is still pending']],
    ['a branch chosen after a step failed while another waits', history(started, parallel('0'), request('0.0.0', 'r1'), failed('0.1.0'), branch('0.1.1')), ['4 BranchChosen: conditional step 0.1.1 chose a branch after a step failed: no step may start while the requests in flight are awaited']],
    ['a parallel step started after a step failed while another waits', history(started, parallel('0'), request('0.0.0', 'r1'), failed('0.1.0'), parallel('0.1.1')), ['4 ParallelStarted: parallel step 0.1.1 started after a step failed: no step may start while the requests in flight are awaited']],
    ['a child started after a step failed while another waits', history(started, parallel('0'), request('0.0.0', 'r1'), failed('0.1.0'), childStarted('0.1.1')), ['4 ChildStarted: child step 0.1.1 started after a step failed: no step may start while the requests in flight are awaited']],
    ['a vote that nobody asked for, before any VotesRequested', history(started, completed, vote(true)), ['2 VoteReceived: vote v1 was never requested', '2 VoteReceived: a vote received while no vote is asked']],
    ['a commit with a yes and a no', history(started, completed, twoVotes, vote(true), payVote(false), ['TransactionCommitted', { services: ['stock', 'pay'] }]), ['5 TransactionCommitted: committed without a yes from every participant (stock: true, pay: false)']],
    ['a commit failed with no vote asked', history(started, completed, commitFailed), ['2 CommitFailed: the commit failed without a no vote']],
    ['a compensation resumed after its execution was reopened by a CommitFailed', history(...compensating, compensationFailed('1'), commitFailed, ['CompensationResumed', { path: '1' }]), ['5 CommitFailed: the commit failed without a no vote', '5 CommitFailed: the commit failed for an execution that did not complete', '6 CompensationResumed: resumed the compensation of step 1, which had not failed']],
    // Findings are sorted by revision, those about the whole history first.
    ['a step compensated while running forward, as its first step', history(started, compensated('0')), ['- -: fold: compensated steps is "0" but the events say ""', '1 StepCompensated: a compensation event while the execution is running forward']],
  ];

  it.each(broken)('%s', (_, events, expected) => {
    expect(findings(events)).toEqual(expected);
  });

  it('a step compensated that is not in the plan does not reset where the skipped-compensation check resumes (with the definition)', () => {
    expect(findings(history(...compensating, compensated('1'), compensated('5'), compensated('0'), sagaFailed), { definition })).toEqual(['5 StepCompensated: step 5 compensated although it neither finished nor failed with compensate: true']);
  });

  it('orders the stream rules (checked after the walk) by revision among the others', () => {
    expect(findings(history(started, fired('t9')), { executionId: 'e2' })).toEqual(['0 SagaStarted: SagaStarted names execution e1, but the stream belongs to e2', '1 TimerFired: timer t9 fired but was never scheduled']);
  });
});

describe('checkHistory: an event it does not know', () => {
  it('is a bug of the caller (decoding admits only known types): it throws, naming the event', () => {
    const unknown = { revision: 0, type: 'SagaExploded', data: {}, recordedAt: at } as unknown as RecordedSagaEvent;
    expect(() => checkHistory([unknown])).toThrow(new Error('an event the history checker does not know: {"revision":0,"type":"SagaExploded","data":{},"recordedAt":"2030-01-01T00:00:00.000Z"}'));
  });
});
