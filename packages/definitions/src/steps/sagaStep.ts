import { AlreadyCommittedError, SagaNotDefinedError } from '../errors/definitionErrors.js';
import type { SagaDefinitionError } from '../errors/definitionErrors.js';
import type { Saga } from '../saga.js';
import { sagaLabel } from '../sagaLabel.js';
import type { SagaStepShape } from '../sagaShape.js';
import { showValue } from '../showValue.js';
import type { LocalCallback, RequestBuilder } from './callbacks.js';
import type { ConditionalSagaStep } from './conditionalSagaStep.js';
import type { LocalSagaStep } from './localSagaStep.js';
import type { RemoteSagaStep } from './remoteSagaStep.js';
import type { ParallelSagaStep } from './parallelSagaStep.js';
import type { ChildSagaStep } from './childSagaStep.js';

export type SagaStepKind = 'local' | 'remote' | 'conditional' | 'parallel' | 'child';

interface Placement {
  readonly saga: Saga;
  readonly index: number;
}

// Kept outside the class so that only the package (through placeStep) can set it.
const placements = new WeakMap<SagaStep, Placement>();

/** Package-internal: records the saga a step was appended to and its index there. */
export const placeStep = (step: SagaStep, saga: Saga, index: number): void => {
  placements.set(step, { saga, index });
};

type MultipleHookError = new (message: string) => SagaDefinitionError;

/** One step of a saga. Its chaining helpers let a whole saga be written as one expression. */
export abstract class SagaStep {
  abstract readonly kind: SagaStepKind;

  /** The saga this step was added to, if any. */
  get saga(): Saga | undefined {
    return placements.get(this)?.saga;
  }

  /** This step's position in its saga, if it was added to one. */
  get index(): number | undefined {
    return placements.get(this)?.index;
  }

  /** The next step, local; a function given here is its `onExecute`. */
  localStep(onExecute?: LocalCallback): LocalSagaStep {
    return this.#owner('localStep').localStep(onExecute);
  }

  /** The next step, remote; a function given here is its `onExecute` (it builds the request). */
  remoteStep(onExecute?: RequestBuilder): RemoteSagaStep {
    return this.#owner('remoteStep').remoteStep(onExecute);
  }

  conditionalStep(): ConditionalSagaStep {
    return this.#owner('conditionalStep').conditionalStep();
  }

  /** The next step: sagas run at once, each a branch (`.branch(saga)`). */
  parallelStep(): ParallelSagaStep {
    return this.#owner('parallelStep').parallelStep();
  }

  /** The next step: `child` run as an execution of its own. */
  childStep(child: Saga): ChildSagaStep {
    return this.#owner('childStep').childStep(child);
  }

  commit(): Saga {
    return this.#owner('commit').commit();
  }

  /** Throws the first problem of this step's own definition. */
  abstract validate(): void;

  abstract describe(): SagaStepShape;

  /** Where this step is, for error messages: `Saga 'x'@1, step 2 (remote)`. */
  protected get location(): string {
    const placement = placements.get(this);
    return placement
      ? `${sagaLabel(placement.saga)}, step ${placement.index} (${this.kind})`
      : `A ${this.kind} step (not added to a saga)`;
  }

  /** Hooks are part of the committed shape (and of its fingerprint), so they freeze with the saga. */
  protected assertEditable(method: string): void {
    if (this.saga?.committed) {
      throw new AlreadyCommittedError(
        `${this.location}: cannot call ${method}() because the saga is already committed; ` +
          'define every hook before commit(), or build a new saga (e.g. with a new version).',
      );
    }
  }

  /** The checks every hook setter makes before storing `callback`. */
  protected checkHook(hook: string, callback: unknown, alreadySet: boolean, Multiple?: MultipleHookError): void {
    this.assertEditable(hook);
    if (typeof callback !== 'function') {
      throw new TypeError(`${this.location}: ${hook}() needs a function, but got ${showValue(callback)}.`);
    }
    if (alreadySet && Multiple) {
      throw new Multiple(
        `${this.location}: a step can only define one ${hook}, and it is already set; ` +
          'put all of its logic in that one callback.',
      );
    }
  }

  #owner(method: string): Saga {
    this.validate();
    const saga = this.saga;
    if (!saga) {
      throw new SagaNotDefinedError(
        `${this.location}: a step must belong to a saga to call ${method}(); ` +
          `create it with saga.${this.kind}Step(), or add it with saga.${this.kind}Step(step) first.`,
      );
    }
    return saga;
  }
}
