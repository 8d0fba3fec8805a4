/**
 * The event catalogue: every decision the engine makes about an execution is one of these, appended
 * to the execution's stream. What user code returned is recorded in the events, so folding them
 * never calls user code.
 */
import * as t from 'io-ts';
import type { JsonObject, JsonValue } from '@saga/definitions';
import { stepFailureStatuses } from './sagaStatus.js';

// Stored data went through JSON, so any value here is JSON: the codecs check shapes, not JSON-ness.
const JsonObjectC = t.UnknownRecord as unknown as t.Type<JsonObject, JsonObject, unknown>;
const JsonC = t.unknown as t.Type<JsonValue, JsonValue, unknown>;

const ErrorInfoC = t.type({ name: t.string, message: t.string });
export type ErrorInfo = t.TypeOf<typeof ErrorInfoC>;

const StepKindC = t.keyof({ local: null, remote: null, conditional: null, parallel: null, child: null });
const ReplyStatusC = t.union([t.literal(200), t.literal(400), t.literal(500)]);
const BranchC = t.union([t.number, t.literal('else'), t.null]);
const FailureStatusC = t.union(
  stepFailureStatuses.map((s) => t.literal(s)) as unknown as [t.LiteralC<(typeof stepFailureStatuses)[number]>, t.LiteralC<(typeof stepFailureStatuses)[number]>],
);
const RequestC = t.type({ path: t.string, requestId: t.string, target: t.string, payload: JsonC });

