import { createHash } from 'node:crypto';
import {
  AlreadyCommittedError,
  AlreadyOnSagaError,
  EmptySagaError,
  InvalidSagaNameError,
  SagaNotCommittedError,
} from './errors/definitionErrors.js';
import { sagaLabel } from './sagaLabel.js';
import type { SagaShape } from './sagaShape.js';
import { checkDuration } from './retryPolicy.js';
import { showValue } from './showValue.js';
import { ConditionalSagaStep } from './steps/conditionalSagaStep.js';
import { LocalSagaStep } from './steps/localSagaStep.js';
import { RemoteSagaStep } from './steps/remoteSagaStep.js';
import { ParallelSagaStep } from './steps/parallelSagaStep.js';
import { ChildSagaStep } from './steps/childSagaStep.js';
import type { LocalCallback, RequestBuilder } from './steps/callbacks.js';
import { placeStep } from './steps/sagaStep.js';
import type { SagaStep } from './steps/sagaStep.js';

export interface SagaOptions {
  /** Executions are pinned to name+version, so change it whenever the steps change. Default '1'. */
  version?: string;
  /**
   * The longest an execution may run forward. When it passes while a step waits for a reply, the
   * execution compensates (the waiting step included). Recorded in the stream: survives restarts.
   */
  deadlineMs?: number;
  /**
   * Record each local step's result before the next step runs (default false: the local steps up to
   * the next remote step are recorded together, and re-run after a crash before that append). A
   * step's own `.durable(false)` overrides it. See `LocalSagaStep.durable`.
   */
  durableLocalSteps?: boolean;
}

// Bumped if the shape's JSON encoding ever changes, so old and new fingerprints never collide.
const FINGERPRINT_FORMAT = 'saga-shape/1';

/**
 * Sagas whose validation is in progress. A saga reached again while it is being validated is a
 * branch of itself, which would otherwise recurse forever; such a saga is necessarily uncommitted
 * (a committed one can no longer gain steps or branches).
 */
const validating = new Set<Saga>();

/** A saga definition: an ordered list of steps, built fluently and then committed. */
export class Saga {
  readonly name: string;
  readonly version: string;
  readonly deadlineMs?: number;
  readonly durableLocalSteps: boolean;
  readonly #steps: SagaStep[] = [];
  #committed = false;
  #fingerprint: string | undefined;

