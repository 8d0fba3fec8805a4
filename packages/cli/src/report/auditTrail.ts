/**
 * What an auditor reads, derived from the events alone: the timeline (each event with what it
 * changed) and, per step, its input and output context, its request and reply, and its
 * compensation. Pure; the HTML report renders it.
 */
import {
  evolve,
  initialExecution,
  summarizeEvent,
  type ErrorInfo,
  type JsonObject,
  type JsonValue,
  type RecordedSagaEvent,
  type SagaExecution,
  type SagaStepKind,
} from '@saga/core';
import { diffExecutions, type ExecutionDiff } from '../diff/executionDiff.js';
import { stepStatusText } from './stepStatusText.js';

export type EntryCategory = 'start' | 'step' | 'request' | 'reply' | 'failure' | 'compensation' | 'end' | 'transaction' | 'timer';

export interface TimelineEntry {
  readonly revision: number;
  readonly recordedAt: string;
  readonly type: string;
  readonly step?: string;
  readonly summary: string;
  readonly category: EntryCategory;
  readonly diff: ExecutionDiff;
  /** The payload a request carried or a reply returned. */
  readonly payload?: JsonValue;
}

export interface Message {
  readonly revision: number;
  readonly at: string;
  readonly target?: string;
  readonly requestId: string;
  readonly payload: JsonValue;
  /** Replies: SUCCESS / ERROR / SYSTEM_ERROR, and who answered. */
  readonly status?: string;
  readonly services?: readonly string[];
}

/** A child step's execution: what the parent recorded of it. */
export interface ChildRecord {
  readonly id: string;
  readonly definition: { readonly name: string; readonly version: string };
  readonly startedAt: { readonly revision: number; readonly at: string };
  /** How it ended forward (ChildEnded), once it has. */
  readonly ended?: { readonly revision: number; readonly outcome: string; readonly error?: ErrorInfo };
  /** When the parent asked it to undo its steps, and how that ended. */
  readonly compensationRequested?: { readonly revision: number; readonly at: string };
  readonly compensationEnded?: { readonly revision: number; readonly outcome: string; readonly error?: ErrorInfo };
}

export interface StepRecord {
  readonly path: string;
  readonly kind: SagaStepKind;
  readonly status: string;
  /** The context the step started from, and the one it produced (absent until it finished). */
  readonly input: JsonObject;
  readonly output?: JsonObject;
  readonly branch?: number | 'else' | null;
  /** Parallel steps: how many branches started at once. */
  readonly branches?: number;
  readonly child?: ChildRecord;
  readonly request?: Message;
  /** How many times the same request was re-sent (no reply yet each time). */
  readonly resends?: number;
  readonly reply?: Message;
  readonly failure?: { readonly revision: number; readonly status: string; readonly error: ErrorInfo };
  readonly compensation?: {
    readonly request?: Message;
    readonly reply?: Message;
    readonly compensatedAt?: { readonly revision: number; readonly at: string };
    /** The context before the compensation ran, and after. */
    readonly contextBefore?: JsonObject;
    readonly context?: JsonObject;
    readonly failed?: { readonly revision: number; readonly error: ErrorInfo };
    /** Attempts that failed and were retried. */
    readonly attempts?: readonly { readonly revision: number; readonly attempt: number; readonly error: ErrorInfo }[];
    /** When an operator resumed it after it had failed. */
    readonly resumedAt?: { readonly revision: number; readonly at: string };
  };
}

export interface AuditTrail {
  readonly timeline: readonly TimelineEntry[];
  readonly steps: readonly StepRecord[];
}

const categoryOf: Record<string, EntryCategory> = {
  SagaStarted: 'start',
  StepFinished: 'step',
  BranchChosen: 'step',
  RequestSent: 'request',
  ReplyReceived: 'reply',
  StepFailed: 'failure',
  CompensationRequestSent: 'compensation',
  StepCompensated: 'compensation',
  CompensationFailed: 'failure',
  SagaCompleted: 'end',
  SagaFailed: 'end',
  VotesRequested: 'transaction',
  VoteReceived: 'transaction',
  TransactionCommitted: 'transaction',
  TransactionRejected: 'transaction',
  CommitFailed: 'failure',
  TimerScheduled: 'timer',
  TimerFired: 'timer',
  RequestResent: 'request',
  CompensationAttemptFailed: 'failure',
  CompensationResumed: 'compensation',
  CancelRequested: 'failure',
  CancelStarted: 'compensation',
  ParallelStarted: 'step',
  CompensationStarted: 'compensation',
  ChildStarted: 'step',
  ChildEnded: 'step',
  ChildCompensationRequested: 'compensation',
  CompensationRequested: 'compensation',
};

const replyStatus: Record<number, string> = { 200: 'SUCCESS', 400: 'ERROR', 500: 'SYSTEM_ERROR' };

/**
 * The context a step runs on: inside a branch of an open parallel step, that branch's own context
 * (branches run apart until they join), else the execution's.
 */
const contextAt = (execution: SagaExecution, path: string): JsonObject => {
  const open = execution.parallelSteps
    .filter((p) => path.startsWith(`${p.path}.`))
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (!open) return execution.context;
  const branch = Number(path.slice(open.path.length + 1).split('.')[0]);
  return open.branches[branch] ?? execution.context;
};

type Draft = { -readonly [K in keyof StepRecord]: StepRecord[K] };

