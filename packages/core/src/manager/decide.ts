/**
 * The decider: turns an input (start, continue, a reply, a timer, commit/reject/resume) into the
 * events to append and the messages to publish once they are stored. User callbacks run here;
 * nothing is written here. `nextAction` says what to do; this file does it.
 */
import { randomUUID } from 'node:crypto';
import pRetry from 'p-retry';
import {
  SagaContext,
  SagaRequest,
  SagaResponse,
  SagaResponseStatus,
  resolveRetryPolicy,
  retryDelayMs,
  stepAtPath,
  type JsonObject,
  type ChildSagaStep,
  type RemoteSagaStep,
  type ResolvedRetryPolicy,
  type RetryPolicy,
  type Saga,
} from '@saga/definitions';
import { SagaStatus, contextAt, evolve, sagaEvent, type ErrorInfo, type SagaEvent, type SagaExecution, type TimerPurpose } from '@saga/execution';
import type { BrokerMessage } from '../ports/broker.js';
import { encodeRequest, encodeTransactionCommand as encodeCommand, type ReplyEnvelope } from '../wire/sagaMessages.js';
import { replyTopic, transactionTopic } from '../wire/headers.js';
import { attempt, contextOutcome, type Outcome } from './callUserCode.js';
import { isAwaiting, nextAction, type Action } from './nextAction.js';
import { executionIdForKey } from './executionIdForKey.js';
import { refuseCancel, refuseCommit, refuseReject, refuseResume } from './preconditions.js';
import { SagaAttributes, inSpan, instruments, traceHeaders } from '../observability/telemetry.js';

export interface Outgoing {
  readonly topic: string;
  readonly message: BrokerMessage;
}

/** What the driver does to child executions once a decision is stored: start one, or ask it to compensate. */
export type ChildCommand =
  | { readonly kind: 'start'; readonly definition: Saga; readonly started: Extract<SagaEvent, { type: 'SagaStarted' }> }
  | { readonly kind: 'compensate'; readonly childId: string; readonly parentId: string };

export interface Decision {
  readonly events: readonly SagaEvent[];
  readonly outbox: readonly Outgoing[];
  /** Child executions to start or to compensate, after the events are stored (like the outbox). */
  readonly children?: readonly ChildCommand[];
  /** Why nothing was decided, when `events` is empty and the input was a message (for the log). */
  readonly ignored?: string;
  /** Of replies decided together, why each one that changed nothing was ignored (one log line each). */
  readonly ignoredReplies?: readonly string[];
  /** What an operator should hear about once the events are stored: replies that never came. */
  readonly warnings?: readonly string[];
  /**
   * The decision stopped at a durable boundary (before or after a durable local step): append it,
   * then decide again with `{ kind: 'continue' }`.
   */
  readonly more?: boolean;
}

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

export interface DecideOptions {
  /** How a failing compensation is retried (local: in-process; remote: durable `retry` timers). */
  readonly compensationRetry: ResolvedRetryPolicy;
  /** The timeout of a remote step without its own `timeout()`. */
  readonly replyTimeoutMs: number;
  /** How long the commit waits for every participant's vote. */
  readonly commitTimeoutMs: number;
  readonly now: () => Date;
  readonly random: () => number;
  /** New request, timer and vote ids. Default: random UUIDs; a test gives a sequence. */
  readonly newId?: () => string;
  /**
   * How a callback that fails is called again under a policy (a local step's `retry()`, a local
   * compensation). Default: with the policy's backoff (sleeps); a test gives one that does not wait.
   */
  readonly retry?: RetryCall;
  /**
   * Wraps each step action (spans, timings). Default: a span and the step-duration metric; a test
   * gives none. The decision is the same either way.
   */
  readonly observeStep?: StepObserver;
}

export type RetryCall = <T>(policy: ResolvedRetryPolicy, call: () => Promise<Outcome<T>>) => Promise<Outcome<T>>;

/** What a step observer is told: which action runs, and what it came to once it ran. */
export interface ObservedStep {
  readonly executionId: string;
  readonly path: string;
  readonly kind: string;
  readonly compensating: boolean;
}

export type StepObserver = (step: ObservedStep, run: () => Promise<{ readonly goOn: boolean; readonly outcome: string }>) => Promise<boolean>;

