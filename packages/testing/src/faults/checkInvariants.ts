/**
 * The invariants of one execution's history, checked by a model written independently of the
 * engine's fold: it walks the recorded events once, keeps its own idea of what is pending, finished
 * and compensated, and then compares the engine's fold of the same events with it.
 *
 *   const violations = checkInvariants(await manager.history(id), definition);
 *   expect(violations).toEqual([]);
 *
 * Pure: no I/O, no user code. Returns every violation found (an empty list when the history holds),
 * each as `rev <n> <EventType>: <what is wrong>`.
 */
import {
  SagaStatus,
  decodeEvent,
  fold,
  stepAtPath,
  type JsonObject,
  type RecordedSagaEvent,
  type Saga,
  type SagaExecution,
} from '@saga/core';

/** An event as a store, `manager.history()` or a decoded history gives it. */
export interface HistoryEvent {
  readonly revision: number;
  readonly type: string;
  readonly data: unknown;
  readonly recordedAt?: string;
}

interface Request {
  readonly requestId: string;
  readonly path: string;
  readonly purpose: 'execute' | 'compensate';
}

type Ending = 'completed' | 'failed' | 'compensation-failed';

/** The model's state while it walks the history. */
class Model {
  readonly violations: string[] = [];
  readonly sent = new Map<string, Request>();
  readonly replied = new Set<string>();
  pending: Request | undefined;
  /** A forward reply was applied; its step's outcome (StepFinished/StepFailed) must follow. */
  outcomeDue: string | undefined;
  /** A compensation reply was applied; StepCompensated or CompensationAttemptFailed/Failed must follow. */
  compensationOutcomeDue: string | undefined;
  readonly forwardRequested = new Set<string>();
  readonly finished = new Set<string>();
  /** Non-conditional steps in the order they finished: compensation runs in the reverse order. */
  readonly completionOrder: string[] = [];
  readonly branches = new Set<string>();
  phase: 'forward' | 'compensating' | 'ended' = 'forward';
  ending: Ending | undefined;
  plan: string[] = [];
  readonly compensated = new Set<string>();
  lastCompensatedIndex = -1;
  failedCompensation: string | undefined;
  stepFailures = 0;
  readonly scheduled = new Set<string>();
  readonly fired = new Set<string>();
  votes: Map<string, { service: string; vote?: boolean }> | undefined;
  transaction: 'none' | 'committed' | 'rejected' | 'reserving' = 'none';
  readonly counts = new Map<string, number>();
  previousType: string | undefined;

  constructor(readonly definition: Saga | undefined) {}

  count(type: string): number {
    const next = (this.counts.get(type) ?? 0) + 1;
    this.counts.set(type, next);
    return next;
  }

  hasCompensation(path: string): boolean | undefined {
    if (!this.definition) return undefined;
    const step = stepAtPath(this.definition, path);
    if (!step || step.kind === 'conditional') return false;
    return (step as { readonly failure?: unknown }).failure !== undefined;
  }

  startCompensation(plan: string[]): void {
    this.phase = 'compensating';
    this.plan = plan;
    this.pending = undefined;
  }
}

const describeRequest = (request: Request): string => `${request.purpose === 'execute' ? 'request' : 'compensation request'} ${request.requestId} of step ${request.path}`;

