/**
 * The rules every history written by the engine obeys, checked event by event against the state
 * folded so far. Decoding already guarantees the shape of each event and of the stream (dense
 * revisions, `SagaStarted` first); these are the rules between events, which only a fold can see:
 * a reply answers the request that was pending, compensations follow the plan in reverse order,
 * nothing moves forward after the execution ended, a decided transaction stays decided.
 *
 * Pure: decoded events in, findings out. A candidate for @saga/execution.
 */
import { evolve, initialExecution, executionIdOf, streamMismatches, type RecordedSagaEvent, type SagaExecution } from '@saga/core';

export interface Finding {
  /** The revision of the event that breaks the rule; absent for a rule about the whole stream. */
  readonly revision?: number;
  readonly message: string;
}

export interface HistoryCheck {
  /** Rules broken: the history was not written by a correct engine, or was altered. */
  readonly problems: readonly Finding[];
  /** Oddities that a correct engine can produce (clocks of different machines disagree). */
  readonly warnings: readonly Finding[];
  /** The fold of the whole history. */
  readonly execution: SagaExecution;
}

const forwardEvents = new Set(['StepFinished', 'StepFailed', 'RequestSent', 'BranchChosen', 'SagaCompleted']);
const compensationEvents = new Set(['CompensationRequestSent', 'StepCompensated', 'CompensationFailed', 'CompensationAttemptFailed', 'SagaFailed']);

/** The rule `event` breaks given the state `before` it (and the timers scheduled so far), if any. */
const ruleBroken = (before: SagaExecution, event: RecordedSagaEvent, timers: ReadonlySet<string>): string | undefined => {
  if (forwardEvents.has(event.type) && before.phase !== 'forward') {
    return `${event.type} after the execution left its forward phase (phase: ${before.phase})`;
  }
  if (compensationEvents.has(event.type) && before.phase !== 'compensating') {
    return `${event.type} outside of compensation (phase: ${before.phase})`;
  }
  switch (event.type) {
    case 'StepFinished': {
      const step = before.steps.find((s) => s.path === event.data.path);
      if (step?.status === 'finished') return `step ${event.data.path} finished twice`;
      if (step && step.kind !== event.data.kind) return `step ${event.data.path} was recorded as ${step.kind} and now as ${event.data.kind}`;
      return undefined;
    }
    case 'RequestSent':
    case 'CompensationRequestSent':
      return before.pendingRequest
        ? `${event.type} for step ${event.data.path} while request ${before.pendingRequest.requestId} of step ${before.pendingRequest.path} still waits for its reply`
        : compensationOrder(before, event.type, event.data.path);
    case 'ReplyReceived': {
      const pending = before.pendingRequest;
      if (!pending) return `a reply (request ${event.data.requestId}) was applied while no request was pending`;
      if (pending.requestId !== event.data.requestId || pending.path !== event.data.path) {
        return `the reply to request ${event.data.requestId} (step ${event.data.path}) was applied while request ${pending.requestId} of step ${pending.path} was pending`;
      }
      return undefined;
    }
    case 'SagaCompleted':
      if (before.pendingRequest) return `SagaCompleted while request ${before.pendingRequest.requestId} still waits for its reply`;
      return JSON.stringify(event.data.context) === JSON.stringify(before.context)
        ? undefined
        : 'SagaCompleted records a context different from the one its steps produced';
    case 'StepCompensated':
    case 'CompensationFailed':
    case 'CompensationAttemptFailed':
      return compensationOrder(before, event.type, event.data.path);
    case 'CompensationResumed':
      return before.compensation.failed?.path === event.data.path
        ? undefined
        : `the compensation of step ${event.data.path} was resumed, but it had not failed`;
    case 'RequestResent':
      return before.pendingRequest?.requestId === event.data.requestId
        ? undefined
        : `request ${event.data.requestId} of step ${event.data.path} was re-sent while it was not the pending one`;
    case 'TimerScheduled':
      return timers.has(event.data.timerId) ? `timer ${event.data.timerId} was scheduled twice` : undefined;
    case 'TimerFired':
      return timers.has(event.data.timerId) ? undefined : `timer ${event.data.timerId} fired but was never scheduled`;
    case 'VotesRequested':
      return before.phase !== 'ended' || before.status !== 'finished'
        ? `votes were requested from an execution that has not finished (status ${before.status})`
        : transactionOpen(before, event.type);
    case 'VoteReceived': {
      if (before.transaction.status !== 'reserving') return `a vote from ${event.data.service} arrived while no vote was asked (transaction ${before.transaction.status})`;
      const asked = before.transaction.votes.find((v) => v.requestId === event.data.requestId);
      if (!asked) return `a vote (request ${event.data.requestId}) that was never asked for`;
      return asked.vote === undefined ? undefined : `${asked.service} voted twice (request ${asked.requestId})`;
    }
    case 'TransactionCommitted': {
      const { status, votes } = before.transaction;
      if (status !== 'reserving') return `the transaction was committed without a vote (transaction ${status})`;
      const missing = votes.filter((v) => v.vote !== true).map((v) => v.service);
      return missing.length > 0 ? `the transaction was committed without a yes from ${missing.join(', ')}` : undefined;
    }
    case 'TransactionRejected':
    case 'CommitFailed':
      return transactionOpen(before, event.type);
    default:
      return undefined;
  }
};