export const defaultCompensationRetry: RetryPolicy = { attempts: 4, initialDelayMs: 50, maxDelayMs: 2_000 };

export const defaultDecideOptions: DecideOptions = {
  compensationRetry: resolveRetryPolicy(defaultCompensationRetry, 'compensationRetry'),
  replyTimeoutMs: 60_000,
  commitTimeoutMs: 60_000,
  now: () => new Date(),
  random: Math.random,
};

/** Calls a callback that reports failure as data until it succeeds or the policy is spent, with its backoff. */
export const withRetries: RetryCall = async <T>(policy: ResolvedRetryPolicy, call: () => Promise<Outcome<T>>): Promise<Outcome<T>> => {
  if (policy.attempts <= 1) return call();
  let last: Outcome<T> | undefined;
  try {
    return await pRetry(
      async () => {
        last = await call();
        if (!last.ok) throw new Error(last.error.message);
        return last;
      },
      { retries: policy.attempts - 1, minTimeout: policy.initialDelayMs, maxTimeout: policy.maxDelayMs, factor: policy.factor, randomize: policy.jitter },
    );
  } catch {
    return last ?? { ok: false, error: { name: 'Error', message: 'no attempt was made' } };
  }
};

/** Accumulates events and messages while the decision runs, keeping the folded state current. */
class DecisionBuilder {
  readonly events: SagaEvent[] = [];
  readonly outbox: Outgoing[] = [];
  readonly children: ChildCommand[] = [];
  readonly warnings: string[] = [];
  /** Set when the decision stops at a durable boundary and must be appended before going on. */
  more = false;
  readonly ignoredReplies: string[] = [];
  constructor(
    public execution: SagaExecution,
    readonly options: DecideOptions,
    /** The execution's first event is not stored yet (a start): a durable step waits for it. */
    readonly startUnstored = false,
  ) {}

  record(...events: SagaEvent[]): void {
    for (const event of events) {
      this.events.push(event);
      this.execution = evolve(this.execution, event);
    }
  }

  send(topic: string, message: BrokerMessage): void {
    this.outbox.push({ topic, message });
  }

  schedule(purpose: TimerPurpose, delayMs: number, about: { requestId?: string; path?: string } = {}): void {
    const dueAt = new Date(this.options.now().getTime() + delayMs).toISOString();
    this.record(sagaEvent('TimerScheduled', { timerId: this.newId(), purpose, dueAt, ...about }));
  }

  newId(): string {
    return (this.options.newId ?? randomUUID)();
  }

  retry<T>(policy: ResolvedRetryPolicy, call: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
    return (this.options.retry ?? withRetries)(policy, call);
  }

  /** Whether something this decision holds is not stored yet. */
  get unstored(): boolean {
    return this.startUnstored || this.events.length > 0;
  }

  done(ignored?: string): Decision {
    return {
      events: this.events,
      outbox: this.outbox,
      ...(ignored ? { ignored } : {}),
      ...(this.warnings.length > 0 ? { warnings: this.warnings } : {}),
      ...(this.more ? { more: true } : {}),
      ...(this.children.length > 0 ? { children: this.children } : {}),
      ...(this.ignoredReplies.length > 0 ? { ignoredReplies: this.ignoredReplies } : {}),
    };
  }
}

/** The context a step's callbacks get: its parallel branch's, else the execution's. */
const contextOf = (execution: SagaExecution, path: string): SagaContext => new SagaContext(contextAt(execution, path));

/**
 * The default join of a parallel step: the context it started with, plus what each branch changed
 * (keys set to another value, or removed), branch by branch in order.
 */
const mergeBranches = (start: JsonObject, branches: readonly JsonObject[]): JsonObject => {
  const merged: Record<string, JsonObject[string]> = { ...start };
  for (const branch of branches) {
    for (const [key, value] of Object.entries(branch)) {
      if (JSON.stringify(value) !== JSON.stringify(start[key])) merged[key] = value;
    }
    for (const key of Object.keys(start)) if (!(key in branch)) delete merged[key];
  }
  return merged;
};