/** Applies one decoded event to the model, recording what it breaks. */
const step = (m: Model, event: RecordedSagaEvent): void => {
  const fail = (message: string): void => void m.violations.push(`rev ${event.revision} ${event.type}: ${message}`);
  const forwardOnly = (): boolean => {
    if (m.phase === 'forward') return true;
    fail(`a forward event while the execution is ${m.phase === 'ended' ? `ended (${m.ending ?? '?'})` : 'compensating'}`);
    return false;
  };
  const compensatingOnly = (): boolean => {
    if (m.phase === 'compensating') return true;
    fail(`a compensation event while the execution is ${m.phase === 'ended' ? `ended (${m.ending ?? '?'})` : 'running forward'}`);
    return false;
  };
  const sendRequest = (request: Request): void => {
    if (m.pending) fail(`${describeRequest(request)} sent while ${describeRequest(m.pending)} is still pending`);
    if (m.sent.has(request.requestId)) fail(`requestId ${request.requestId} was already used`);
    m.sent.set(request.requestId, request);
    m.pending = request;
  };
  // TransactionNotified records that a decided outcome was sent: the one event allowed after it.
  if (event.type === 'TransactionNotified') {
    if (m.transaction !== 'committed' && m.transaction !== 'rejected') fail('TransactionNotified before the transaction was decided');
    if (m.count('TransactionNotified') > 1) fail('TransactionNotified twice');
  } else if (m.transaction === 'committed') fail('nothing but TransactionNotified may follow TransactionCommitted');
  else if (m.ending === 'failed' && event.type !== 'TransactionRejected') fail('only TransactionRejected (then TransactionNotified) may follow SagaFailed');

  switch (event.type) {
    case 'SagaStarted':
      if (event.revision !== 0) fail('SagaStarted must be the first event, and only the first');
      break;
    case 'StepFinished': {
      const { path, kind } = event.data;
      if (!forwardOnly()) break;
      if (m.finished.has(path)) fail(`step ${path} finished twice`);
      if (kind === 'remote') {
        if (m.outcomeDue !== path) fail(`remote step ${path} finished without a reply to its request`);
        m.outcomeDue = undefined;
      }
      if (m.pending) fail(`step ${path} finished while ${describeRequest(m.pending)} is pending`);
      m.finished.add(path);
      if (kind !== 'conditional') m.completionOrder.push(path);
      break;
    }
    case 'StepFailed': {
      const { path, status, compensate } = event.data;
      if (!forwardOnly()) break;
      if (m.count('StepFailed') > 1) fail('a second StepFailed');
      if (m.finished.has(path)) fail(`step ${path} failed after it had finished`);
      if (status === 'timed-out') {
        if (m.pending?.purpose !== 'execute' || m.pending.path !== path) fail(`step ${path} timed out but it was not waiting for a reply`);
        if (m.previousType !== 'TimerFired') fail(`step ${path} timed out without a TimerFired just before`);
      } else if (status === 'errored-on-success' || status === 'errored-on-error' || status === 'errored-by-on-execute') {
        if (m.outcomeDue !== path) fail(`step ${path} failed on a reply that was not applied just before`);
      }
      if (compensate && status !== 'timed-out' && status !== 'errored-on-success' && status !== 'errored-on-error') {
        fail(`step ${path} is marked for compensation but its status '${status}' means the participant changed nothing`);
      }
      m.outcomeDue = undefined;
      m.startCompensation([...m.completionOrder, ...(compensate ? [path] : [])].reverse());
      break;
    }
    case 'RequestSent': {
      const { path, requestId } = event.data;
      if (!forwardOnly()) break;
      if (m.forwardRequested.has(path)) fail(`step ${path} sent its request twice (a step must be applied once)`);
      if (m.finished.has(path)) fail(`step ${path} sent a request after it had finished`);
      m.forwardRequested.add(path);
      sendRequest({ requestId, path, purpose: 'execute' });
      break;
    }
    case 'CompensationRequestSent': {
      const { path, requestId } = event.data;
      if (!compensatingOnly()) break;
      if (!m.plan.includes(path)) fail(`compensation requested for step ${path}, which neither finished nor failed with compensate: true`);
      if (m.compensated.has(path)) fail(`compensation requested again for step ${path}, already compensated`);
      sendRequest({ requestId, path, purpose: 'compensate' });
      break;
    }
    case 'ReplyReceived': {
      const { path, requestId } = event.data;
      const request = m.sent.get(requestId);
      if (!request) fail(`reply ${requestId} matches no earlier RequestSent/CompensationRequestSent`);
      else if (m.replied.has(requestId)) fail(`a second reply applied for request ${requestId}`);
      else if (m.pending?.requestId !== requestId) fail(`reply ${requestId} applied although its request was no longer pending (a late or stale reply)`);
      if (request && request.path !== path) fail(`reply for request ${requestId} of step ${request.path} recorded on step ${path}`);
      m.replied.add(requestId);
      if (request?.purpose === 'compensate') m.compensationOutcomeDue = path;
      else m.outcomeDue = path;
      if (m.pending?.requestId === requestId) m.pending = undefined;
      break;
    }
    case 'BranchChosen': {
      const { path } = event.data;
      if (!forwardOnly()) break;
      if (m.branches.has(path)) fail(`conditional step ${path} chose a branch twice`);
      m.branches.add(path);
      if (event.data.branch === null) m.finished.add(path);
      break;
    }
    case 'SagaCompleted':
      if (!forwardOnly()) break;
      if (m.count('SagaCompleted') > 1) fail('a second SagaCompleted');
      if (m.pending) fail(`completed while ${describeRequest(m.pending)} is pending`);
      m.phase = 'ended';
      m.ending = 'completed';
      break;
    case 'StepCompensated': {
      const { path, requestId } = event.data;
      if (!compensatingOnly()) break;
      const index = m.plan.indexOf(path);
      if (index < 0) fail(`step ${path} compensated although it neither finished nor failed with compensate: true`);
      if (m.compensated.has(path)) fail(`step ${path} compensated twice`);
      else if (index >= 0 && index <= m.lastCompensatedIndex) fail(`step ${path} compensated out of reverse completion order (plan ${m.plan.join(' → ')})`);
      if (index > m.lastCompensatedIndex) {
        for (const skipped of m.plan.slice(m.lastCompensatedIndex + 1, index)) {
          if (m.hasCompensation(skipped) === true) fail(`step ${skipped} has an onFailure but was skipped before step ${path} was compensated`);
        }
        m.lastCompensatedIndex = index;
      }
      if (requestId !== undefined) {
        if (m.compensationOutcomeDue !== path || !m.replied.has(requestId)) fail(`step ${path} compensated by request ${requestId} without its reply just before`);
      } else if (m.pending) {
        fail(`step ${path} compensated locally while ${describeRequest(m.pending)} is pending`);
      }
      m.compensationOutcomeDue = undefined;
      m.compensated.add(path);
      break;
    }
    case 'CompensationAttemptFailed': {
      const { path } = event.data;
      if (!compensatingOnly()) break;
      if (!m.plan.includes(path) || m.compensated.has(path)) fail(`compensation attempt of step ${path}, which is not to be compensated (any more)`);
      m.compensationOutcomeDue = undefined;
      m.pending = undefined;
      break;
    }
    case 'CompensationFailed': {
      const { path } = event.data;
      if (!compensatingOnly()) break;
      if (!m.plan.includes(path) || m.compensated.has(path)) fail(`compensation of step ${path} failed, but that step is not to be compensated (any more)`);
      m.compensationOutcomeDue = undefined;
      m.pending = undefined;
      m.phase = 'ended';
      m.ending = 'compensation-failed';
      m.failedCompensation = path;
      break;
    }
    case 'CompensationResumed': {
      const { path } = event.data;
      if (m.ending !== 'compensation-failed' || m.failedCompensation !== path) fail(`resumed the compensation of step ${path}, which had not failed`);
      m.phase = 'compensating';
      m.ending = undefined;
      m.failedCompensation = undefined;
      break;
    }
    case 'SagaFailed': {
      if (m.count('SagaFailed') > 1) fail('a second SagaFailed');
      if (!compensatingOnly()) break;
      if (m.pending) fail(`failed while ${describeRequest(m.pending)} is pending`);
      const missing = m.plan.filter((path) => !m.compensated.has(path) && m.hasCompensation(path) === true);
      if (missing.length > 0) fail(`failed before compensating step(s) ${missing.join(', ')}`);
      m.phase = 'ended';
      m.ending = 'failed';
      break;
    }
    case 'VotesRequested':
      if (m.count('VotesRequested') > 1) fail('votes requested twice');
      if (m.ending !== 'completed') fail('votes requested for an execution that did not complete');
      m.votes = new Map(event.data.votes.map((v) => [v.requestId, { service: v.service }]));
      m.transaction = 'reserving';
      break;
    case 'VoteReceived': {
      const { requestId, vote } = event.data;
      const known = m.votes?.get(requestId);
      if (!known) fail(`vote ${requestId} was never requested`);
      else if (known.vote !== undefined) fail(`a second vote for ${requestId} (${known.service})`);
      else known.vote = vote;
      if (m.transaction !== 'reserving') fail('a vote received while no vote is asked');
      break;
    }
    case 'TransactionCommitted': {
      if (m.count('TransactionCommitted') > 1) fail('committed twice');
      if (m.counts.has('TransactionRejected')) fail('committed after the transaction was rejected');
      const votes = [...(m.votes?.values() ?? [])];
      if (!m.votes) fail('committed without asking for votes');
      if (votes.some((v) => v.vote !== true)) fail(`committed without a yes from every participant (${votes.map((v) => `${v.service}: ${String(v.vote)}`).join(', ')})`);
      m.transaction = 'committed';
      break;
    }
    case 'TransactionRejected':
      if (m.count('TransactionRejected') > 1) fail('rejected twice');
      if (m.counts.has('TransactionCommitted')) fail('rejected after the transaction was committed');
      m.transaction = 'rejected';
      break;
    case 'CommitFailed': {
      if (m.count('CommitFailed') > 1) fail('a second CommitFailed');
      const votes = [...(m.votes?.values() ?? [])];
      if (!votes.some((v) => v.vote === false)) fail('the commit failed without a no vote');
      if (m.ending !== 'completed') fail('the commit failed for an execution that did not complete');
      m.ending = undefined;
      m.startCompensation([...m.completionOrder].reverse());
      break;
    }
    case 'TimerScheduled':
      if (m.scheduled.has(event.data.timerId)) fail(`timer ${event.data.timerId} scheduled twice`);
      m.scheduled.add(event.data.timerId);
      break;
    case 'TimerFired':
      if (!m.scheduled.has(event.data.timerId)) fail(`timer ${event.data.timerId} fired but was never scheduled`);
      else if (m.fired.has(event.data.timerId)) fail(`timer ${event.data.timerId} fired twice`);
      m.fired.add(event.data.timerId);
      break;
    case 'RequestResent':
      if (m.pending?.requestId !== event.data.requestId) fail(`re-sent request ${event.data.requestId}, which is not pending`);
      break;
  }
  m.previousType = event.type;
};

