import { EmptySagaStepError, MultipleOnSuccessError, TooFewBranchesError, locateDefinitionError } from '../errors/definitionErrors.js';
import type { MaybePromise } from '../json.js';
import type { Saga } from '../saga.js';
import type { ParallelStepShape } from '../sagaShape.js';
import type { SagaContext } from '../sagaContext.js';
import { showValue } from '../showValue.js';
import type { ContextResult } from './callbacks.js';
import { looksLikeSaga } from './isSaga.js';
import { SagaStep } from './sagaStep.js';

/**
 * Joins the branches: `context` is the context the parallel step started with, `branches` each
 * branch's context at its end, in branch order. Returns the context the saga goes on with.
 */
export type JoinCallback = (context: SagaContext, branches: readonly SagaContext[]) => MaybePromise<ContextResult>;

/**
 * A step that runs several committed sagas at once, each on its own copy of the context: every
 * branch starts together, the step finishes when all have. When one fails, the others start nothing
 * more, their requests in flight are awaited, and every finished step of every branch is compensated.
 */
export class ParallelSagaStep extends SagaStep {
  readonly kind = 'parallel';
  readonly #branches: Saga[] = [];
  #join: JoinCallback | undefined;

  /** Adds a branch: a committed saga whose steps run beside the other branches'. */
  branch(saga: Saga): this {
    this.assertEditable('branch');
    if (!looksLikeSaga(saga)) throw new TypeError(`${this.location}: branch() needs a Saga, but got ${showValue(saga)}.`);
    this.#branches.push(saga);
    return this;
  }

  /**
   * How the branches' contexts become the saga's. Default: the context the step started with, plus
   * every key each branch changed, branch by branch in order (a later branch wins a key both changed).
   */
  onJoin(callback: JoinCallback): this {
    this.checkHook('onJoin', callback, this.#join !== undefined, MultipleOnSuccessError);
    this.#join = callback;
    return this;
  }

  get branches(): readonly Saga[] {
    return [...this.#branches];
  }

  get join(): JoinCallback | undefined {
    return this.#join;
  }

  validate(): void {
    if (this.#branches.length === 0) {
      throw new EmptySagaStepError(`${this.location}: a parallel step needs branches; call branch(saga) at least twice, or remove the step.`);
    }
    if (this.#branches.length < 2) {
      throw new TooFewBranchesError(
        `${this.location}: a parallel step needs at least two branches, but has ${this.#branches.length}; ` +
          'add another with branch(saga), or put the one saga\'s steps in the saga itself.',
      );
    }
    this.#branches.forEach((saga, index) => {
      try {
        saga.validate();
      } catch (error) {
        throw locateDefinitionError(error, `${this.location}, branch ${index}`);
      }
    });
  }

  describe(): ParallelStepShape {
    return { kind: this.kind, branches: this.#branches.map((saga) => saga.describe()), hooks: this.#join ? ['onJoin'] : [] };
  }
}