/** A transaction command, in the saga's trace like its requests. */
const encodeTransactionCommand = (...args: Parameters<typeof encodeCommand>): BrokerMessage => {
  const message = encodeCommand(...args);
  return { ...message, headers: { ...message.headers, ...traceHeaders() } };
};

const requestMessage = (execution: SagaExecution, requestId: string, request: { target: string; payload: SagaRequest['payload'] }, purpose: 'execute' | 'compensate'): BrokerMessage => {
  const message = encodeRequest({
    sagaId: execution.id,
    requestId,
    replyTo: replyTopic(execution.service),
    purpose,
    ...(execution.user ? { user: execution.user } : {}),
    payload: request.payload,
  });
  // The step's span is active here: the participant's handler span joins the saga's trace.
  return { ...message, headers: { ...message.headers, ...traceHeaders() } };
};

const sendRequest = (d: DecisionBuilder, path: string, request: SagaRequest, purpose: 'execute' | 'compensate', step: RemoteSagaStep | undefined): void => {
  const requestId = d.newId();
  const data = { path, requestId, target: request.target, payload: request.payload };
  d.record(purpose === 'execute' ? sagaEvent('RequestSent', data) : sagaEvent('CompensationRequestSent', data));
  d.schedule('reply', step?.timeoutMs ?? d.options.replyTimeoutMs, { requestId, path });
  if (purpose === 'execute' && step && step.retryPolicy.attempts > 1) {
    d.schedule('resend', retryDelayMs(step.retryPolicy, 1, d.options.random), { requestId, path });
  }
  d.send(request.target, requestMessage(d.execution, requestId, request, purpose));
};

const buildRequest = async (builder: (ctx: SagaContext) => unknown, execution: SagaExecution, path: string) =>
  attempt(async () => {
    const request = await builder(contextOf(execution, path));
    if (!(request instanceof SagaRequest)) {
      throw new TypeError(`onExecute/onFailure of a remote step must return a SagaRequest(target, payload); it returned ${typeof request}.`);
    }
    return request;
  });