/** What the model expects of the fold, compared field by field. */
const compareWithFold = (m: Model, execution: SagaExecution, lastRevision: number): string[] => {
  const problems: string[] = [];
  const expectedStatus =
    m.phase === 'ended'
      ? m.ending === 'completed'
        ? SagaStatus.Finished
        : SagaStatus.Errored
      : m.pending
        ? SagaStatus.Paused
        : SagaStatus.Running;
  const mismatch = (what: string, folded: unknown, expected: unknown): void => {
    if (folded !== expected) problems.push(`fold: ${what} is ${JSON.stringify(folded)} but the events say ${JSON.stringify(expected)}`);
  };
  mismatch('status', execution.status, expectedStatus);
  mismatch('phase', execution.phase, m.phase);
  mismatch('revision', execution.revision, lastRevision);
  mismatch('pendingRequest', execution.pendingRequest?.requestId, m.pending?.requestId);
  mismatch('compensation.failed', execution.compensation.failed?.path, m.failedCompensation);
  if (m.transaction !== 'none') mismatch('transaction.status', execution.transaction.status, m.transaction);
  const compensatedByFold = execution.steps.filter((s) => s.status === 'compensated').map((s) => s.path).sort();
  mismatch('compensated steps', compensatedByFold.join(','), [...m.compensated].sort().join(','));
  return problems;
};

