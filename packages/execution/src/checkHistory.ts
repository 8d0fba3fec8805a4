/**
 * The rules between the events of one execution's history, in one place: `saga verify` lists what
 * they find, the fault suite asserts they find nothing. Decoding guarantees each event's shape; these
 * are the rules only a walk over the whole history can see: a reply answers the request that was
 * pending, compensations follow the plan in reverse order, nothing moves forward after the execution
 * ended, a decided transaction stays decided.
 *
 * The walk keeps its own model of what is pending, finished and compensated, written independently
 * of `evolve`, and at the end compares the fold of the same events with it, so a bug in the fold is
 * caught too. Pure: decoded events in, findings out.
 */
import { stepAtPath, type Saga } from '@saga/definitions';
import { streamMismatches } from './checkHistoryAgainstDefinition.js';
import type { RecordedSagaEvent } from './decodeEvent.js';
import { evolve, fold as engineFold, initialExecution } from './evolve.js';
import { SagaStatus } from './sagaStatus.js';
import type { SagaExecution } from './sagaExecution.js';

export interface HistoryFinding {
  /** The revision of the event that breaks the rule; absent for a rule about the whole history. */
  readonly revision?: number;
  /** The type of that event. */
  readonly type?: string;
  readonly message: string;
  /** A problem: not written by a correct engine, or altered. A warning: a correct engine can do it (clocks disagree). */
  readonly severity: 'problem' | 'warning';
}

export interface CheckHistoryOptions {
  /** The execution id of the stream the history was read from: its SagaStarted must name it. */
  readonly executionId?: string;
  /** The definition the history is pinned to: then no step with an onFailure may be left uncompensated. */
  readonly definition?: Saga;
  /** The fold compared with the model. Default: the engine's `fold` (tests of the checker pass a broken one). */
  readonly fold?: (events: readonly RecordedSagaEvent[]) => SagaExecution;
}

interface Request {
  readonly requestId: string;
  readonly path: string;
  readonly purpose: 'execute' | 'compensate';
}

type Ending = 'completed' | 'failed' | 'compensation-failed';

/** The model's state while it walks the history. */
class Model {
  readonly sent = new Map<string, Request>();
  readonly replied = new Set<string>();
  /** Requests awaiting their reply, by requestId (several only across branches of a parallel step). */
  readonly pending = new Map<string, Request>();
  /** Parallel steps started and not yet joined. */
  readonly parallels = new Set<string>();
  /** A step failed while other branches had requests in flight: no step starts; those are awaited. */
  halted = false;
  /** Child executions awaited, by step path. */
  readonly children = new Map<string, { childId: string; purpose: 'execute' | 'compensate' }>();
  /** A child's compensation asked by its parent reopened the ended execution. */
  reopened = false;
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
  /** Compensated steps, in the order they were compensated. */
  readonly compensated: string[] = [];
  lastCompensatedIndex = -1;
  failedCompensation: string | undefined;
  readonly scheduled = new Set<string>();
  readonly fired = new Set<string>();
  votes: Map<string, { service: string; vote?: boolean }> | undefined;
  transaction: 'none' | 'committed' | 'rejected' | 'reserving' = 'none';
  readonly counts = new Map<string, number>();
  previousType: string | undefined;
  previousTime: number | undefined;
  /** A cancel was requested: no new step may start from here. */
  cancelRequested = false;

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
    this.pending.clear();
    this.children.clear();
    this.halted = false;
  }

  /** The sequence a step runs in: `"<parallel>.<branch>"` of the innermost open parallel step around it, or `""`. */
  laneOf(path: string): string {
    const parts = path.split('.');
    for (let end = parts.length - 2; end > 0; end -= 2) {
      const container = parts.slice(0, end).join('.');
      if (this.parallels.has(container)) return `${container}.${parts[end]}`;
    }
    return '';
  }

  /** A request awaited in the lane of `path`, if any. */
  pendingInLane(path: string): Request | undefined {
    const lane = this.laneOf(path);
    return [...this.pending.values()].find((request) => this.laneOf(request.path) === lane);
  }

  /** Any request awaited. */
  get anyPending(): Request | undefined {
    return this.pending.values().next().value;
  }
}

