/**
 * The fold: `evolve(execution, event)` is the only place an event changes state. Pure; no user code.
 *
 * `fold` applies a whole history to one mutable draft and freezes it once, so folding n events is
 * O(n); `evolve` is the same step on a copy, for callers that hold immutable executions.
 */
import type { JsonObject } from '@saga/definitions';
import type { RecordedSagaEvent } from './decodeEvent.js';
import type { ErrorInfo, SagaEvent } from './sagaEvents.js';
import type { ActiveTimer, Cancellation, OpenParallelStep, ParticipantVote, PendingChild, PendingRequest, SagaExecution, StepExecution, TransactionStatus } from './sagaExecution.js';
import { SagaStatus, StepStatus } from './sagaStatus.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Draft {
  id: string;
  definition: SagaExecution['definition'];
  status: SagaStatus;
  context: JsonObject;
  user?: string;
  service: string;
  autocommit: boolean;
  steps: Map<string, Mutable<StepExecution>>;
  /** Requests awaiting their reply, by requestId: one, or one per running branch of a parallel step. */
  pending: Map<string, PendingRequest>;
  /** Parallel steps started and not yet joined, by path: the context each branch runs on. */
  parallels: Map<string, OpenParallelStep>;
  /** Child executions awaited, by step path. */
  children: Map<string, PendingChild>;
  parent?: { executionId: string; path: string };
  error?: ErrorInfo;
  phase: SagaExecution['phase'];
  completed: string[];
  plan: string[];
  done: string[];
  failedCompensation?: { path: string; error: ErrorInfo };
  attempts: Record<string, number>;
  timers: Map<string, ActiveTimer>;
  transactionStatus: TransactionStatus;
  participants: string[];
  votes: ParticipantVote[];
  notified: boolean;
  revision: number;
  startedAt?: string;
  updatedAt?: string;
  forkedFrom?: { executionId: string; revision: number; by?: string };
  key?: string;
  cancellation?: Cancellation;
}

export const initialExecution = (): SagaExecution =>
  freeze({
    id: '',
    definition: { name: '', version: '', fingerprint: '' },
    status: SagaStatus.Created,
    context: {},
    service: '',
    autocommit: true,
    steps: new Map(),
    pending: new Map(),
    parallels: new Map(),
    children: new Map(),
    phase: 'forward',
    completed: [],
    plan: [],
    done: [],
    attempts: {},
    timers: new Map(),
    transactionStatus: 'none',
    participants: [],
    votes: [],
    notified: false,
    revision: -1,
  });

/** Containers of a step (conditional and parallel steps): "2.0.1" → ["2"]; "2.0.3.else.0" → ["2.0.3", "2"]. */
export const containersOf = (path: string): string[] => {
  const parts = path.split('.');
  const ancestors: string[] = [];
  for (let end = parts.length - 2; end > 0; end -= 2) ancestors.push(parts.slice(0, end).join('.'));
  return ancestors;
};

/** The innermost open parallel step around `path`, and the branch `path` runs in. */
const parallelScope = (parallels: ReadonlyMap<string, OpenParallelStep>, path: string): { step: OpenParallelStep; branch: number } | undefined => {
  for (const container of containersOf(path)) {
    const step = parallels.get(container);
    if (step) return { step, branch: Number(path.slice(container.length + 1).split('.')[0]) };
  }
  return undefined;
};

/**
 * The context a step at `path` runs with: its parallel branch's while the parallel step is open,
 * else the execution's. What a callback at `path` is given, and what its result replaces.
 */
export const contextAt = (execution: Pick<SagaExecution, 'context' | 'parallelSteps'>, path: string): JsonObject => {
  const open = new Map(execution.parallelSteps.map((p) => [p.path, p]));
  const scope = parallelScope(open, path);
  return scope ? (scope.step.branches[scope.branch] ?? scope.step.start) : execution.context;
};