/** Does one action; returns false when the action means "stop here" (await / idle). */
const perform = async (d: DecisionBuilder, action: Action): Promise<boolean> => {
  const execution = d.execution;
  switch (action.type) {
    case 'runLocal': {
      const { path, step } = action;
      const outcome = await d.retry(step.retryPolicy, () => contextOutcome(contextAt(execution, path), () => step.execute?.(contextOf(execution, path))));
      d.record(
        outcome.ok
          ? sagaEvent('StepFinished', { path, kind: 'local', context: outcome.value })
          : sagaEvent('StepFailed', { path, kind: 'local', status: 'errored-on-execute', error: outcome.error, compensate: false }),
      );
      return true;
    }
    case 'sendRequest': {
      const { path, step } = action;
      const request = await buildRequest((ctx) => step.execute?.(ctx), execution, path);
      if (!request.ok) {
        d.record(sagaEvent('StepFailed', { path, kind: 'remote', status: 'errored-on-execute', error: request.error, compensate: false }));
        return true;
      }
      sendRequest(d, path, request.value, 'execute', step);
      // Other branches of a parallel step may have work too: `nextAction` says when all wait.
      return true;
    }
    case 'chooseBranch': {
      const { path, step } = action;
      const chosen = await attempt(async () => {
        for (const [index, alternative] of step.alternatives.entries()) {
          if ((await alternative.condition(contextOf(execution, path))) === true) return index;
        }
        return step.otherwise ? ('else' as const) : null;
      });
      d.record(
        chosen.ok
          ? sagaEvent('BranchChosen', { path, branch: chosen.value })
          : sagaEvent('StepFailed', { path, kind: 'conditional', status: 'errored-on-execute', error: chosen.error, compensate: false }),
      );
      return true;
    }
    case 'finishConditional':
      d.record(sagaEvent('StepFinished', { path: action.path, kind: 'conditional' }));
      return true;
    case 'startParallel':
      d.record(sagaEvent('ParallelStarted', { path: action.path, branches: action.step.branches.length }));
      return true;
    case 'joinParallel': {
      const { path, step } = action;
      const open = execution.parallelSteps.find((p) => p.path === path);
      const start = open?.start ?? contextAt(execution, path);
      const branches = open?.branches ?? [];
      const join = step.join;
      const outcome = join
        ? await contextOutcome(start, () => join(new SagaContext(start), branches.map((branch) => new SagaContext(branch))))
        : ({ ok: true, value: mergeBranches(start, branches) } as const);
      d.record(
        outcome.ok
          ? sagaEvent('StepFinished', { path, kind: 'parallel', context: outcome.value })
          : sagaEvent('StepFailed', { path, kind: 'parallel', status: 'errored-on-execute', error: outcome.error, compensate: false }),
      );
      return true;
    }
    case 'startCompensation':
      d.record(sagaEvent('CompensationStarted', {}));
      return true;
    case 'startChild': {
      const { path, step } = action;
      const child = step.child as Saga;
      const build = step.execute;
      const built = build ? await contextOutcome(contextAt(execution, path), () => build(contextOf(execution, path))) : ({ ok: true, value: contextAt(execution, path) } as const);
      if (!built.ok) {
        d.record(sagaEvent('StepFailed', { path, kind: 'child', status: 'errored-on-execute', error: built.error, compensate: false }));
        return true;
      }
      const childId = childExecutionId(execution.id, path, child);
      const definition = { name: child.name, version: child.version, fingerprint: child.fingerprint };
      d.record(sagaEvent('ChildStarted', { path, childId, definition, context: built.value }));
      d.children.push({ kind: 'start', definition: child, started: childStarted(execution, path, childId, definition, built.value) });
      return true;
    }
    case 'compensateChild': {
      const { path } = action;
      const childId = execution.steps.find((s) => s.path === path)?.childId;
      if (!childId) {
        d.record(sagaEvent('CompensationFailed', { path, error: { name: 'CorruptedHistoryError', message: `Child step ${path} has no child execution recorded to compensate.` } }));
        return false;
      }
      d.record(sagaEvent('ChildCompensationRequested', { path, childId }));
      d.children.push({ kind: 'compensate', childId, parentId: execution.id });
      return true;
    }
    case 'complete':
      d.record(sagaEvent('SagaCompleted', { context: execution.context }));
      return true;
    case 'compensateLocal': {
      const { path, step } = action;
      const outcome = await d.retry(d.options.compensationRetry, () => contextOutcome(contextAt(execution, path), () => step.failure?.(contextOf(execution, path))));
      d.record(
        outcome.ok
          ? sagaEvent('StepCompensated', { path, context: outcome.value })
          : sagaEvent('CompensationFailed', { path, error: outcome.error }),
      );
      return outcome.ok;
    }
    case 'compensateRemote': {
      const { path, step } = action;
      const request = await buildRequest((ctx) => step.failure?.(ctx), execution, path);
      if (!request.ok) {
        d.record(sagaEvent('CompensationFailed', { path, error: request.error }));
        return false;
      }
      sendRequest(d, path, request.value, 'compensate', step);
      return true;
    }
    case 'fail': {
      d.record(sagaEvent('SagaFailed', { error: execution.error ?? { name: 'SagaFailedError', message: 'The saga failed.' } }));
      if (d.execution.autocommit) rejectParticipants(d, `the saga failed: ${execution.error?.message ?? 'unknown error'}`);
      return false;
    }
    case 'requestVotes': {
      const votes = execution.transaction.participants.map((service) => ({ service, requestId: d.newId() }));
      d.record(sagaEvent('VotesRequested', { votes }));
      d.schedule('votes', d.options.commitTimeoutMs);
      for (const { service, requestId } of votes) {
        d.send(transactionTopic(service), encodeTransactionCommand('reserve', execution.id, { requestId, replyTo: replyTopic(execution.service) }));
      }
      return false;
    }
    case 'decideVotes': {
      const services = execution.transaction.votes.map((v) => v.service);
      const against = execution.transaction.votes.filter((v) => v.vote === false);
      if (against.length === 0) {
        d.record(sagaEvent('TransactionCommitted', { services }));
        for (const service of services) d.send(transactionTopic(service), encodeTransactionCommand('commit', execution.id));
        return false;
      }
      const reason = against.map((v) => `${v.service} voted no${v.reason ? ` (${v.reason})` : ''}`).join('; ');
      rejectParticipants(d, reason);
      d.record(sagaEvent('CommitFailed', { error: { name: 'CommitFailedError', message: reason } }));
      return true;
    }
    case 'cancel':
      d.record(sagaEvent('CancelStarted', {}));
      return true;
    case 'await':
    case 'idle':
      return false;
  }
};

