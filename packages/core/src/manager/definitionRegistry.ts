import { ChildSagaStep, ConditionalSagaStep, ParallelSagaStep, type Saga } from '@saga/definitions';
import type { SagaExecution } from '@saga/execution';
import { DefinitionConflictError, DefinitionNotRegisteredError } from '../errors/runErrors.js';

/**
 * The definitions a manager can run, pinned by name and version. An execution resumes only with
 * the definition it started with: same name, version and shape (fingerprint).
 */
export class DefinitionRegistry {
  readonly #byKey = new Map<string, Saga>();

  register(definition: Saga): void {
    definition.validate();
    const key = `${definition.name}@${definition.version}`;
    const known = this.#byKey.get(key);
    // Another object under the same name and version is refused even with the same shape: its
    // callbacks would silently replace those of executions already running.
    if (known && known !== definition) {
      throw new DefinitionConflictError(definition.name, definition.version, known.fingerprint, definition.fingerprint);
    }
    this.#byKey.set(key, definition);
    // The sagas its child steps run (also inside branches) run here too, as executions of their own.
    for (const child of childSagasOf(definition)) if (this.#byKey.get(`${child.name}@${child.version}`) !== child) this.register(child);
  }

  /** The registered definition of that name, version and shape, if any. */
  find(pinned: { readonly name: string; readonly version: string; readonly fingerprint: string }): Saga | undefined {
    const definition = this.#byKey.get(`${pinned.name}@${pinned.version}`);
    return definition?.fingerprint === pinned.fingerprint ? definition : undefined;
  }

  /** The definition `execution` started with, or `DefinitionNotRegisteredError`. */
  resolve(execution: SagaExecution): Saga {
    const { name, version, fingerprint } = execution.definition;
    const definition = this.#byKey.get(`${name}@${version}`);
    if (!definition) throw new DefinitionNotRegisteredError(execution.id, execution.definition);
    if (definition.fingerprint !== fingerprint) {
      throw new DefinitionNotRegisteredError(
        execution.id,
        execution.definition,
        `is registered with a different shape (fingerprint ${definition.fingerprint}): steps were added, removed or changed without a new version`,
      );
    }
    return definition;
  }
}

/** The sagas run by child steps of `saga`, through conditional and parallel branches. */
const childSagasOf = (saga: Saga): Saga[] =>
  saga.steps.flatMap((step) => {
    if (step instanceof ChildSagaStep) return step.child ? [step.child] : [];
    if (step instanceof ParallelSagaStep) return step.branches.flatMap(childSagasOf);
    if (step instanceof ConditionalSagaStep) return [...step.alternatives.map((a) => a.saga), ...(step.otherwise ? [step.otherwise] : [])].flatMap(childSagasOf);
    return [];
  });