type Fail = (message: string, severity?: HistoryFinding['severity']) => void;

const describeRequest = (request: Request): string => `${request.purpose === 'execute' ? 'request' : 'compensation request'} ${request.requestId} of step ${request.path}`;

const forwardOnly = (m: Model, event: RecordedSagaEvent, fail: Fail): boolean => {
  if (m.phase === 'forward') return true;
  fail(`${event.type} after the execution left its forward phase (phase: ${m.phase})`);
  return false;
};

const compensatingOnly = (m: Model, fail: Fail): boolean => {
  if (m.phase === 'compensating') return true;
  fail(`a compensation event while the execution is ${m.phase === 'ended' ? `ended (${m.ending ?? '?'})` : 'running forward'}`);
  return false;
};

const sendRequest = (m: Model, request: Request, fail: Fail): void => {
  // Branches of a parallel step wait at once; within one sequence (and in compensation) one at a time.
  const busy = request.purpose === 'execute' ? m.pendingInLane(request.path) : m.anyPending;
  if (busy) fail(`${describeRequest(request)} sent while ${describeRequest(busy)} is still pending`);
  // A request id used twice is the stream rule `streamMismatches` reports (the engine's own).
  m.sent.set(request.requestId, request);
  m.pending.set(request.requestId, request);
};

/** A step starting after a failure (other branches may only get the replies they wait for). */
const haltedStart = (m: Model, what: string, fail: Fail): void => {
  if (m.halted) fail(`${what} after a step failed: no step may start while the requests in flight are awaited`);
};

/** Compensations follow the plan in reverse completion order (steps without onFailure may be skipped). */
const compensationOrder = (m: Model, path: string, fail: Fail): void => {
  const position = m.plan.indexOf(path);
  const lastDone = m.compensated.at(-1);
  if (position >= 0 && lastDone !== undefined && lastDone !== path && m.plan.indexOf(lastDone) > position) {
    fail(`step ${path} is compensated after step ${lastDone}: compensations must run in reverse order (${m.plan.join(', ')})`);
  }
};

/** Rules on what may follow the end of the transaction or of a failed execution. */
const afterTheEnd = (m: Model, event: RecordedSagaEvent, fail: Fail): void => {
  // TransactionNotified records that a decided outcome was sent: the one event allowed after it.
  if (event.type === 'TransactionNotified') {
    if (m.transaction !== 'committed' && m.transaction !== 'rejected') fail('TransactionNotified before the transaction was decided');
    if (m.count('TransactionNotified') > 1) fail('TransactionNotified twice');
  } else if (event.type === 'CompensationRequested' || m.reopened) {
    // A child compensated by its parent after it ended (and committed): the one way back.
  } else if (m.transaction === 'committed') fail('nothing but TransactionNotified may follow TransactionCommitted');
  else if (m.ending === 'failed' && event.type !== 'TransactionRejected') fail('only TransactionRejected (then TransactionNotified) may follow SagaFailed');
};

const recordedAt = (m: Model, event: RecordedSagaEvent, fail: Fail): void => {
  const time = Date.parse(event.recordedAt);
  if (Number.isNaN(time)) return fail(`recordedAt '${event.recordedAt}' is not a timestamp`);
  if (m.previousTime !== undefined && time < m.previousTime) fail(`recorded at ${event.recordedAt}, before the event preceding it (clocks of two writers disagree?)`, 'warning');
  m.previousTime = time;
};