const setContextAt = (draft: Draft, path: string, context: JsonObject): void => {
  const scope = parallelScope(draft.parallels, path);
  if (!scope) {
    draft.context = context;
    return;
  }
  const branches = [...scope.step.branches];
  branches[scope.branch] = context;
  draft.parallels.set(scope.step.path, { ...scope.step, branches });
};

const draftContextAt = (draft: Draft, path: string): JsonObject => {
  const scope = parallelScope(draft.parallels, path);
  return scope ? (scope.step.branches[scope.branch] ?? scope.step.start) : draft.context;
};

/** Paused while anything is awaited (a request), else running: for the forward and compensating phases. */
const settleStatus = (draft: Draft): void => {
  draft.status = awaitsAnything(draft) ? SagaStatus.Paused : SagaStatus.Running;
};

/** A request or a child execution is awaited. */
const awaitsAnything = (draft: Draft): boolean => draft.pending.size > 0 || draft.children.size > 0;

const setStep = (draft: Draft, path: string, patch: Partial<StepExecution> & Pick<StepExecution, 'status'>): void => {
  const step = draft.steps.get(path);
  if (step) Object.assign(step, patch);
  else draft.steps.set(path, { path, kind: patch.kind ?? 'remote', ...patch });
};

/** The error a cancelled execution ends with, whatever else failed while the cancel was awaited. */
export const cancelledError = (cancellation: Cancellation): ErrorInfo => ({
  name: 'SagaCancelledError',
  message: `Cancelled${cancellation.by ? ` by ${cancellation.by}` : ''}: ${cancellation.reason}`,
});

/** The first failure's error; a cancelled execution's is the cancel, whatever failed while it was awaited. */
const recordError = (draft: Draft, error: ErrorInfo): void => {
  draft.error ??= draft.cancellation ? cancelledError(draft.cancellation) : error;
};

/** Compensation undoes what finished (or took effect), in the reverse of the order it happened. */
const startCompensation = (draft: Draft, error: ErrorInfo): void => {
  recordError(draft, error);
  draft.phase = 'compensating';
  draft.status = SagaStatus.Running;
  draft.plan = [...draft.completed].reverse();
  draft.pending.clear();
  draft.children.clear();
};

