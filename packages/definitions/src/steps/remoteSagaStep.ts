import {
  EmptySagaStepError,
  MultipleOnErrorError,
  MultipleOnExecuteError,
  MultipleOnFailureError,
  MultipleOnSuccessError,
  UndefinedOnExecuteError,
} from '../errors/definitionErrors.js';
import type { RemoteStepShape, StepHook } from '../sagaShape.js';
import { checkDuration, noRetry, resolveRetryPolicy, type ResolvedRetryPolicy, type RetryPolicy } from '../retryPolicy.js';
import type { RequestBuilder, ResponseCallback } from './callbacks.js';
import { SagaStep } from './sagaStep.js';

/**
 * A step that sends a command to another service and waits for its reply: `onExecute` builds
 * the request, `onSuccess`/`onError` turn the reply into a context, `onFailure` builds the
 * compensating request.
 */
export class RemoteSagaStep extends SagaStep {
  readonly kind = 'remote';
  #execute: RequestBuilder | undefined;
  #success: ResponseCallback | undefined;
  #error: ResponseCallback | undefined;
  #failure: RequestBuilder | undefined;
  #timeoutMs: number | undefined;
  #retry: ResolvedRetryPolicy = noRetry;

  onExecute(callback: RequestBuilder): this {
    this.checkHook('onExecute', callback, this.#execute !== undefined, MultipleOnExecuteError);
    this.#execute = callback;
    return this;
  }

  onSuccess(callback: ResponseCallback): this {
    this.checkHook('onSuccess', callback, this.#success !== undefined, MultipleOnSuccessError);
    this.#success = callback;
    return this;
  }

  onError(callback: ResponseCallback): this {
    this.checkHook('onError', callback, this.#error !== undefined, MultipleOnErrorError);
    this.#error = callback;
    return this;
  }

  onFailure(callback: RequestBuilder): this {
    this.checkHook('onFailure', callback, this.#failure !== undefined, MultipleOnFailureError);
    this.#failure = callback;
    return this;
  }

  /**
   * How long to wait for the reply before compensating (this step included: its request may have
   * been applied). Default: the manager's `replyTimeoutMs`. The timer is recorded in the stream, so
   * it survives restarts.
   */
  timeout(ms: number): this {
    this.assertEditable('timeout');
    this.#timeoutMs = checkDuration(ms, `${this.location}: timeout()`);
    return this;
  }

  /**
   * Re-sends the request, with the same requestId (participants de-duplicate it), when no reply came
   * within the backoff delay; `attempts` counts the first send. The timeout still bounds the wait.
   */
  retry(policy: RetryPolicy): this {
    this.assertEditable('retry');
    this.#retry = resolveRetryPolicy(policy, `${this.location}: retry()`);
    return this;
  }

  get timeoutMs(): number | undefined {
    return this.#timeoutMs;
  }

  get retryPolicy(): ResolvedRetryPolicy {
    return this.#retry;
  }

  get execute(): RequestBuilder | undefined {
    return this.#execute;
  }

  get success(): ResponseCallback | undefined {
    return this.#success;
  }

  get error(): ResponseCallback | undefined {
    return this.#error;
  }

  get failure(): RequestBuilder | undefined {
    return this.#failure;
  }

  validate(): void {
    if (!this.#execute && !this.#success && !this.#error && !this.#failure) {
      throw new EmptySagaStepError(
        `${this.location}: a step must define at least one action; ` +
          'call onExecute(ctx => new SagaRequest(target, payload)) on it, or remove the step.',
      );
    }
    if (!this.#execute) {
      throw new UndefinedOnExecuteError(
        `${this.location}: a remote step must define onExecute(ctx => new SagaRequest(target, payload)) ` +
          'before chaining the next step or committing.',
      );
    }
  }

  describe(): RemoteStepShape {
    const hooks: StepHook[] = [];
    if (this.#execute) hooks.push('onExecute');
    if (this.#success) hooks.push('onSuccess');
    if (this.#error) hooks.push('onError');
    if (this.#failure) hooks.push('onFailure');
    return { kind: this.kind, hooks };
  }
}
