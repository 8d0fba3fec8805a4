import { MultipleOnExecuteError, MultipleOnSuccessError, locateDefinitionError } from '../errors/definitionErrors.js';
import type { JsonObject, MaybePromise } from '../json.js';
import type { Saga } from '../saga.js';
import type { ChildStepShape } from '../sagaShape.js';
import type { SagaContext } from '../sagaContext.js';
import { showValue } from '../showValue.js';
import type { ContextResult } from './callbacks.js';
import { looksLikeSaga } from './isSaga.js';
import { SagaStep } from './sagaStep.js';

/** The child execution a `childStep`'s `onSuccess` is given: its id and the context it ended with. */
export interface ChildOutcome {
  readonly id: string;
  readonly context: SagaContext;
}

/** Builds the child's initial context from the parent's (default: the parent's context as it is). */
export type ChildContextBuilder = (context: SagaContext) => MaybePromise<SagaContext | JsonObject>;

export type ChildSuccessCallback = (context: SagaContext, child: ChildOutcome) => MaybePromise<ContextResult>;

/**
 * A step that runs a committed saga as an execution of its own (its own stream and history). The
 * step waits for the child's end: finished, it goes on (`onSuccess`); errored (the child compensated
 * itself), the step fails. Compensating the step compensates the child's steps, in the child's stream.
 */
export class ChildSagaStep extends SagaStep {
  readonly kind = 'child';
  #child: Saga | undefined;
  #execute: ChildContextBuilder | undefined;
  #success: ChildSuccessCallback | undefined;

  /** Package-internal: `saga.childStep(child)` sets the child once. */
  setChild(saga: Saga): this {
    this.assertEditable('childStep');
    if (!looksLikeSaga(saga)) throw new TypeError(`${this.location}: childStep() needs a Saga, but got ${showValue(saga)}.`);
    this.#child = saga;
    return this;
  }

  /** The child's initial context, built from the parent's. Default: the parent's context. */
  onExecute(callback: ChildContextBuilder): this {
    this.checkHook('onExecute', callback, this.#execute !== undefined, MultipleOnExecuteError);
    this.#execute = callback;
    return this;
  }

  /** What the parent's context becomes once the child finished. Default: unchanged. */
  onSuccess(callback: ChildSuccessCallback): this {
    this.checkHook('onSuccess', callback, this.#success !== undefined, MultipleOnSuccessError);
    this.#success = callback;
    return this;
  }

  get child(): Saga | undefined {
    return this.#child;
  }

  get execute(): ChildContextBuilder | undefined {
    return this.#execute;
  }

  get success(): ChildSuccessCallback | undefined {
    return this.#success;
  }

  validate(): void {
    if (!this.#child) throw new TypeError(`${this.location}: a child step needs the saga it runs: saga.childStep(shipParcel).`);
    try {
      this.#child.validate();
    } catch (error) {
      throw locateDefinitionError(error, `${this.location}, child '${this.#child.name}'`);
    }
  }

  describe(): ChildStepShape {
    const hooks: ChildStepShape['hooks'][number][] = [];
    if (this.#execute) hooks.push('onExecute');
    if (this.#success) hooks.push('onSuccess');
    const child = this.#child;
    return { kind: this.kind, child: child ? { name: child.name, version: child.version, fingerprint: child.fingerprint } : { name: '', version: '', fingerprint: '' }, hooks };
  }
}