const apply = (draft: Draft, event: SagaEvent, recordedAt: string | undefined): void => {
  switch (event.type) {
    case 'SagaStarted': {
      const d = event.data;
      draft.id = d.executionId;
      draft.definition = d.definition;
      draft.context = d.context;
      if (d.user !== null) draft.user = d.user;
      draft.service = d.service;
      draft.autocommit = d.autocommit;
      draft.status = SagaStatus.Running;
      draft.startedAt = recordedAt;
      if (d.forkedFrom) draft.forkedFrom = d.forkedFrom;
      if (d.key !== undefined) draft.key = d.key;
      if (d.parent) draft.parent = d.parent;
      return;
    }
    case 'StepFinished': {
      const { path, kind, context } = event.data;
      setStep(draft, path, { kind, status: StepStatus.Finished });
      if (kind === 'parallel') {
        // Joined: the branches' contexts become one, in the scope around the parallel step.
        draft.parallels.delete(path);
      } else if (kind !== 'conditional') draft.completed.push(path);
      if (context) setContextAt(draft, path, context);
      settleStatus(draft);
      return;
    }
    case 'StepFailed': {
      const { path, kind, status, error, compensate, requestId } = event.data;
      setStep(draft, path, { kind, status, error, ...(requestId ? { requestId } : {}) });
      for (const ancestor of containersOf(path)) setStep(draft, ancestor, { status: StepStatus.ErroredByOnExecute });
      // Its request, if it was still awaited (a timeout), is no longer.
      for (const request of draft.pending.values()) {
        if (request.requestId === requestId || (request.purpose === 'execute' && request.path === path)) draft.pending.delete(request.requestId);
      }
      // The participant may have applied it: it is undone first, as the step that happened last.
      if (compensate) draft.completed.push(path);
      if (awaitsAnything(draft)) {
        // Other branches have requests in flight: they are awaited (reply or timeout), and no step
        // starts meanwhile; `CompensationStarted` follows once nothing is in flight.
        recordError(draft, error);
        settleStatus(draft);
        return;
      }
      startCompensation(draft, error);
      return;
    }
    case 'RequestSent':
    case 'CompensationRequestSent': {
      const { path, requestId, target, payload } = event.data;
      const forward = event.type === 'RequestSent';
      setStep(draft, path, {
        kind: 'remote',
        status: forward ? StepStatus.PausedByOnExecute : StepStatus.PausedOnFailure,
        requestId,
      });
      draft.pending.set(requestId, { path, requestId, target, payload, purpose: forward ? 'execute' : 'compensate', sentAt: recordedAt ?? '', attempt: 1 });
      draft.status = SagaStatus.Paused;
      return;
    }
    case 'ReplyReceived': {
      const { path, requestId, status, relatedServices, autocommit } = event.data;
      for (const service of relatedServices) if (!draft.participants.includes(service)) draft.participants.push(service);
      if (autocommit !== undefined) draft.autocommit = autocommit;
      if (draft.pending.get(requestId)?.purpose === 'execute') {
        setStep(draft, path, { status: status === 200 ? StepStatus.RunningOnSuccess : StepStatus.RunningOnError });
      }
      draft.pending.delete(requestId);
      settleStatus(draft);
      return;
    }
    case 'BranchChosen': {
      const { path, branch } = event.data;
      setStep(draft, path, { kind: 'conditional', status: branch === null ? StepStatus.Finished : StepStatus.RunningOnExecute, branch });
      return;
    }
    case 'SagaCompleted':
      draft.context = event.data.context;
      draft.status = SagaStatus.Finished;
      draft.phase = 'ended';
      draft.transactionStatus = draft.participants.length > 0 ? 'pending' : 'none';
      return;
    case 'StepCompensated': {
      const { path, context } = event.data;
      setStep(draft, path, { status: StepStatus.Compensated });
      draft.done.push(path);
      if (context) setContextAt(draft, path, context);
      draft.pending.clear();
      draft.status = SagaStatus.Running;
      return;
    }
    case 'CompensationFailed': {
      const { path, error } = event.data;
      setStep(draft, path, { status: StepStatus.ErroredOnFailure, error });
      draft.failedCompensation = { path, error };
      draft.pending.clear();
      draft.status = SagaStatus.Errored;
      draft.phase = 'ended';
      if (draft.participants.length > 0 && draft.transactionStatus === 'none') draft.transactionStatus = 'pending';
      return;
    }
    case 'SagaFailed':
      draft.error ??= event.data.error;
      draft.status = SagaStatus.Errored;
      draft.phase = 'ended';
      if (draft.participants.length > 0 && draft.transactionStatus === 'none') draft.transactionStatus = 'pending';
      return;
    case 'VotesRequested':
      draft.transactionStatus = 'reserving';
      draft.votes = event.data.votes.map((v) => ({ ...v }));
      return;
    case 'VoteReceived': {
      const { requestId, vote, reason } = event.data;
      draft.votes = draft.votes.map((v) => (v.requestId === requestId ? { ...v, vote, ...(reason ? { reason } : {}) } : v));
      return;
    }
    case 'TransactionCommitted':
      draft.transactionStatus = 'committed';
      return;
    case 'TransactionRejected':
      draft.transactionStatus = 'rejected';
      return;
    case 'TransactionNotified':
      draft.notified = true;
      return;
    case 'CommitFailed':
      startCompensation(draft, event.data.error);
      return;
    case 'TimerScheduled': {
      const { timerId, purpose, dueAt, requestId, path } = event.data;
      draft.timers.set(timerId, { timerId, purpose, dueAt, ...(requestId ? { requestId } : {}), ...(path ? { path } : {}) });
      return;
    }
    case 'TimerFired':
      draft.timers.delete(event.data.timerId);
      return;
    case 'RequestResent': {
      const resent = draft.pending.get(event.data.requestId);
      if (resent) draft.pending.set(resent.requestId, { ...resent, attempt: event.data.attempt });
      return;
    }
    case 'CompensationAttemptFailed': {
      const { path, error, attempt } = event.data;
      draft.attempts = { ...draft.attempts, [path]: attempt };
      setStep(draft, path, { status: StepStatus.ErroredOnFailure, error });
      draft.pending.clear();
      draft.status = SagaStatus.Running;
      return;
    }
    case 'CancelRequested': {
      const { reason, by } = event.data;
      draft.cancellation = { reason, ...(by !== null ? { by } : {}), ...(recordedAt ? { requestedAt: recordedAt } : {}) };
      return;
    }
    case 'CancelStarted':
      if (draft.cancellation) startCompensation(draft, cancelledError(draft.cancellation));
      return;
    case 'CompensationStarted':
      startCompensation(draft, draft.error ?? { name: 'SagaFailedError', message: 'A step failed.' });
      return;
    case 'ChildStarted': {
      const { path, childId, definition, context } = event.data;
      setStep(draft, path, { kind: 'child', status: StepStatus.PausedByOnExecute, childId });
      draft.children.set(path, { path, childId, purpose: 'execute', definition, context });
      draft.status = SagaStatus.Paused;
      return;
    }
    case 'ChildEnded': {
      const { path, outcome } = event.data;
      draft.children.delete(path);
      if (outcome === 'finished' || outcome === 'errored') setStep(draft, path, { status: outcome === 'finished' ? StepStatus.RunningOnSuccess : StepStatus.RunningOnError });
      settleStatus(draft);
      return;
    }
    case 'ChildCompensationRequested': {
      const { path, childId } = event.data;
      setStep(draft, path, { status: StepStatus.PausedOnFailure });
      draft.children.set(path, { path, childId, purpose: 'compensate', definition: { name: '', version: '', fingerprint: '' }, context: {} });
      draft.status = SagaStatus.Paused;
      return;
    }
    case 'CompensationRequested':
      // A finished child whose parent compensates the step that ran it: it undoes its own steps.
      startCompensation(draft, { name: 'CompensatedByParent', message: `Compensated because its parent ${event.data.parentId} compensated the step that ran it.` });
      return;
    case 'ParallelStarted': {
      const { path, branches } = event.data;
      const start = draftContextAt(draft, path);
      setStep(draft, path, { kind: 'parallel', status: StepStatus.RunningOnExecute });
      draft.parallels.set(path, { path, start, branches: Array.from({ length: branches }, () => start) });
      return;
    }
    case 'CompensationResumed': {
      const { [event.data.path]: _reset, ...others } = draft.attempts;
      draft.attempts = others;
      delete draft.failedCompensation;
      draft.phase = 'compensating';
      draft.status = SagaStatus.Running;
      return;
    }
    default:
      // An event type added without its case here fails to compile instead of being folded as nothing.
      event satisfies never;
  }
};