/** Applies one event to the model, given the engine's fold `before` it; reports what it breaks. */
const step = (m: Model, before: SagaExecution, event: RecordedSagaEvent, fail: Fail): void => {
  afterTheEnd(m, event, fail);
  recordedAt(m, event, fail);
  switch (event.type) {
    case 'SagaStarted':
      if (event.revision !== 0) fail('SagaStarted must be the first event, and only the first');
      break;
    case 'StepFinished': {
      const { path, kind } = event.data;
      if (!forwardOnly(m, event, fail)) break;
      if (m.finished.has(path)) fail(`step ${path} finished twice`);
      const recorded = before.steps.find((s) => s.path === path);
      if (recorded && recorded.kind !== kind) fail(`step ${path} was recorded as ${recorded.kind} and now as ${kind}`);
      if (kind === 'local' && m.cancelRequested) fail(`local step ${path} ran after the execution was cancelled`);
      if (kind === 'local') haltedStart(m, `local step ${path} ran`, fail);
      if (kind === 'parallel' && !m.parallels.has(path)) fail(`parallel step ${path} finished but never started`);
      if (kind === 'remote') {
        if (m.outcomeDue !== path) fail(`remote step ${path} finished without a reply to its request`);
        m.outcomeDue = undefined;
      }
      if (kind === 'child') {
        if (m.outcomeDue !== path) fail(`child step ${path} finished before its child ended`);
        m.outcomeDue = undefined;
      }
      if (kind === 'parallel') {
        const open = [...m.pending.values()].filter((request) => request.path.startsWith(`${path}.`));
        if (open.length > 0) fail(`parallel step ${path} finished while ${describeRequest(open[0] as Request)} of a branch is pending`);
        m.parallels.delete(path);
      } else {
        const busy = m.pendingInLane(path);
        if (busy) fail(`step ${path} finished while ${describeRequest(busy)} is pending`);
      }
      m.finished.add(path);
      if (kind !== 'conditional' && kind !== 'parallel') m.completionOrder.push(path);
      break;
    }
    case 'StepFailed': {
      const { path, status, compensate, requestId } = event.data;
      if (m.count('StepFailed') > 1 && !m.halted) fail('a second StepFailed');
      if (!forwardOnly(m, event, fail)) break;
      if (m.finished.has(path)) fail(`step ${path} failed after it had finished`);
      const awaited = [...m.pending.values()].find((request) => request.purpose === 'execute' && request.path === path);
      if (status === 'timed-out') {
        if (!awaited) fail(`step ${path} timed out but it was not waiting for a reply`);
        if (m.previousType !== 'TimerFired') fail(`step ${path} timed out without a TimerFired just before`);
      } else if (status === 'errored-on-success' || status === 'errored-on-error' || status === 'errored-by-on-execute') {
        if (m.outcomeDue !== path) fail(`step ${path} failed on a reply that was not applied just before`);
      }
      if (compensate && status !== 'timed-out' && status !== 'errored-on-success' && status !== 'errored-on-error') {
        fail(`step ${path} is marked for compensation but its status '${status}' means the participant changed nothing`);
      }
      m.outcomeDue = undefined;
      if (awaited) m.pending.delete(awaited.requestId);
      else if (requestId !== undefined) m.pending.delete(requestId);
      if (compensate) m.completionOrder.push(path);
      if (m.pending.size > 0 || m.children.size > 0) m.halted = true;
      else m.startCompensation([...m.completionOrder].reverse());
      break;
    }
    case 'RequestSent': {
      const { path, requestId } = event.data;
      if (!forwardOnly(m, event, fail)) break;
      if (m.forwardRequested.has(path)) fail(`step ${path} sent its request twice (a step must be applied once)`);
      if (m.finished.has(path)) fail(`step ${path} sent a request after it had finished`);
      if (m.cancelRequested) fail(`step ${path} sent a request after the execution was cancelled`);
      haltedStart(m, `step ${path} sent a request`, fail);
      m.forwardRequested.add(path);
      sendRequest(m, { requestId, path, purpose: 'execute' }, fail);
      break;
    }
    case 'CompensationRequestSent': {
      const { path, requestId } = event.data;
      if (!compensatingOnly(m, fail)) break;
      if (!m.plan.includes(path)) fail(`compensation requested for step ${path}, which neither finished nor failed with compensate: true`);
      if (m.compensated.includes(path)) fail(`compensation requested again for step ${path}, already compensated`);
      compensationOrder(m, path, fail);
      sendRequest(m, { requestId, path, purpose: 'compensate' }, fail);
      break;
    }
    case 'ReplyReceived': {
      const { path, requestId } = event.data;
      const request = m.sent.get(requestId);
      if (!request) fail(`reply ${requestId} matches no earlier RequestSent/CompensationRequestSent`);
      else if (m.replied.has(requestId)) fail(`a second reply applied for request ${requestId}`);
      if (request && request.path !== path) fail(`reply for request ${requestId} of step ${request.path} recorded on step ${path}`);
      if (!m.pending.has(requestId)) {
        if (request && !m.replied.has(requestId)) fail(`reply ${requestId} applied although its request was no longer pending (a late or stale reply)`);
      }
      m.replied.add(requestId);
      if (request?.purpose === 'compensate') m.compensationOutcomeDue = path;
      else m.outcomeDue = path;
      m.pending.delete(requestId);
      break;
    }
    case 'BranchChosen': {
      const { path } = event.data;
      if (!forwardOnly(m, event, fail)) break;
      if (m.branches.has(path)) fail(`conditional step ${path} chose a branch twice`);
      if (m.cancelRequested) fail(`conditional step ${path} chose a branch after the execution was cancelled`);
      haltedStart(m, `conditional step ${path} chose a branch`, fail);
      m.branches.add(path);
      if (event.data.branch === null) m.finished.add(path);
      break;
    }
    case 'SagaCompleted':
      if (m.count('SagaCompleted') > 1) fail('a second SagaCompleted');
      if (!forwardOnly(m, event, fail)) break;
      if (m.anyPending) fail(`completed while ${describeRequest(m.anyPending)} is pending`);
      if (m.parallels.size > 0) fail(`completed while parallel step ${[...m.parallels][0] ?? ''} had not finished`);
      if (JSON.stringify(event.data.context) !== JSON.stringify(before.context)) fail('SagaCompleted records a context different from the one its steps produced');
      m.phase = 'ended';
      m.ending = 'completed';
      break;
    case 'StepCompensated': {
      const { path, requestId } = event.data;
      if (!compensatingOnly(m, fail)) break;
      const index = m.plan.indexOf(path);
      if (index < 0) fail(`step ${path} compensated although it neither finished nor failed with compensate: true`);
      if (m.compensated.includes(path)) fail(`step ${path} compensated twice`);
      else compensationOrder(m, path, fail);
      if (index > m.lastCompensatedIndex) {
        for (const skipped of m.plan.slice(m.lastCompensatedIndex + 1, index)) {
          if (m.hasCompensation(skipped) === true) fail(`step ${skipped} has an onFailure but was skipped before step ${path} was compensated`);
        }
        m.lastCompensatedIndex = index;
      }
      if (requestId !== undefined) {
        if (m.compensationOutcomeDue !== path || !m.replied.has(requestId)) fail(`step ${path} compensated by request ${requestId} without its reply just before`);
      } else if (m.children.has(path)) {
        fail(`child step ${path} compensated while its child is still compensating`);
      } else if (m.anyPending) {
        fail(`step ${path} compensated locally while ${describeRequest(m.anyPending)} is pending`);
      }
      m.compensationOutcomeDue = undefined;
      m.compensated.push(path);
      break;
    }
    case 'CompensationAttemptFailed': {
      const { path } = event.data;
      if (!compensatingOnly(m, fail)) break;
      if (!m.plan.includes(path) || m.compensated.includes(path)) fail(`compensation attempt of step ${path}, which is not to be compensated (any more)`);
      compensationOrder(m, path, fail);
      m.compensationOutcomeDue = undefined;
      m.pending.clear();
      break;
    }
    case 'CompensationFailed': {
      const { path } = event.data;
      if (!compensatingOnly(m, fail)) break;
      if (!m.plan.includes(path) || m.compensated.includes(path)) fail(`compensation of step ${path} failed, but that step is not to be compensated (any more)`);
      compensationOrder(m, path, fail);
      m.compensationOutcomeDue = undefined;
      m.pending.clear();
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
      if (!compensatingOnly(m, fail)) break;
      if (m.anyPending) fail(`failed while ${describeRequest(m.anyPending)} is pending`);
      const missing = m.plan.filter((path) => !m.compensated.includes(path) && m.hasCompensation(path) === true);
      if (missing.length > 0) fail(`failed before compensating step(s) ${missing.join(', ')}`);
      m.phase = 'ended';
      m.ending = 'failed';
      break;
    }
    case 'VotesRequested':
      if (m.count('VotesRequested') > 1) fail('votes requested twice');
      else if (m.transaction === 'committed' || m.transaction === 'rejected') fail(`votes requested after the transaction was already ${m.transaction}`);
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
      // Committed twice, after a rejection or without votes: all commits without a vote in progress.
      if (m.transaction !== 'reserving') fail(`the transaction was committed without a vote (transaction ${m.transaction})`);
      const votes = [...(m.votes?.values() ?? [])];
      if (votes.some((v) => v.vote !== true)) fail(`committed without a yes from every participant (${votes.map((v) => `${v.service}: ${String(v.vote)}`).join(', ')})`);
      m.count('TransactionCommitted');
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
      if (!m.pending.has(event.data.requestId)) fail(`re-sent request ${event.data.requestId}, which is not pending`);
      break;
    case 'TransactionNotified':
      break;
    case 'CancelRequested':
      if (m.count('CancelRequested') > 1) fail('a second CancelRequested (cancelling twice records nothing)');
      if (m.phase === 'ended') fail('cancel requested after the execution ended');
      m.cancelRequested = true;
      break;
    case 'CancelStarted':
      if (m.count('CancelStarted') > 1) fail('a second CancelStarted');
      if (!m.cancelRequested) fail('the cancel took effect without a CancelRequested');
      if (!forwardOnly(m, event, fail)) break;
      if (m.anyPending) fail(`the cancel took effect while ${describeRequest(m.anyPending)} is pending (it must be awaited)`);
      m.startCompensation([...m.completionOrder].reverse());
      break;
    case 'ParallelStarted': {
      const { path } = event.data;
      if (!forwardOnly(m, event, fail)) break;
      if (m.parallels.has(path) || m.finished.has(path)) fail(`parallel step ${path} started twice`);
      if (m.cancelRequested) fail(`parallel step ${path} started after the execution was cancelled`);
      haltedStart(m, `parallel step ${path} started`, fail);
      m.parallels.add(path);
      break;
    }
    case 'ChildStarted': {
      const { path, childId } = event.data;
      if (!forwardOnly(m, event, fail)) break;
      if (m.children.has(path) || m.finished.has(path)) fail(`child step ${path} started its child twice`);
      if (m.cancelRequested) fail(`child step ${path} started after the execution was cancelled`);
      haltedStart(m, `child step ${path} started`, fail);
      m.children.set(path, { childId, purpose: 'execute' });
      break;
    }
    case 'ChildEnded': {
      const { path, childId, outcome } = event.data;
      const child = m.children.get(path);
      if (!child || child.childId !== childId) fail(`child ${childId} of step ${path} ended, but the step was not waiting for it`);
      else if ((child.purpose === 'execute') !== (outcome === 'finished' || outcome === 'errored')) fail(`child ${childId} of step ${path} ${outcome}, but it was asked to ${child.purpose}`);
      m.children.delete(path);
      if (outcome === 'finished' || outcome === 'errored') m.outcomeDue = path;
      else m.compensationOutcomeDue = path;
      break;
    }
    case 'ChildCompensationRequested': {
      const { path, childId } = event.data;
      if (!compensatingOnly(m, fail)) break;
      if (!m.plan.includes(path) || m.compensated.includes(path)) fail(`child of step ${path} asked to compensate, but that step is not to be compensated (any more)`);
      compensationOrder(m, path, fail);
      m.children.set(path, { childId, purpose: 'compensate' });
      break;
    }
    case 'CompensationRequested':
      if (m.count('CompensationRequested') > 1) fail('a second CompensationRequested');
      if (m.ending !== 'completed') fail('a parent asked this execution to compensate, but it had not completed');
      m.reopened = true;
      m.ending = undefined;
      m.startCompensation([...m.completionOrder].reverse());
      break;
    case 'CompensationStarted':
      if (m.count('CompensationStarted') > 1) fail('a second CompensationStarted');
      if (!forwardOnly(m, event, fail)) break;
      if (!m.halted) fail('compensation started without a step that failed while others were in flight');
      if (m.anyPending) fail(`compensation started while ${describeRequest(m.anyPending)} is pending (it must be awaited)`);
      m.startCompensation([...m.completionOrder].reverse());
      break;
    default:
      return assertNever(event);
  }
  m.previousType = event.type;
};

