/**
 * The decider: turns an input (start, continue, a reply, a timer, commit/reject/resume) into the
 * events to append and the messages to publish once they are stored. User callbacks run here;
 * nothing is written here. `nextAction` says what to do; the step kind modules (`stepKinds/`) and
 * the two-phase commit (`transaction/`) do it; this file runs the loop and routes the inputs.
 */
import type { Saga } from '@saga/definitions';
import { SagaStatus, sagaEvent, type SagaExecution } from '@saga/execution';
import type { ReplyEnvelope } from '../wire/sagaMessages.js';
import type { Action } from './action.js';
import { DecisionBuilder } from './decisionBuilder.js';
import { defaultDecideOptions, type DecideOptions } from './decideOptions.js';
import type { Decision, Outgoing } from './decision.js';
import { nextAction } from './nextAction.js';
import { refuseCancel, refuseCommit, refuseReject, refuseResume } from './preconditions.js';
import { requestMessage } from './requestMessage.js';
import { telemetryStepObserver, outcomeOf } from './stepObserver.js';
import { bind, isStepAction, stepKinds, type BoundStepAction, type StepAction } from './stepKinds/index.js';
import { owedTransactionCommands } from './transaction/transactionCommand.js';
import { awaitedVote, decideVotes, recordVote, rejectParticipants, requestVotes, votesTimedOut } from './transaction/twoPhaseCommit.js';

export type { ChildCommand, Decision, Outgoing, ReplyLatency } from './decision.js';
export {
  defaultCompensationRetry,
  defaultDecideOptions,
  withRetries,
  type DecideOptions,
  type ObservedStep,
  type RetryCall,
  type StepObserver,
} from './decideOptions.js';
export { telemetryStepObserver } from './stepObserver.js';
export { notifiedServices } from './transaction/transactionCommand.js';

export type DecideInput =
  | { readonly kind: 'start' }
  /** `autocommit`: what the caller of `run({ response, autocommit })` asked for, recorded when it differs. */
  | { readonly kind: 'reply'; readonly reply: ReplyEnvelope; readonly autocommit?: boolean }
  /**
   * Replies that arrived together for one execution (a parallel step's branches answering at once):
   * applied one after the other, then one decision goes on from there — one append for all of them.
   */
  | { readonly kind: 'replies'; readonly replies: readonly ReplyEnvelope[] }
  | { readonly kind: 'timer'; readonly timerId: string }
  | { readonly kind: 'commit' }
  | { readonly kind: 'reject' }
  | { readonly kind: 'resume'; readonly by?: string }
  /** Stop at the next decision point and compensate (`manager.cancel`). */
  | { readonly kind: 'cancel'; readonly reason: string; readonly by?: string }
  /** Go on from the stored state: after a durable step's append, or in recovery after a crash. */
  | { readonly kind: 'continue' }
  /** A child execution this one waits on has ended (or settled its compensation): `child` as it is now. */
  | { readonly kind: 'childEnded'; readonly child: SagaExecution }
  /** To a finished child execution: its parent compensates the step that ran it. */
  | { readonly kind: 'compensateAsChild'; readonly parentId: string };

/** Reached only if an action were added without a case: the parameter type makes that a compile error. */
const unhandled = (action: never): never => {
  throw new TypeError(`No case performs the action ${JSON.stringify(action)}.`);
};

/** Does one of the decider's own actions (not a step kind's); returns false when it means "stop here". */
const perform = (d: DecisionBuilder, action: Exclude<Action, StepAction>): boolean => {
  const execution = d.execution;
  switch (action.type) {
    case 'startCompensation':
      d.record(sagaEvent('CompensationStarted', {}));
      return true;
    case 'complete':
      d.record(sagaEvent('SagaCompleted', { context: execution.context }));
      return true;
    case 'fail': {
      d.record(sagaEvent('SagaFailed', { error: execution.error ?? { name: 'SagaFailedError', message: 'The saga failed.' } }));
      if (d.execution.autocommit) rejectParticipants(d, `the saga failed: ${execution.error?.message ?? 'unknown error'}`);
      return false;
    }
    case 'requestVotes':
      return requestVotes(d);
    case 'decideVotes':
      return decideVotes(d);
    case 'cancel':
      d.record(sagaEvent('CancelStarted', {}));
      return true;
    case 'await':
    case 'idle':
      return false;
    default:
      return unhandled(action);
  }
};