export interface CheckInvariantsOptions {
  /** The fold to compare the model with. Default: the engine's `fold` (tests of the checker pass a broken one). */
  readonly fold?: (events: readonly RecordedSagaEvent[]) => SagaExecution;
}

/**
 * Checks one execution's recorded events. With `definition`, also checks that no compensation was
 * skipped (every step that finished and has an onFailure is compensated before SagaFailed).
 */
export const checkInvariants = (events: readonly HistoryEvent[], definition?: Saga, options: CheckInvariantsOptions = {}): string[] => {
  if (events.length === 0) return ['the history is empty'];
  const decoded: RecordedSagaEvent[] = [];
  const problems: string[] = [];
  for (const [index, event] of events.entries()) {
    if (event.revision !== index) problems.push(`rev ${event.revision} ${event.type}: expected revision ${index} (revisions must be dense from 0)`);
    try {
      decoded.push(decodeEvent({ revision: event.revision, type: event.type, data: event.data as JsonObject, recordedAt: event.recordedAt ?? '' }, 'history'));
    } catch (error) {
      problems.push(`rev ${event.revision} ${event.type}: does not decode (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  if (problems.length > 0) return problems;
  if (decoded[0]?.type !== 'SagaStarted') problems.push(`rev 0 ${decoded[0]?.type ?? '?'}: the first event must be SagaStarted`);
  const model = new Model(definition);
  for (const event of decoded) step(model, event);
  problems.push(...model.violations);
  problems.push(...compareWithFold(model, (options.fold ?? fold)(decoded), decoded.length - 1));
  return problems;
};