  constructor(name: string, options: SagaOptions = {}) {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new InvalidSagaNameError(
        `A saga needs a non-empty name, but got ${showValue(name)}; ` +
          "pass it first, e.g. new Saga('create_order', { version: '1' }).",
      );
    }
    const version = options.version ?? '1';
    if (typeof version !== 'string' || version.trim() === '') {
      throw new InvalidSagaNameError(
        `Saga '${name}': the version must be a non-empty string, but got ${showValue(version)}; ` +
          `pass e.g. new Saga('${name}', { version: '2' }), or leave it out for '1'.`,
      );
    }
    this.name = name;
    this.version = version;
    this.durableLocalSteps = options.durableLocalSteps === true;
    if (options.deadlineMs !== undefined) this.deadlineMs = checkDuration(options.deadlineMs, `Saga '${name}'@${version}: deadlineMs`);
  }

  get steps(): readonly SagaStep[] {
    return [...this.#steps];
  }

  get committed(): boolean {
    return this.#committed;
  }

  /** A new local step; given a function, that is its `onExecute` (as minos's `local_step(fn)`). */
  localStep(step?: LocalSagaStep | LocalCallback): LocalSagaStep {
    if (typeof step !== 'function') return this.#add(step ?? new LocalSagaStep(), LocalSagaStep, 'localStep');
    return this.#add(new LocalSagaStep(), LocalSagaStep, 'localStep').onExecute(step);
  }

  /** A new remote step; given a function, that is its `onExecute` (it builds the request). */
  remoteStep(step?: RemoteSagaStep | RequestBuilder): RemoteSagaStep {
    if (typeof step !== 'function') return this.#add(step ?? new RemoteSagaStep(), RemoteSagaStep, 'remoteStep');
    return this.#add(new RemoteSagaStep(), RemoteSagaStep, 'remoteStep').onExecute(step);
  }

  conditionalStep(step?: ConditionalSagaStep): ConditionalSagaStep {
    return this.#add(step ?? new ConditionalSagaStep(), ConditionalSagaStep, 'conditionalStep');
  }

  /** A new parallel step: add its branches with `.branch(saga)` (at least two). */
  parallelStep(step?: ParallelSagaStep): ParallelSagaStep {
    return this.#add(step ?? new ParallelSagaStep(), ParallelSagaStep, 'parallelStep');
  }

  /** A new child step: `child` (a committed saga) runs as an execution of its own. */
  childStep(child: Saga): ChildSagaStep {
    return this.#add(new ChildSagaStep(), ChildSagaStep, 'childStep').setChild(child);
  }

  /**
   * Validates the whole definition, then freezes it. Unlike the reference (§8.20), a broken
   * saga fails here, where it is written, not when it is first run.
   */
  commit(): Saga {
    if (this.#committed) {
      throw new AlreadyCommittedError(
        `${sagaLabel(this)}: it is not possible to commit a saga multiple times; call commit() once, after its last step.`,
      );
    }
    this.#validateDefinition();
    this.#committed = true;
    return this;
  }

  /** Throws the first problem: no steps, then each step's own problem, then not committed. */
  validate(): void {
    this.#validateDefinition();
    if (!this.#committed) {
      throw new SagaNotCommittedError(
        `${sagaLabel(this)}: a saga must be committed before it is run or used as a branch; ` +
          'call commit() after its last step.',
      );
    }
  }

  /** A stable hash of the shape (see `describe`): equal across processes for equal shapes. */
  get fingerprint(): string {
    if (this.#fingerprint !== undefined) return this.#fingerprint;
    const fingerprint = createHash('sha256')
      .update(`${FINGERPRINT_FORMAT}\n${JSON.stringify(this.describe())}`)
      .digest('hex')
      .slice(0, 16);
    // Only a committed saga's shape can no longer change.
    if (this.#committed) this.#fingerprint = fingerprint;
    return fingerprint;
  }

  describe(): SagaShape {
    return { name: this.name, version: this.version, steps: this.#steps.map((step) => step.describe()) };
  }

  #add<S extends SagaStep>(step: S, StepClass: abstract new () => SagaStep, method: string): S {
    if (this.#committed) {
      throw new AlreadyCommittedError(
        `${sagaLabel(this)}: it is not possible to add more steps to an already committed saga; ` +
          'add every step before commit(), or build a new saga (e.g. with a new version).',
      );
    }
    if (!(step instanceof StepClass)) {
      throw new TypeError(
        `${sagaLabel(this)}: ${method}() was given ${showValue(step)} that is not a ${StepClass.name}; ` +
          `pass a ${StepClass.name}, a function (its onExecute), or nothing to get a new one.`,
      );
    }
    const owner = step.saga;
    if (owner) {
      throw new AlreadyOnSagaError(
        `${sagaLabel(this)}: this ${step.kind} step already belongs to ${sagaLabel(owner)} (step ${step.index}); ` +
          `a step can belong to only one saga, so create a new one with ${method}() instead of reusing it.`,
      );
    }
    placeStep(step, this, this.#steps.length);
    this.#steps.push(step);
    return step;
  }

  #validateDefinition(): void {
    if (validating.has(this)) {
      throw new SagaNotCommittedError(
        `${sagaLabel(this)}: the saga is used as a branch of itself (directly or through nested conditional steps) ` +
          'and so can never be committed; branch to a separate, committed saga instead.',
      );
    }
    if (this.#steps.length === 0) {
      throw new EmptySagaError(
        `${sagaLabel(this)}: a saga must have at least one step; ` +
          'add one with localStep(), remoteStep() or conditionalStep() before commit().',
      );
    }
    validating.add(this);
    try {
      for (const step of this.#steps) step.validate();
    } finally {
      validating.delete(this);
    }
  }
}