/** Whether a timer still matters in the execution's current state (others can never fire usefully). */
const isRelevant = (draft: Draft, timer: ActiveTimer): boolean => {
  switch (timer.purpose) {
    case 'reply':
    case 'resend':
      return timer.requestId !== undefined && draft.pending.has(timer.requestId);
    case 'votes':
      return draft.transactionStatus === 'reserving';
    case 'deadline':
      return draft.phase === 'forward';
    case 'retry':
      return draft.phase === 'compensating' && draft.pending.size === 0;
  }
};

const pruneTimers = (draft: Draft): void => {
  for (const timer of draft.timers.values()) if (!isRelevant(draft, timer)) draft.timers.delete(timer.timerId);
};

const thaw = (execution: SagaExecution): Draft => ({
  id: execution.id,
  definition: execution.definition,
  status: execution.status,
  context: execution.context,
  ...(execution.user !== undefined ? { user: execution.user } : {}),
  service: execution.service,
  autocommit: execution.autocommit,
  steps: new Map(execution.steps.map((s) => [s.path, { ...s }])),
  pending: new Map(execution.pendingRequests.map((p) => [p.requestId, p])),
  parallels: new Map(execution.parallelSteps.map((p) => [p.path, p])),
  children: new Map(execution.pendingChildren.map((c) => [c.path, c])),
  ...(execution.parent ? { parent: execution.parent } : {}),
  ...(execution.error ? { error: execution.error } : {}),
  phase: execution.phase,
  completed: [...execution.completedSteps],
  plan: [...execution.compensation.plan],
  done: [...execution.compensation.done],
  ...(execution.compensation.failed ? { failedCompensation: execution.compensation.failed } : {}),
  attempts: { ...execution.compensation.attempts },
  timers: new Map(execution.timers.map((t) => [t.timerId, t])),
  transactionStatus: execution.transaction.status,
  participants: [...execution.transaction.participants],
  votes: [...execution.transaction.votes],
  notified: execution.transaction.notified,
  revision: execution.revision,
  ...(execution.startedAt ? { startedAt: execution.startedAt } : {}),
  ...(execution.updatedAt ? { updatedAt: execution.updatedAt } : {}),
  ...(execution.forkedFrom ? { forkedFrom: execution.forkedFrom } : {}),
  ...(execution.key !== undefined ? { key: execution.key } : {}),
  ...(execution.cancellation ? { cancellation: execution.cancellation } : {}),
});