/** A step kind's action; one that is a step's own work runs inside the observer (span, metric). */
const performStep = (d: DecisionBuilder, step: BoundStepAction): Promise<boolean> => {
  if (!step.observe) return step.run(d);
  const observe = d.options.observeStep ?? telemetryStepObserver;
  return observe({ executionId: d.execution.id, path: step.path, kind: step.kind, compensating: step.observe.compensating }, async () => {
    const goOn = await step.run(d);
    return { goOn, outcome: outcomeOf(d) };
  });
};

/** A local step whose result is stored before the next step runs: its own setting, else the definition's. */
const isDurable = (definition: Saga, action: Action): boolean => action.type === 'runLocal' && (action.step.durability ?? definition.durableLocalSteps);

/**
 * Runs actions until the execution must wait (a request went out) or has nothing left to do. A
 * durable local step runs only once everything before it is stored, and after it no step runs
 * before its result is stored: the decision stops there with `more` (the driver appends, then
 * continues). Actions without user code (complete, fail, votes) go on in the same decision.
 */
const advance = async (d: DecisionBuilder, definition: Saga): Promise<void> => {
  let afterDurable = false;
  for (;;) {
    const action = nextAction(definition, d.execution);
    let goOn: boolean;
    if (isStepAction(action)) {
      const step = bind(action);
      if (step.observe && (afterDurable || (isDurable(definition, action) && d.unstored))) {
        d.more = true;
        return;
      }
      goOn = await performStep(d, step);
    } else {
      goOn = perform(d, action);
    }
    if (!goOn) return;
    afterDurable ||= isDurable(definition, action);
  }
};

const applyReply = async (d: DecisionBuilder, definition: Saga, reply: ReplyEnvelope, autocommit: boolean | undefined): Promise<string | undefined> => {
  const execution = d.execution;
  if (reply.sagaId !== execution.id) return `reply for saga ${reply.sagaId} reached execution ${execution.id}`;
  const vote = awaitedVote(execution, reply.requestId);
  if (vote) return recordVote(d, vote, reply);
  // Only remote steps send requests: any other reply is theirs.
  return stepKinds.remote.applyReply(d, definition, reply, autocommit);
};

const applyTimer = (d: DecisionBuilder, definition: Saga, timerId: string): string | undefined => {
  const execution = d.execution;
  const timer = execution.timers.find((t) => t.timerId === timerId);
  if (!timer) return `timer ${timerId} is no longer relevant (it fired, or what it waited for happened)`;
  d.record(sagaEvent('TimerFired', { timerId }));
  // Reply and re-send timers are about one request (several may be awaited, one per parallel branch).
  const pending = execution.pendingRequests.find((p) => p.requestId === timer.requestId);
  switch (timer.purpose) {
    case 'reply':
      if (pending) stepKinds.remote.replyTimedOut(d, pending, timer);
      return undefined;
    case 'resend':
      if (pending) stepKinds.remote.resend(d, definition, pending);
      return undefined;
    case 'votes':
      votesTimedOut(d, timer);
      return undefined;
    case 'deadline': {
      // Every request still awaited fails: the execution stops waiting and compensates.
      for (const awaited of execution.pendingRequests.filter((p) => p.purpose === 'execute')) {
        const error = { name: 'DeadlineExceededError', message: `Saga '${execution.definition.name}' passed its deadline (${timer.dueAt}) while step ${awaited.path} waited for a reply.` };
        d.warnings.push(`${error.message} (execution ${execution.id}, request ${awaited.requestId} to '${awaited.target}')`);
        d.record(sagaEvent('StepFailed', { path: awaited.path, kind: 'remote', status: 'timed-out', error, compensate: true, requestId: awaited.requestId }));
      }
      return undefined;
    }
    case 'retry':
      return undefined;
  }
};