const assertNever = (event: never): never => {
  throw new Error(`an event the history checker does not know: ${JSON.stringify(event)}`);
};

/** What the model expects of the fold, compared field by field. */
const compareWithFold = (m: Model, execution: SagaExecution, lastRevision: number): string[] => {
  const problems: string[] = [];
  const expectedStatus =
    m.phase === 'ended' ? (m.ending === 'completed' ? SagaStatus.Finished : SagaStatus.Errored) : m.pending.size > 0 || m.children.size > 0 ? SagaStatus.Paused : SagaStatus.Running;
  const mismatch = (what: string, folded: unknown, expected: unknown): void => {
    if (folded !== expected) problems.push(`fold: ${what} is ${JSON.stringify(folded)} but the events say ${JSON.stringify(expected)}`);
  };
  mismatch('status', execution.status, expectedStatus);
  mismatch('phase', execution.phase, m.phase);
  mismatch('revision', execution.revision, lastRevision);
  mismatch('pending requests', execution.pendingRequests.map((p) => p.requestId).sort().join(','), [...m.pending.keys()].sort().join(','));
  mismatch('compensation.failed', execution.compensation.failed?.path, m.failedCompensation);
  if (m.transaction !== 'none') mismatch('transaction.status', execution.transaction.status, m.transaction);
  const compensatedByFold = execution.steps.filter((s) => s.status === 'compensated').map((s) => s.path).sort();
  mismatch('compensated steps', compensatedByFold.join(','), [...m.compensated].sort().join(','));
  return problems;
};