const freeze = (draft: Draft): SagaExecution => {
  const execution: SagaExecution = {
    id: draft.id,
    definition: draft.definition,
    status: draft.status,
    context: draft.context,
    ...(draft.user !== undefined ? { user: draft.user } : {}),
    service: draft.service,
    autocommit: draft.autocommit,
    steps: [...draft.steps.values()].map((s) => Object.freeze({ ...s })),
    ...(draft.pending.size === 1 ? { pendingRequest: [...draft.pending.values()][0] } : {}),
    pendingRequests: [...draft.pending.values()],
    parallelSteps: [...draft.parallels.values()],
    pendingChildren: [...draft.children.values()],
    ...(draft.parent ? { parent: draft.parent } : {}),
    completedSteps: [...draft.completed],
    ...(draft.error ? { error: draft.error } : {}),
    phase: draft.phase,
    compensation: {
      plan: draft.plan,
      done: draft.done,
      ...(draft.failedCompensation ? { failed: draft.failedCompensation } : {}),
      attempts: draft.attempts,
    },
    transaction: { status: draft.transactionStatus, participants: draft.participants, votes: draft.votes, notified: draft.notified },
    timers: [...draft.timers.values()],
    revision: draft.revision,
    ...(draft.startedAt ? { startedAt: draft.startedAt } : {}),
    ...(draft.updatedAt ? { updatedAt: draft.updatedAt } : {}),
    ...(draft.forkedFrom ? { forkedFrom: draft.forkedFrom } : {}),
    ...(draft.key !== undefined ? { key: draft.key } : {}),
    ...(draft.cancellation ? { cancellation: draft.cancellation } : {}),
  };
  return Object.freeze(execution);
};

type Foldable = SagaEvent & { readonly revision?: number; readonly recordedAt?: string };

const applyRecorded = (draft: Draft, event: Foldable): void => {
  apply(draft, event, event.recordedAt);
  if (draft.timers.size > 0) pruneTimers(draft);
  draft.revision = event.revision ?? draft.revision + 1;
  if (event.recordedAt) draft.updatedAt = event.recordedAt;
};

/** One event applied to an execution; returns a new execution. */
export const evolve = (execution: SagaExecution, event: Foldable): SagaExecution => {
  const draft = thaw(execution);
  applyRecorded(draft, event);
  return freeze(draft);
};

/** A whole (decoded) history folded into the execution it describes. */
export const fold = (events: Iterable<Foldable>, from: SagaExecution = initialExecution()): SagaExecution => {
  const draft = thaw(from);
  for (const event of events) applyRecorded(draft, event);
  return freeze(draft);
};

/** The execution as it was after the event at revision `upTo` (inclusive). */
export const replay = (events: readonly RecordedSagaEvent[], upTo?: number): SagaExecution =>
  fold(upTo === undefined ? events : events.filter((e) => e.revision <= upTo));