/**
 * Decides what `input` does to `execution`: the events to append (possibly none) and what to send
 * after. Runs user callbacks, so it is not pure; it performs no I/O of its own.
 */
export const decide = async (definition: Saga, execution: SagaExecution, input: DecideInput, options: DecideOptions = defaultDecideOptions): Promise<Decision> => {
  const d = new DecisionBuilder(execution, options, input.kind === 'start');
  let ignored: string | undefined;
  switch (input.kind) {
    case 'start':
      if (definition.deadlineMs !== undefined) d.schedule('deadline', definition.deadlineMs);
      break;
    case 'reply':
      ignored = await applyReply(d, definition, input.reply, input.autocommit);
      break;
    case 'replies': {
      for (const reply of input.replies) {
        const reason = await applyReply(d, definition, reply, undefined);
        if (reason) d.ignoredReplies.push(reason);
      }
      // Only when none applied is the decision empty; each ignored reply gets its own log line.
      if (d.ignoredReplies.length === input.replies.length) ignored = `${d.ignoredReplies.length} replies matched nothing`;
      break;
    }
    case 'timer':
      ignored = applyTimer(d, definition, input.timerId);
      break;
    case 'commit': {
      const refused = refuseCommit(execution);
      if (refused) return d.done(refused.reason);
      if (execution.transaction.status === 'none') return d.done('nothing to commit: no participant took part');
      requestVotes(d);
      return d.done();
    }
    case 'reject': {
      // Rejecting before the end would be undone by the commit that follows completion.
      const refused = refuseReject(execution);
      if (refused) return d.done(refused.reason);
      rejectParticipants(d, 'rejected by an operator');
      return d.done(d.events.length === 0 ? 'nothing to reject' : undefined);
    }
    case 'resume': {
      const refused = refuseResume(execution);
      if (refused || !execution.compensation.failed) return d.done(refused?.reason ?? 'nothing to resume');
      d.record(sagaEvent('CompensationResumed', { path: execution.compensation.failed.path, ...(input.by !== undefined ? { by: input.by } : {}) }));
      break;
    }
    case 'cancel': {
      const refused = refuseCancel(execution);
      if (refused) return d.done(refused.reason);
      if (execution.cancellation) return d.done('already cancelled');
      if (execution.phase === 'compensating') return d.done('already compensating after a failure: there is nothing left to cancel');
      d.record(sagaEvent('CancelRequested', { reason: input.reason, by: input.by ?? null }));
      break;
    }
    case 'continue':
      break;
    case 'childEnded':
      ignored = await stepKinds.child.applyChildEnd(d, definition, input.child);
      break;
    case 'compensateAsChild': {
      if (execution.phase !== 'ended' || execution.status !== SagaStatus.Finished) return d.done(`not a finished execution (${execution.status}): nothing to compensate`);
      d.record(sagaEvent('CompensationRequested', { parentId: input.parentId }));
      break;
    }
  }
  if (ignored) return d.done(ignored);
  await advance(d, definition);
  return d.done();
};

/**
 * The messages an execution still owes, rebuilt from its state: its pending request (same
 * requestId), the reserve commands of missing votes, and the commit/reject commands of a decided
 * transaction not yet marked `TransactionNotified`. Recovery publishes them again, since a crash
 * between the append and the publish would otherwise lose them (the stream is the outbox).
 */
export const pendingOutbox = (execution: SagaExecution): Outgoing[] => [
  ...execution.pendingRequests.map((pending) => ({ topic: pending.target, message: requestMessage(execution, pending.requestId, pending, pending.purpose) })),
  ...owedTransactionCommands(execution),
];