const rejectParticipants = (d: DecisionBuilder, reason: string): void => {
  const { transaction, id } = d.execution;
  if (transaction.participants.length === 0 || transaction.status === 'committed' || transaction.status === 'rejected') return;
  d.record(sagaEvent('TransactionRejected', { services: [...transaction.participants], reason }));
  for (const service of transaction.participants) d.send(transactionTopic(service), encodeTransactionCommand('reject', id));
};

type StepAction = Extract<Action, { type: 'runLocal' | 'sendRequest' | 'chooseBranch' | 'compensateLocal' | 'compensateRemote' }>;

const isStepAction = (action: Action): action is StepAction =>
  action.type === 'runLocal' || action.type === 'sendRequest' || action.type === 'chooseBranch' || action.type === 'compensateLocal' || action.type === 'compensateRemote';

/** What the last recorded event says a step action came to, for spans and metrics. */
const outcomeOf = (d: DecisionBuilder): string => {
  switch (d.events.at(-1)?.type) {
    case 'StepFinished':
      return 'finished';
    case 'StepFailed':
      return 'failed';
    case 'RequestSent':
    case 'CompensationRequestSent':
    case 'TimerScheduled':
      return 'sent';
    case 'BranchChosen':
      return 'branch-chosen';
    case 'StepCompensated':
      return 'compensated';
    case 'CompensationFailed':
      return 'compensation-failed';
    default:
      return 'other';
  }
};

/** The default observer: each step action in its own span, timed — the unit operators look at in traces and dashboards. */
export const telemetryStepObserver: StepObserver = (step, run) => {
  const started = performance.now();
  return inSpan(
    step.compensating ? `saga.compensate ${step.kind}` : `saga.step ${step.kind}`,
    { [SagaAttributes.executionId]: step.executionId, [SagaAttributes.stepPath]: step.path, [SagaAttributes.stepKind]: step.kind },
    async (span) => {
      const { goOn, outcome } = await run();
      span.setAttribute(SagaAttributes.outcome, outcome);
      instruments().stepDuration.record(performance.now() - started, { [SagaAttributes.stepKind]: step.kind, [SagaAttributes.outcome]: outcome });
      return goOn;
    },
  );
};

const performStep = (d: DecisionBuilder, action: StepAction): Promise<boolean> => {
  const compensating = action.type === 'compensateLocal' || action.type === 'compensateRemote';
  const observe = d.options.observeStep ?? telemetryStepObserver;
  return observe({ executionId: d.execution.id, path: action.path, kind: action.step.kind, compensating }, async () => {
    const goOn = await perform(d, action);
    return { goOn, outcome: outcomeOf(d) };
  });
};

/** A local step whose result is stored before the next step runs: its own setting, else the definition's. */
const isDurable = (definition: Saga, action: Action): boolean =>
  action.type === 'runLocal' && (action.step.durability ?? definition.durableLocalSteps);

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
    if (isStepAction(action) && (afterDurable || (isDurable(definition, action) && d.unstored))) {
      d.more = true;
      return;
    }
    if (!(await (isStepAction(action) ? performStep(d, action) : perform(d, action)))) return;
    afterDurable ||= isDurable(definition, action);
  }
};

/** A reply payload's `message` if it has one (what SagaParticipant sends for errors), else its JSON. */
const detailOf = (payload: SagaResponse['payload']): string =>
  payload && typeof payload === 'object' && !Array.isArray(payload) && typeof (payload as JsonObject).message === 'string'
    ? String((payload as JsonObject).message)
    : JSON.stringify(payload);

const failureOf = (response: SagaResponse, path: string): ErrorInfo => {
  const name = response.status === SagaResponseStatus.SYSTEM_ERROR ? 'SystemErrorReply' : 'ErrorReply';
  return { name, message: `Step ${path} got a ${response.status} reply: ${detailOf(response.payload)}` };
};