export const sagaEventCodecs = {
  /** First event of every stream: which definition (pinned by version and fingerprint), with what. */
  SagaStarted: t.intersection([
    t.type({
      executionId: t.string,
      definition: t.type({ name: t.string, version: t.string, fingerprint: t.string }),
      context: JsonObjectC,
      user: t.union([t.string, t.null]),
      autocommit: t.boolean,
      service: t.string,
    }),
    t.partial({
      /** Set on an execution made by `fork`: the history it copied, up to which revision. */
      forkedFrom: t.intersection([t.type({ executionId: t.string, revision: t.number }), t.partial({ by: t.string })]),
      /** The business key of an idempotent start (`run({ key })`): the execution id derives from it. */
      key: t.string,
      /** Set on a child execution: the parent execution and its step that started it. */
      parent: t.type({ executionId: t.string, path: t.string }),
    }),
  ]),
  /** A step completed forward; `context` is what its callback produced (absent: unchanged). */
  StepFinished: t.intersection([t.type({ path: t.string, kind: StepKindC }), t.partial({ context: JsonObjectC })]),
  /** A step failed; compensation starts. `compensate`: whether this step itself must be undone too. */
  StepFailed: t.intersection([
    t.type({ path: t.string, kind: StepKindC, status: FailureStatusC, error: ErrorInfoC, compensate: t.boolean }),
    t.partial({ requestId: t.string }),
  ]),
  /** A remote step's request, as built by its onExecute; published only after this is stored. */
  RequestSent: RequestC,
  /**
   * A reply matched to the pending request of `path` (forward or compensation). `autocommit`: the
   * caller continued with `run({ response, autocommit })` and changed it; it holds from here on.
   */
  ReplyReceived: t.intersection([
    t.type({
      path: t.string,
      requestId: t.string,
      status: ReplyStatusC,
      payload: JsonC,
      relatedServices: t.array(t.string),
    }),
    t.partial({ autocommit: t.boolean }),
  ]),
  /** A conditional step's choice: an alternative's index, 'else', or null when none applied. */
  BranchChosen: t.type({ path: t.string, branch: BranchC }),
  /** Every step finished forward. */
  SagaCompleted: t.type({ context: JsonObjectC }),
  /** A remote step's compensation request (its onFailure), published after this is stored. */
  CompensationRequestSent: RequestC,
  StepCompensated: t.intersection([t.type({ path: t.string }), t.partial({ context: JsonObjectC, requestId: t.string })]),
  /** A compensation that could not be done: the execution stops here, visibly, for an operator. */
  CompensationFailed: t.type({ path: t.string, error: ErrorInfoC }),
  /** Compensation is complete; the execution ends errored with the error that started it. */
  SagaFailed: t.type({ error: ErrorInfoC }),
  /** Two-phase commit, phase one: each participant that answered is asked to reserve. */
  VotesRequested: t.type({ votes: t.array(t.type({ service: t.string, requestId: t.string })) }),
  VoteReceived: t.intersection([
    t.type({ service: t.string, requestId: t.string, vote: t.boolean }),
    t.partial({ reason: t.string }),
  ]),
  TransactionCommitted: t.type({ services: t.array(t.string) }),
  TransactionRejected: t.type({ services: t.array(t.string), reason: t.string }),
  /** A participant voted no (or did not vote): the finished execution is compensated. */
  CommitFailed: t.type({ error: ErrorInfoC }),
  /**
   * A durable timer: it survives restarts because it is in the stream, and firing it appends with
   * the expected revision, so it cleanly loses a race with the reply it was waiting for.
   * `reply`: the pending request's timeout; `resend`: re-send the pending request (same id);
   * `votes`: the commit votes' timeout; `deadline`: the saga's deadline; `retry`: the next attempt
   * of a failed remote compensation.
   */
  TimerScheduled: t.intersection([
    t.type({ timerId: t.string, purpose: t.keyof({ reply: null, resend: null, votes: null, deadline: null, retry: null }), dueAt: t.string }),
    t.partial({ requestId: t.string, path: t.string }),
  ]),
  TimerFired: t.type({ timerId: t.string }),
  /** The pending request was published again with the same id (no reply yet). */
  RequestResent: t.type({ path: t.string, requestId: t.string, attempt: t.number }),
  /** A remote compensation failed; it will be tried again (a `retry` timer says when). */
  CompensationAttemptFailed: t.type({ path: t.string, error: ErrorInfoC, attempt: t.number }),
  /**
   * The commit or reject commands of the decided transaction were published. Until this is
   * stored, recovery sends them again (participants apply each at most once per saga).
   */
  TransactionNotified: t.type({ services: t.array(t.string) }),
  /** An operator resumed a compensation that had failed (`manager.resume`); `by`: who, when known. */
  CompensationResumed: t.intersection([t.type({ path: t.string }), t.partial({ by: t.string })]),
  /**
   * Someone asked to cancel the execution (`manager.cancel`, `saga cancel`): it starts no new step;
   * a request in flight is awaited (reply or timeout). `by`: who asked, when known.
   */
  CancelRequested: t.type({ reason: t.string, by: t.union([t.string, t.null]) }),
  /** The cancel took effect at a decision point with nothing in flight: the finished steps are compensated. */
  CancelStarted: t.type({}),
  /** A parallel step started its `branches` (each on a copy of the context); its steps' paths are `<path>.<branch>.<step>`. */
  ParallelStarted: t.type({ path: t.string, branches: t.number }),
  /**
   * A step failed while other branches had requests in flight; those are now answered (or timed
   * out): compensation of everything that finished starts.
   */
  CompensationStarted: t.type({}),
  /**
   * A child step started its saga as an execution of its own (`childId`, pinned `definition`, with
   * the initial `context`): its stream is created after this is stored, and again by recovery if
   * a crash came between.
   */
  ChildStarted: t.type({
    path: t.string,
    childId: t.string,
    definition: t.type({ name: t.string, version: t.string, fingerprint: t.string }),
    context: JsonObjectC,
  }),
  /**
   * The child execution of step `path` ended: `finished` or `errored` (forward; then the step's
   * StepFinished or StepFailed), `compensated` or `compensation-failed` (after the parent asked it
   * to compensate; then StepCompensated or CompensationFailed).
   */
  ChildEnded: t.intersection([
    t.type({ path: t.string, childId: t.string, outcome: t.keyof({ finished: null, errored: null, compensated: null, 'compensation-failed': null }) }),
    t.partial({ context: JsonObjectC, error: ErrorInfoC }),
  ]),
  /** The parent compensates step `path`: its finished child is asked to compensate its own steps. */
  ChildCompensationRequested: t.type({ path: t.string, childId: t.string }),
  /** In a child's stream: its parent is compensating the step that ran it, so the child undoes its steps. */
  CompensationRequested: t.type({ parentId: t.string }),
} as const;

export type SagaEventType = keyof typeof sagaEventCodecs;
export type SagaEventData = { [K in SagaEventType]: t.TypeOf<(typeof sagaEventCodecs)[K]> };
export type SagaEventOf<K extends SagaEventType> = { readonly type: K; readonly data: SagaEventData[K] };
/** Any event of the catalogue, discriminated by `type`. */
export type SagaEvent = { [K in SagaEventType]: SagaEventOf<K> }[SagaEventType];

/** Builds a typed event; the compiler checks `data` against the catalogue. */
export const sagaEvent = <K extends SagaEventType>(type: K, data: SagaEventData[K]): SagaEventOf<K> => ({ type, data });

export const isSagaEventType = (type: string): type is SagaEventType => Object.hasOwn(sagaEventCodecs, type);

/** Every event type of the catalogue, in catalogue order (the codecs themselves stay inside this package). */
export const sagaEventTypes: readonly SagaEventType[] = Object.freeze(Object.keys(sagaEventCodecs) as SagaEventType[]);
