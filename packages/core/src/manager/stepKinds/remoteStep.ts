/**
 * A remote step: a request to a participant, whose reply (or its absence) decides the step. Undone
 * by a compensation request, retried on durable timers until the compensation policy is spent.
 */
import { SagaRequest, SagaResponse, SagaResponseStatus, retryDelayMs, stepAtPath, type RemoteSagaStep, type Saga, type SagaContext } from '@saga/definitions';
import { contextAt, sagaEvent, type ActiveTimer, type ErrorInfo, type PendingRequest, type SagaExecution } from '@saga/execution';
import type { ReplyEnvelope } from '../../wire/sagaMessages.js';
import { attempt, contextOutcome } from '../callUserCode.js';
import type { DecisionBuilder } from '../decisionBuilder.js';
import { failureOf } from '../replyFailure.js';
import { requestMessage } from '../requestMessage.js';
import { contextOf } from '../stepContext.js';
import type { StepKind } from './stepKind.js';

export interface RemoteStepKind extends StepKind<RemoteSagaStep> {
  /** A reply to one of the execution's pending requests; the reason when it matches none. */
  readonly applyReply: (d: DecisionBuilder, definition: Saga, reply: ReplyEnvelope, autocommit: boolean | undefined) => Promise<string | undefined>;
  /** The reply timer of a pending request fired first. */
  readonly replyTimedOut: (d: DecisionBuilder, pending: PendingRequest, timer: ActiveTimer) => void;
  /** The re-send timer of a pending request fired: the same request goes out again, same id. */
  readonly resend: (d: DecisionBuilder, definition: Saga, pending: PendingRequest) => void;
}

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

const timeoutError = (what: string, dueAt: string): ErrorInfo => ({ name: 'ReplyTimeoutError', message: `${what} had no reply by ${dueAt}.` });

export const remoteStep: RemoteStepKind = {
  kind: 'remote',
  start: (step, path) => ({ type: 'sendRequest', path, step }),
  // While its request is out the step is paused, which the forward walk awaits for every kind.
  running: () => undefined,
  compensate: (step, path) => (step.failure ? { type: 'compensateRemote', path, step } : undefined),
  perform: {
    sendRequest: {
      observe: { compensating: false },
      run: async (d, { path, step }) => {
        const request = await buildRequest((ctx) => step.execute?.(ctx), d.execution, path);
        if (!request.ok) {
          d.record(sagaEvent('StepFailed', { path, kind: 'remote', status: 'errored-on-execute', error: request.error, compensate: false }));
          return true;
        }
        sendRequest(d, path, request.value, 'execute', step);
        // Other branches of a parallel step may have work too: `nextAction` says when all wait.
        return true;
      },
    },
    compensateRemote: {
      observe: { compensating: true },
      run: async (d, { path, step }) => {
        const request = await buildRequest((ctx) => step.failure?.(ctx), d.execution, path);
        if (!request.ok) {
          d.record(sagaEvent('CompensationFailed', { path, error: request.error }));
          return false;
        }
        sendRequest(d, path, request.value, 'compensate', step);
        return true;
      },
    },
  },

  applyReply: async (d, definition, reply, autocommit) => {
    const execution = d.execution;
    const pending = execution.pendingRequests.find((p) => p.requestId === reply.requestId);
    if (!pending) {
      return `reply ${reply.requestId} matches no pending request of execution ${execution.id} (duplicate, late or foreign)`;
    }
    const response = new SagaResponse({ ...reply });
    const sentAt = Date.parse(pending.sentAt);
    if (!Number.isNaN(sentAt)) d.replyLatencies.push({ target: pending.target, ms: d.options.now().getTime() - sentAt });
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
  },

  replyTimedOut: (d, pending, timer) => {
    const what = `Request ${pending.requestId} (${pending.target}) of step ${pending.path}`;
    // Often nothing consumes the target: say so where an operator looks, not only in the stream.
    d.warnings.push(`${what} of execution ${d.execution.id} had no reply by ${timer.dueAt}: is a participant handling '${pending.target}'?`);
    if (pending.purpose === 'execute') {
      // The request may have been applied: the in-flight step is compensated too.
      d.record(sagaEvent('StepFailed', { path: pending.path, kind: 'remote', status: 'timed-out', error: timeoutError(what, timer.dueAt), compensate: true, requestId: pending.requestId }));
    } else {
      compensationAttemptFailed(d, pending.path, timeoutError(what, timer.dueAt));
    }
  },

  resend: (d, definition, pending) => {
    const step = stepAtPath(definition, pending.path) as RemoteSagaStep | undefined;
    const attemptNumber = pending.attempt + 1;
    d.record(sagaEvent('RequestResent', { path: pending.path, requestId: pending.requestId, attempt: attemptNumber }));
    d.send(pending.target, requestMessage(d.execution, pending.requestId, pending, pending.purpose));
    if (step && attemptNumber < step.retryPolicy.attempts) {
      d.schedule('resend', retryDelayMs(step.retryPolicy, attemptNumber, d.options.random), { requestId: pending.requestId, path: pending.path });
    }
  },
};