/** Every rule the history breaks, ordered by revision (rules about the whole history first). */
export const checkHistory = (events: readonly RecordedSagaEvent[], options: CheckHistoryOptions = {}): HistoryFinding[] => {
  if (events.length === 0) return [{ message: 'the stream has no events', severity: 'problem' }];
  const findings: HistoryFinding[] = [];
  const first = events[0];
  if (first && first.type !== 'SagaStarted') findings.push({ revision: first.revision, type: first.type, message: 'the first event must be SagaStarted', severity: 'problem' });
  const model = new Model(options.definition);
  let before = initialExecution();
  for (const [index, event] of events.entries()) {
    const fail: Fail = (message, severity = 'problem') => void findings.push({ revision: event.revision, type: event.type, message, severity });
    if (event.revision !== index) fail(`expected revision ${index} (revisions must be dense from 0)`);
    step(model, before, event, fail);
    before = evolve(before, event);
  }
  for (const { revision, reason } of streamMismatches(events, options.executionId)) {
    findings.push({ revision, type: events.find((e) => e.revision === revision)?.type, message: reason, severity: 'problem' });
  }
  const folded = (options.fold ?? engineFold)(events);
  for (const message of compareWithFold(model, folded, events.length - 1)) findings.push({ message, severity: 'problem' });
  // Stable: the rules of one event keep the order they were checked in.
  return findings.sort((a, b) => (a.revision ?? -1) - (b.revision ?? -1));
};