/** A reply to the pending forward request: runs onSuccess/onError and records the outcome. */
const applyForwardReply = async (d: DecisionBuilder, definition: Saga, response: SagaResponse, path: string): Promise<void> => {
  const step = stepAtPath(definition, path) as RemoteSagaStep | undefined;
  if (response.status === SagaResponseStatus.SYSTEM_ERROR) {
    // The participant failed and changed nothing, so this step is not compensated (reference §2.5).
    d.record(sagaEvent('StepFailed', { path, kind: 'remote', status: 'errored-by-on-execute', error: failureOf(response, path), compensate: false, requestId: response.requestId }));
    return;
  }
  const success = response.status === SagaResponseStatus.SUCCESS;
  const callback = success ? step?.success : step?.error;
  if (!callback) {
    // An ERROR reply with no onError fails the step (the reference silently counted it a success).
    d.record(
      success
        ? sagaEvent('StepFinished', { path, kind: 'remote' })
        : sagaEvent('StepFailed', { path, kind: 'remote', status: 'errored-on-error', error: failureOf(response, path), compensate: false, requestId: response.requestId }),
    );
    return;
  }
  const outcome = await contextOutcome(contextAt(d.execution, path), () => callback(contextOf(d.execution, path), response));
  d.record(
    outcome.ok
      ? sagaEvent('StepFinished', { path, kind: 'remote', context: outcome.value })
      : sagaEvent('StepFailed', {
          path,
          kind: 'remote',
          status: success ? 'errored-on-success' : 'errored-on-error',
          error: outcome.error,
          // The participant applied the request; its effect must be undone with the others.
          compensate: true,
          requestId: response.requestId,
        }),
  );
};

/**
 * A remote compensation that failed (error reply or timeout): tried again after a backoff, with a
 * new request id, until the policy is spent; then the execution stops for an operator.
 */
const compensationAttemptFailed = (d: DecisionBuilder, path: string, error: ErrorInfo): void => {
  const failed = (d.execution.compensation.attempts[path] ?? 0) + 1;
  const policy = d.options.compensationRetry;
  if (failed >= policy.attempts) {
    d.record(sagaEvent('CompensationFailed', { path, error: { ...error, message: `${error.message} (after ${failed} attempt${failed === 1 ? '' : 's'})` } }));
    return;
  }
  d.record(sagaEvent('CompensationAttemptFailed', { path, error, attempt: failed }));
  d.schedule('retry', retryDelayMs(policy, failed, d.options.random), { path });
};

const applyReply = async (d: DecisionBuilder, definition: Saga, reply: ReplyEnvelope, autocommit: boolean | undefined): Promise<string | undefined> => {
  const execution = d.execution;
  if (reply.sagaId !== execution.id) return `reply for saga ${reply.sagaId} reached execution ${execution.id}`;
  const vote = execution.transaction.status === 'reserving' ? execution.transaction.votes.find((v) => v.requestId === reply.requestId) : undefined;
  if (vote) {
    if (vote.vote !== undefined) return `duplicate vote ${reply.requestId} from ${vote.service}`;
    const reason = reply.status === SagaResponseStatus.SUCCESS ? undefined : `${vote.service} replied ${reply.status}: ${detailOf(reply.payload)}`;
    d.record(sagaEvent('VoteReceived', { service: vote.service, requestId: reply.requestId, vote: reply.status === SagaResponseStatus.SUCCESS, ...(reason ? { reason } : {}) }));
    return undefined;
  }
  const pending = execution.pendingRequests.find((p) => p.requestId === reply.requestId);
  if (!pending) {
    return `reply ${reply.requestId} matches no pending request of execution ${execution.id} (duplicate, late or foreign)`;
  }
  const response = new SagaResponse({ ...reply });
  const sentAt = Date.parse(pending.sentAt);
  if (!Number.isNaN(sentAt)) instruments().replyLatency.record(d.options.now().getTime() - sentAt, { [SagaAttributes.target]: pending.target });
  d.record(
    sagaEvent('ReplyReceived', {
      path: pending.path,
      requestId: reply.requestId,
      status: response.status,
      payload: reply.payload,
      relatedServices: [...reply.relatedServices],
      // The seed's `run` takes autocommit on every call: a continuing caller's choice holds from here on.
      ...(autocommit !== undefined && autocommit !== execution.autocommit ? { autocommit } : {}),
    }),
  );
  if (pending.purpose === 'execute') {
    await applyForwardReply(d, definition, response, pending.path);
  } else if (response.ok) {
    d.record(sagaEvent('StepCompensated', { path: pending.path, requestId: reply.requestId }));
  } else {
    compensationAttemptFailed(d, pending.path, failureOf(response, pending.path));
  }
  return undefined;
};