const transactionOpen = (before: SagaExecution, type: string): string | undefined =>
  before.transaction.status === 'committed' || (before.transaction.status === 'rejected' && type !== 'CommitFailed')
    ? `${type} after the transaction was already ${before.transaction.status}`
    : undefined;

/** Compensations follow the plan (reverse completion order); steps without onFailure are skipped. */
const compensationOrder = (before: SagaExecution, type: string, path: string): string | undefined => {
  if (type === 'RequestSent') return undefined;
  const { plan, done } = before.compensation;
  const position = plan.indexOf(path);
  if (position < 0) return `${type} for step ${path}, which is not in the compensation plan (${plan.join(', ') || 'empty'})`;
  if (done.includes(path)) return `${type} for step ${path}, which was already compensated`;
  const lastDone = done.at(-1);
  if (lastDone !== undefined && plan.indexOf(lastDone) > position) {
    return `step ${path} is compensated after step ${lastDone}: compensations must run in reverse order (${plan.join(', ')})`;
  }
  return undefined;
};

export const checkHistory = (events: readonly RecordedSagaEvent[], stream?: string): HistoryCheck => {
  const problems: Finding[] = [];
  const warnings: Finding[] = [];
  let execution = initialExecution();
  let previousTime: number | undefined;
  // Every timer ever scheduled: the fold drops timers that became moot, but they still may fire.
  const timers = new Set<string>();
  for (const event of events) {
    const broken = ruleBroken(execution, event, timers);
    if (event.type === 'TimerScheduled') timers.add(event.data.timerId);
    if (broken) problems.push({ revision: event.revision, message: broken });
    const time = Date.parse(event.recordedAt);
    if (Number.isNaN(time)) problems.push({ revision: event.revision, message: `recordedAt '${event.recordedAt}' is not a timestamp` });
    else if (previousTime !== undefined && time < previousTime) {
      warnings.push({ revision: event.revision, message: `recorded at ${event.recordedAt}, before the event preceding it (clocks of two writers disagree?)` });
    }
    if (!Number.isNaN(time)) previousTime = time;
    execution = evolve(execution, event);
  }
  if (events.length === 0) problems.push({ message: 'the stream has no events' });
  // The rules between the history and its stream are the engine's own (it refuses such a stream).
  const executionId = stream?.startsWith('saga-') ? executionIdOf(stream) : undefined;
  for (const { revision, reason } of streamMismatches(events, executionId)) problems.push({ revision, message: reason });
  problems.sort((a, b) => (a.revision ?? -1) - (b.revision ?? -1));
  return { problems, warnings, execution };
};
