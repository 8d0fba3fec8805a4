import {
  EmptySagaStepError,
  MultipleOnExecuteError,
  MultipleOnFailureError,
  UndefinedOnExecuteError,
} from '../errors/definitionErrors.js';
import type { LocalStepShape } from '../sagaShape.js';
import { noRetry, resolveRetryPolicy, type ResolvedRetryPolicy, type RetryPolicy } from '../retryPolicy.js';
import type { LocalCallback } from './callbacks.js';
import { SagaStep } from './sagaStep.js';

/** A step run in-process: `onExecute` changes the context, `onFailure` undoes it on rollback. */
export class LocalSagaStep extends SagaStep {
  readonly kind = 'local';
  #execute: LocalCallback | undefined;
  #failure: LocalCallback | undefined;
  #retry: ResolvedRetryPolicy = noRetry;
  #durable: boolean | undefined;

  onExecute(callback: LocalCallback): this {
    this.checkHook('onExecute', callback, this.#execute !== undefined, MultipleOnExecuteError);
    this.#execute = callback;
    return this;
  }

  onFailure(callback: LocalCallback): this {
    this.checkHook('onFailure', callback, this.#failure !== undefined, MultipleOnFailureError);
    this.#failure = callback;
    return this;
  }

  /** Calls `onExecute` again, with backoff, when it throws; `attempts` counts the first call. */
  retry(policy: RetryPolicy): this {
    this.assertEditable('retry');
    this.#retry = resolveRetryPolicy(policy, `${this.location}: retry()`);
    return this;
  }

  /**
   * Records this step's result before the next step runs (and the execution's start before this
   * step runs), so that after a crash the execution goes on after it instead of running it again.
   * One append per durable step. Default: the definition's `durableLocalSteps` option.
   */
  durable(on = true): this {
    this.assertEditable('durable');
    this.#durable = on;
    return this;
  }

  /** This step's own durability setting; `undefined`: the definition's `durableLocalSteps` decides. */
  get durability(): boolean | undefined {
    return this.#durable;
  }

  get retryPolicy(): ResolvedRetryPolicy {
    return this.#retry;
  }

  get execute(): LocalCallback | undefined {
    return this.#execute;
  }

  get failure(): LocalCallback | undefined {
    return this.#failure;
  }

  validate(): void {
    if (!this.#execute && !this.#failure) {
      throw new EmptySagaStepError(
        `${this.location}: a step must define at least one action; ` +
          'call onExecute(ctx => ctx.with({ ... })) on it, or remove the step.',
      );
    }
    if (!this.#execute) {
      throw new UndefinedOnExecuteError(
        `${this.location}: a local step must define onExecute(ctx => ctx.with({ ... })) ` +
          'before chaining the next step or committing; onFailure only undoes what onExecute did.',
      );
    }
  }

  describe(): LocalStepShape {
    const hooks: LocalStepShape['hooks'][number][] = [];
    if (this.#execute) hooks.push('onExecute');
    if (this.#failure) hooks.push('onFailure');
    return { kind: this.kind, hooks };
  }
}
