import type { BranchKey, JsonObject, JsonValue, SagaStepKind } from '@saga/definitions';
import type { ErrorInfo } from './sagaEvents.js';
import type { SagaStatus, StepStatus } from './sagaStatus.js';

export interface StepExecution {
  /** Where the step is: "1", or "2.0.1" inside branch 0 of the conditional step 2 (see `stepPath`). */
  readonly path: string;
  readonly kind: SagaStepKind;
  readonly status: StepStatus;
  /** Conditional steps: the branch taken (`null`: no alternative applied). */
  readonly branch?: BranchKey | null;
  /** Remote steps: the id of the last request sent for this step. */
  readonly requestId?: string;
  /** Child steps: the child execution's id. */
  readonly childId?: string;
  readonly error?: ErrorInfo;
}

export interface PendingRequest {
  readonly path: string;
  readonly requestId: string;
  readonly target: string;
  readonly payload: JsonValue;
  /** `execute`: the step's request; `compensate`: its onFailure request. */
  readonly purpose: 'execute' | 'compensate';
  readonly sentAt: string;
  /** 1 for the first send; +1 for each re-send with the same id. */
  readonly attempt: number;
}

export type TimerPurpose = 'reply' | 'resend' | 'votes' | 'deadline' | 'retry';

/** A timer that is scheduled, not fired, and still relevant to the execution's state. */
export interface ActiveTimer {
  readonly timerId: string;
  readonly purpose: TimerPurpose;
  readonly dueAt: string;
  readonly requestId?: string;
  readonly path?: string;
}

export type TransactionStatus = 'none' | 'pending' | 'reserving' | 'committed' | 'rejected';

export interface ParticipantVote {
  readonly service: string;
  readonly requestId: string;
  /** Absent until the participant answered. */
  readonly vote?: boolean;
  readonly reason?: string;
}

export interface TransactionState {
  /**
   * `none`: no participant to commit; `pending`: finished (or failed) and not yet committed or
   * rejected; `reserving`: votes asked; `committed` / `rejected`: decided.
   */
  readonly status: TransactionStatus;
  /** Services that answered this execution's requests, in the order they first answered. */
  readonly participants: readonly string[];
  readonly votes: readonly ParticipantVote[];
  /** The commit/reject commands of a decided transaction were published (`TransactionNotified`). */
  readonly notified: boolean;
}

export interface CompensationState {
  /** Paths to undo, in the order they are undone (reverse completion order). */
  readonly plan: readonly string[];
  readonly done: readonly string[];
  /** Set when a compensation could not be done: the execution waits for an operator. */
  readonly failed?: { readonly path: string; readonly error: ErrorInfo };
  /** Failed attempts of the compensation under way, by path. */
  readonly attempts: Readonly<Record<string, number>>;
}

/** An execution as its events say it is: plain, immutable data. */
export interface SagaExecution {
  readonly id: string;
  readonly definition: { readonly name: string; readonly version: string; readonly fingerprint: string };
  readonly status: SagaStatus;
  readonly context: JsonObject;
  readonly user?: string;
  /** The service whose manager started it; replies go to `<service>.reply`. */
  readonly service: string;
  readonly autocommit: boolean;
  /** Steps in the order they were first recorded. */
  readonly steps: readonly StepExecution[];
  /** The request awaited, when exactly one is (see `pendingRequests` for all of them). */
  readonly pendingRequest?: PendingRequest;
  /** Every request awaiting its reply: one per running branch of a parallel step, else at most one. */
  readonly pendingRequests: readonly PendingRequest[];
  /** Child executions the execution waits on (a child step running, or compensating). */
  readonly pendingChildren: readonly PendingChild[];
  /** Set on a child execution: the parent and the step that started it. */
  readonly parent?: { readonly executionId: string; readonly path: string };
  /** Parallel steps started and not yet joined, with the context each branch runs on. */
  readonly parallelSteps: readonly OpenParallelStep[];
  /**
   * Steps that finished forward, or failed after their participant may have applied them, in the
   * order that happened (conditional and parallel steps themselves excluded): compensation undoes
   * them in reverse.
   */
  readonly completedSteps: readonly string[];
  /** The error that made the execution fail (first one wins). */
  readonly error?: ErrorInfo;
  /** `forward` → (`compensating` →) `ended`. */
  readonly phase: 'forward' | 'compensating' | 'ended';
  readonly compensation: CompensationState;
  readonly transaction: TransactionState;
  /** Timers the execution is waiting on (a reply's timeout, a re-send, the deadline…). */
  readonly timers: readonly ActiveTimer[];
  /** Revision of the last event folded; -1 before any event. */
  readonly revision: number;
  readonly startedAt?: string;
  readonly updatedAt?: string;
  /** Set when this execution was made by `fork` from another one's history. */
  readonly forkedFrom?: { readonly executionId: string; readonly revision: number; readonly by?: string };
  /** The business key it was started with (`run({ key })`); its id derives from it. */
  readonly key?: string;
  /** Set once a cancel was requested: no new step starts, and it ends errored with `SagaCancelledError`. */
  readonly cancellation?: Cancellation;
}

export interface PendingChild {
  readonly path: string;
  readonly childId: string;
  /** `execute`: the child runs forward; `compensate`: it was asked to undo its steps. */
  readonly purpose: 'execute' | 'compensate';
  /** What the child was started with (recovery starts it again if a crash came first). */
  readonly definition: { readonly name: string; readonly version: string; readonly fingerprint: string };
  readonly context: JsonObject;
}

export interface OpenParallelStep {
  readonly path: string;
  /** The context the parallel step started with. */
  readonly start: JsonObject;
  /** Each branch's context, in branch order. */
  readonly branches: readonly JsonObject[];
}

export interface Cancellation {
  readonly reason: string;
  /** Who asked for it, when the caller said. */
  readonly by?: string;
  readonly requestedAt?: string;
}