export const auditTrail = (events: readonly RecordedSagaEvent[]): AuditTrail => {
  const timeline: TimelineEntry[] = [];
  const steps = new Map<string, Draft>();
  let before: SagaExecution = initialExecution();
  const stepOf = (path: string, kind: Draft['kind']): Draft => {
    let record = steps.get(path);
    if (!record) {
      record = { path, kind, status: '', input: contextAt(before, path) };
      steps.set(path, record);
    }
    return record;
  };
  for (const event of events) {
    const after = evolve(before, event);
    const { step, summary: engineSummary } = summarizeEvent(event);
    let summary = engineSummary;
    const at = event.recordedAt;
    let payload: JsonValue | undefined;
    switch (event.type) {
      case 'StepFinished': {
        const record = stepOf(event.data.path, event.data.kind);
        record.output = contextAt(after, event.data.path);
        break;
      }
      case 'StepFailed': {
        const record = stepOf(event.data.path, event.data.kind);
        record.failure = { revision: event.revision, status: event.data.status, error: event.data.error };
        // The engine's summary starts with the status name (`errored-on-error: …`); an auditor reads words.
        summary = `${stepStatusText(event.data.status, event.data.kind)}: ${event.data.error.name}: ${event.data.error.message}${event.data.compensate ? ' (to be undone)' : ''}`;
        break;
      }
      case 'BranchChosen':
        stepOf(event.data.path, 'conditional').branch = event.data.branch;
        break;
      case 'RequestSent': {
        const { path, target, requestId } = event.data;
        payload = event.data.payload;
        stepOf(path, 'remote').request = { revision: event.revision, at, target, requestId, payload };
        break;
      }
      case 'CompensationRequestSent': {
        const { path, target, requestId } = event.data;
        payload = event.data.payload;
        const record = stepOf(path, 'remote');
        record.compensation = { ...record.compensation, request: { revision: event.revision, at, target, requestId, payload } };
        break;
      }
      case 'ReplyReceived': {
        const { path, requestId, status, relatedServices } = event.data;
        payload = event.data.payload;
        const record = stepOf(path, 'remote');
        const message: Message = { revision: event.revision, at, requestId, payload, status: replyStatus[status] ?? String(status), services: relatedServices };
        // By requestId: with branches in flight there is more than one pending request.
        if (before.pendingRequests.find((p) => p.requestId === requestId)?.purpose === 'compensate') record.compensation = { ...record.compensation, reply: message };
        else record.reply = message;
        break;
      }
      case 'StepCompensated': {
        const record = stepOf(event.data.path, 'local');
        record.compensation = { ...record.compensation, compensatedAt: { revision: event.revision, at }, contextBefore: before.context, context: after.context };
        break;
      }
      case 'CompensationFailed': {
        const record = stepOf(event.data.path, 'local');
        record.compensation = { ...record.compensation, failed: { revision: event.revision, error: event.data.error } };
        break;
      }
      case 'RequestResent': {
        const record = stepOf(event.data.path, 'remote');
        record.resends = (record.resends ?? 0) + 1;
        break;
      }
      case 'CompensationAttemptFailed': {
        const { path, attempt, error } = event.data;
        const record = stepOf(path, 'remote');
        record.compensation = { ...record.compensation, attempts: [...(record.compensation?.attempts ?? []), { revision: event.revision, attempt, error }] };
        break;
      }
      case 'CompensationResumed': {
        const record = stepOf(event.data.path, 'local');
        // The failure stays in the record: that it failed, and that someone resumed it, are both facts.
        record.compensation = { ...record.compensation, resumedAt: { revision: event.revision, at } };
        break;
      }
      case 'ParallelStarted':
        stepOf(event.data.path, 'parallel').branches = event.data.branches;
        break;
      case 'ChildStarted': {
        const { path, childId, definition } = event.data;
        stepOf(path, 'child').child = { id: childId, definition: { name: definition.name, version: definition.version }, startedAt: { revision: event.revision, at } };
        break;
      }
      case 'ChildEnded': {
        const record = stepOf(event.data.path, 'child');
        const child = record.child ?? { id: event.data.childId, definition: { name: '?', version: '?' }, startedAt: { revision: event.revision, at } };
        const ended = { revision: event.revision, outcome: event.data.outcome, ...(event.data.error ? { error: event.data.error } : {}) };
        // A second end follows a compensation request: it says how the child's undo went.
        record.child = child.compensationRequested ? { ...child, compensationEnded: ended } : { ...child, ended };
        break;
      }
      case 'ChildCompensationRequested': {
        const record = stepOf(event.data.path, 'child');
        if (record.child) record.child = { ...record.child, compensationRequested: { revision: event.revision, at } };
        break;
      }
      default:
        break;
    }
    timeline.push({
      revision: event.revision,
      recordedAt: at,
      type: event.type,
      ...(step !== undefined ? { step } : {}),
      summary,
      category: categoryOf[event.type] ?? 'step',
      diff: diffExecutions(before, after),
      ...(payload !== undefined ? { payload } : {}),
    });
    before = after;
  }
  const statuses = new Map(before.steps.map((s) => [s.path, s]));
  return {
    timeline,
    steps: [...steps.values()].map((record) => {
      const folded = statuses.get(record.path);
      return { ...record, kind: folded?.kind ?? record.kind, status: folded?.status ?? record.status };
    }),
  };
};
