import type { Saga } from '@saga/definitions';
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
