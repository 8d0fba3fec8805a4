import { EmptySagaStepError, MultipleElseThenError, locateDefinitionError } from '../errors/definitionErrors.js';
import type { Saga } from '../saga.js';
import type { ConditionalStepShape } from '../sagaShape.js';
import { showValue } from '../showValue.js';
import type { Condition } from './callbacks.js';
import { SagaStep } from './sagaStep.js';
import { looksLikeSaga } from './isSaga.js';

export interface IfThenAlternative {
  readonly condition: Condition;
  readonly saga: Saga;
}


/**
 * A step that runs one sub-saga chosen at run time: the first `ifThen` whose condition holds,
 * else the `elseThen` saga, else nothing.
 */
export class ConditionalSagaStep extends SagaStep {
  readonly kind = 'conditional';
  readonly #alternatives: IfThenAlternative[] = [];
  #otherwise: Saga | undefined;

  ifThen(condition: Condition, saga: Saga): this {
    this.checkHook('ifThen', condition, false);
    this.#requireSaga('ifThen', saga);
    this.#alternatives.push(Object.freeze({ condition, saga }));
    return this;
  }

  elseThen(saga: Saga): this {
    this.assertEditable('elseThen');
    this.#requireSaga('elseThen', saga);
    if (this.#otherwise) {
      throw new MultipleElseThenError(
        `${this.location}: a conditional step can only define one elseThen(saga); ` +
          'use ifThen(condition, saga) for every other branch.',
      );
    }
    this.#otherwise = saga;
    return this;
  }

  /** In evaluation order. */
  get alternatives(): readonly IfThenAlternative[] {
    return [...this.#alternatives];
  }

  get otherwise(): Saga | undefined {
    return this.#otherwise;
  }

  validate(): void {
    if (this.#alternatives.length === 0 && !this.#otherwise) {
      throw new EmptySagaStepError(
        `${this.location}: a conditional step must define at least one branch; ` +
          'call ifThen(condition, saga) or elseThen(saga) on it, or remove the step.',
      );
    }
    this.#alternatives.forEach((alternative, index) => this.#validateBranch(index, alternative.saga));
    if (this.#otherwise) this.#validateBranch('else', this.#otherwise);
  }

  describe(): ConditionalStepShape {
    const alternatives = this.#alternatives.map((alternative) => alternative.saga.describe());
    return this.#otherwise
      ? { kind: this.kind, alternatives, otherwise: this.#otherwise.describe() }
      : { kind: this.kind, alternatives };
  }

  #validateBranch(branch: number | 'else', saga: Saga): void {
    try {
      saga.validate();
    } catch (error) {
      throw locateDefinitionError(error, `${this.location}, branch ${branch}`);
    }
  }

  #requireSaga(method: string, saga: unknown): void {
    if (!looksLikeSaga(saga)) {
      throw new TypeError(`${this.location}: ${method}() needs a Saga as its branch, but got ${showValue(saga)}.`);
    }
  }
}