const timeoutError = (what: string, dueAt: string): ErrorInfo => ({ name: 'ReplyTimeoutError', message: `${what} had no reply by ${dueAt}.` });

const applyTimer = (d: DecisionBuilder, definition: Saga, timerId: string): string | undefined => {
  const execution = d.execution;
  const timer = execution.timers.find((t) => t.timerId === timerId);
  if (!timer) return `timer ${timerId} is no longer relevant (it fired, or what it waited for happened)`;
  d.record(sagaEvent('TimerFired', { timerId }));
  // Reply and re-send timers are about one request (several may be awaited, one per parallel branch).
  const pending = execution.pendingRequests.find((p) => p.requestId === timer.requestId);
  switch (timer.purpose) {
    case 'reply': {
      if (!pending) return undefined;
      const what = `Request ${pending.requestId} (${pending.target}) of step ${pending.path}`;
      // Often nothing consumes the target: say so where an operator looks, not only in the stream.
      d.warnings.push(`${what} of execution ${execution.id} had no reply by ${timer.dueAt}: is a participant handling '${pending.target}'?`);
      if (pending.purpose === 'execute') {
        // The request may have been applied: the in-flight step is compensated too.
        d.record(sagaEvent('StepFailed', { path: pending.path, kind: 'remote', status: 'timed-out', error: timeoutError(what, timer.dueAt), compensate: true, requestId: pending.requestId }));
      } else {
        compensationAttemptFailed(d, pending.path, timeoutError(what, timer.dueAt));
      }
      return undefined;
    }
    case 'resend': {
      if (!pending) return undefined;
      const step = stepAtPath(definition, pending.path) as RemoteSagaStep | undefined;
      const attemptNumber = pending.attempt + 1;
      d.record(sagaEvent('RequestResent', { path: pending.path, requestId: pending.requestId, attempt: attemptNumber }));
      d.send(pending.target, requestMessage(execution, pending.requestId, pending, pending.purpose));
      if (step && attemptNumber < step.retryPolicy.attempts) {
        d.schedule('resend', retryDelayMs(step.retryPolicy, attemptNumber, d.options.random), { requestId: pending.requestId, path: pending.path });
      }
      return undefined;
    }
    case 'votes': {
      // A participant that does not answer in time counts as a no, as in any two-phase commit.
      for (const vote of execution.transaction.votes.filter((v) => v.vote === undefined)) {
        d.warnings.push(`${vote.service} did not vote on execution ${execution.id} by ${timer.dueAt}; counted as a no.`);
        d.record(sagaEvent('VoteReceived', { service: vote.service, requestId: vote.requestId, vote: false, reason: `no vote by ${timer.dueAt}` }));
      }
      return undefined;
    }
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
      await perform(d, { type: 'requestVotes' });
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
      ignored = await applyChildEnd(d, definition, input.child);
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
export const pendingOutbox = (execution: SagaExecution): Outgoing[] => {
  const outbox: Outgoing[] = [];
  for (const pending of execution.pendingRequests) outbox.push({ topic: pending.target, message: requestMessage(execution, pending.requestId, pending, pending.purpose) });
  const { status, participants, notified } = execution.transaction;
  if ((status === 'committed' || status === 'rejected') && !notified) {
    for (const service of participants) {
      outbox.push({ topic: transactionTopic(service), message: encodeTransactionCommand(status === 'committed' ? 'commit' : 'reject', execution.id) });
    }
  }
  if (execution.transaction.status === 'reserving') {
    for (const vote of execution.transaction.votes.filter((v) => v.vote === undefined)) {
      outbox.push({
        topic: transactionTopic(vote.service),
        message: encodeTransactionCommand('reserve', execution.id, { requestId: vote.requestId, replyTo: replyTopic(execution.service) }),
      });
    }
  }
  return outbox;
};

/** The id of the child execution a child step starts: derived, so a start repeated by recovery finds it. */
export const childExecutionId = (parentId: string, path: string, child: Saga): string => executionIdForKey(child, `${parentId}/${path}`);

const childStarted = (parent: SagaExecution, path: string, childId: string, definition: { name: string; version: string; fingerprint: string }, context: JsonObject) =>
  sagaEvent('SagaStarted', {
    executionId: childId,
    definition,
    context,
    user: parent.user ?? null,
    autocommit: parent.autocommit,
    service: parent.service,
    key: `${parent.id}/${path}`,
    parent: { executionId: parent.id, path },
  });

/** The `SagaStarted` of a child that a crash kept from being started: recovery starts it from the parent's record. */
export const childStartOf = (parent: SagaExecution, child: { readonly path: string; readonly childId: string; readonly definition: { name: string; version: string; fingerprint: string }; readonly context: JsonObject }) =>
  childStarted(parent, child.path, child.childId, child.definition, child.context);

/** Whether a child execution has come to rest: nothing awaited, nothing left to do. */
export const childSettled = (child: SagaExecution): boolean => child.phase === 'ended' && !isAwaiting(child);

/** The end of a child this execution waits on: its step goes on (or fails), or its compensation is done. */
const applyChildEnd = async (d: DecisionBuilder, definition: Saga, child: SagaExecution): Promise<string | undefined> => {
  const execution = d.execution;
  const pending = execution.pendingChildren.find((c) => c.childId === child.id);
  if (!pending) return `child ${child.id} is not awaited by execution ${execution.id}`;
  if (!childSettled(child)) return `child ${child.id} has not ended yet (${child.status})`;
  const { path, childId } = pending;
  if (pending.purpose === 'compensate') {
    const failed = child.compensation.failed;
    if (failed) {
      d.record(sagaEvent('ChildEnded', { path, childId, outcome: 'compensation-failed', error: failed.error }));
      d.record(sagaEvent('CompensationFailed', { path, error: { name: failed.error.name, message: `Child ${childId} could not compensate step ${failed.path}: ${failed.error.message}` } }));
    } else {
      d.record(sagaEvent('ChildEnded', { path, childId, outcome: 'compensated' }));
      d.record(sagaEvent('StepCompensated', { path }));
    }
    return undefined;
  }
  if (child.status !== SagaStatus.Finished) {
    const error = child.error ?? { name: 'SagaFailedError', message: 'the child failed' };
    d.record(sagaEvent('ChildEnded', { path, childId, outcome: 'errored', error }));
    // The child compensated itself: this step has nothing left to undo.
    d.record(sagaEvent('StepFailed', { path, kind: 'child', status: 'errored-by-on-execute', error: { name: 'ChildSagaFailedError', message: `Child ${childId} (${child.definition.name}) failed: ${error.name}: ${error.message}` }, compensate: false }));
    return undefined;
  }
  d.record(sagaEvent('ChildEnded', { path, childId, outcome: 'finished', context: child.context }));
  const step = stepAtPath(definition, path) as ChildSagaStep | undefined;
  const success = step?.success;
  const outcome = success
    ? await contextOutcome(contextAt(d.execution, path), () => success(contextOf(d.execution, path), { id: childId, context: new SagaContext(child.context) }))
    : ({ ok: true, value: contextAt(d.execution, path) } as const);
  d.record(
    outcome.ok
      ? sagaEvent('StepFinished', { path, kind: 'child', context: outcome.value })
      : // The child's steps took effect: this step is undone with the others (the child compensates).
        sagaEvent('StepFailed', { path, kind: 'child', status: 'errored-on-success', error: outcome.error, compensate: true }),
  );
  return undefined;
};

/** Services an outbox tells a transaction's outcome (commit or reject), for `TransactionNotified`. */
export const notifiedServices = (outbox: readonly Outgoing[]): string[] =>
  outbox.filter((o) => ['commit', 'reject'].includes(o.message.headers.transactionAction ?? '')).map((o) => o.topic.replace(/\.transaction$/, ''));
