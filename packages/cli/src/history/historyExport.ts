/**
 * `saga-history/1`: the stable JSON shape of an exported history (`saga history --json`, and the
 * data embedded in `saga report`). Every key is always present (absent values are `null`), so a
 * consumer written today keeps working; a change that breaks this shape gets a new format name.
 * Keys are only ever added (parallel steps and child sagas added `pendingRequests`,
 * `pendingChildren`, `parent` and each step's `childId`).
 */
import { createHash } from 'node:crypto';
import type { ErrorInfo, JsonObject, JsonValue, PendingRequest, RecordedSagaEvent, SagaExecution, SagaStepKind } from '@saga/core';
import { terminalText } from '../format/terminalText.js';

export const historyFormat = 'saga-history/1';

export interface ExportedStep {
  readonly path: string;
  readonly kind: SagaStepKind;
  readonly status: string;
  /** Conditional steps: the alternative's index, `"else"`, or null (none applied / not a conditional). */
  readonly branch: number | 'else' | null;
  readonly requestId: string | null;
  /** Child steps: the child execution's id. */
  readonly childId: string | null;
  readonly error: ErrorInfo | null;
}

interface ExportedPendingRequest {
  readonly path: string;
  readonly requestId: string;
  readonly target: string;
  readonly payload: JsonValue;
  readonly purpose: 'execute' | 'compensate';
  readonly sentAt: string;
  /** 1 for the first send, +1 per re-send of the same request. */
  readonly attempt: number;
}

export interface ExportedExecution {
  readonly id: string;
  readonly stream: string;
  readonly definition: { readonly name: string; readonly version: string; readonly fingerprint: string };
  readonly status: string;
  readonly user: string | null;
  readonly service: string;
  readonly startedAt: string | null;
  readonly updatedAt: string | null;
  /** The revision of the last event. */
  readonly revision: number;
  readonly context: JsonObject;
  readonly error: ErrorInfo | null;
  readonly steps: readonly ExportedStep[];
  /** The request awaited when exactly one is (null with none, or with several: see `pendingRequests`). */
  readonly pendingRequest: ExportedPendingRequest | null;
  /** Every request awaited (a parallel step awaits one per branch). */
  readonly pendingRequests: readonly ExportedPendingRequest[];
  /** Child executions the execution waits for. */
  readonly pendingChildren: readonly { readonly path: string; readonly childId: string; readonly purpose: 'execute' | 'compensate'; readonly definition: { readonly name: string; readonly version: string } }[];
  /** On a child execution: the parent and the step that runs it. */
  readonly parent: { readonly executionId: string; readonly path: string } | null;
  readonly compensation: {
    readonly plan: readonly string[];
    readonly done: readonly string[];
    readonly failed: { readonly path: string; readonly error: ErrorInfo } | null;
    /** Failed attempts of the compensation under way, by step path. */
    readonly attempts: Readonly<Record<string, number>>;
  };
  /** Durable timers still relevant (a reply's timeout, a re-send, the deadline…). */
  readonly timers: readonly { readonly timerId: string; readonly purpose: string; readonly dueAt: string; readonly requestId: string | null; readonly path: string | null }[];
  readonly transaction: {
    readonly status: string;
    readonly participants: readonly string[];
    readonly votes: readonly { readonly service: string; readonly requestId: string; readonly vote: boolean | null; readonly reason: string | null }[];
  };
}

export interface ExportedEvent {
  readonly revision: number;
  readonly type: string;
  readonly recordedAt: string;
  readonly data: JsonObject;
}

export interface HistoryExport {
  readonly format: typeof historyFormat;
  readonly execution: ExportedExecution;
  readonly events: readonly ExportedEvent[];
}

const exportPending = (p: PendingRequest): ExportedPendingRequest => ({
  path: p.path,
  requestId: p.requestId,
  target: p.target,
  payload: p.payload,
  purpose: p.purpose,
  sentAt: p.sentAt,
  attempt: p.attempt,
});

const exportExecution = (execution: SagaExecution, stream: string): ExportedExecution => ({
  id: execution.id,
  stream,
  definition: { name: execution.definition.name, version: execution.definition.version, fingerprint: execution.definition.fingerprint },
  status: execution.status,
  user: execution.user ?? null,
  service: execution.service,
  startedAt: execution.startedAt ?? null,
  updatedAt: execution.updatedAt ?? null,
  revision: execution.revision,
  context: execution.context,
  error: execution.error ?? null,
  steps: execution.steps.map((step) => ({
    path: step.path,
    kind: step.kind,
    status: step.status,
    branch: step.branch ?? null,
    requestId: step.requestId ?? null,
    childId: step.childId ?? null,
    error: step.error ?? null,
  })),
  pendingRequest: execution.pendingRequest ? exportPending(execution.pendingRequest) : null,
  pendingRequests: execution.pendingRequests.map(exportPending),
  pendingChildren: execution.pendingChildren.map((c) => ({ path: c.path, childId: c.childId, purpose: c.purpose, definition: { name: c.definition.name, version: c.definition.version } })),
  parent: execution.parent ? { executionId: execution.parent.executionId, path: execution.parent.path } : null,
  compensation: {
    plan: execution.compensation.plan,
    done: execution.compensation.done,
    failed: execution.compensation.failed ?? null,
    attempts: execution.compensation.attempts,
  },
  timers: execution.timers.map((t) => ({ timerId: t.timerId, purpose: t.purpose, dueAt: t.dueAt, requestId: t.requestId ?? null, path: t.path ?? null })),
  transaction: {
    status: execution.transaction.status,
    participants: execution.transaction.participants,
    votes: execution.transaction.votes.map((v) => ({ service: v.service, requestId: v.requestId, vote: v.vote ?? null, reason: v.reason ?? null })),
  },
});

export const exportHistory = (execution: SagaExecution, events: readonly RecordedSagaEvent[], stream: string): HistoryExport => ({
  format: historyFormat,
  execution: exportExecution(execution, stream),
  events: events.map((event) => ({ revision: event.revision, type: event.type, recordedAt: event.recordedAt, data: event.data as JsonObject })),
});

/**
 * Exactly what `saga history --json` prints, so its digest can be recomputed from the command's
 * output. JSON.stringify leaves DEL and C1 controls raw; they are escaped here as the terminal
 * output escapes them (`terminalText`), the same JSON value either way.
 */
export const historyJson = (history: HistoryExport): string => `${terminalText(JSON.stringify(history, null, 2), false)}\n`;

/** The SHA-256 of `historyJson`: `saga history <id> --json | sha256sum` gives the same value. */
export const historyDigest = (history: HistoryExport): string => createHash('sha256').update(historyJson(history)).digest('hex');
