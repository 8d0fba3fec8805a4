/**
 * Errors of running sagas. Each message says what happened and what to do; each class extends
 * `SagaError` (from @saga/definitions), like the definition errors.
 */
import { SagaError } from '@saga/definitions';
import type { SagaExecution } from '@saga/execution';

/** The execution ended errored (after compensating). `execution` is its final state. */
export class SagaFailedError extends SagaError {
  constructor(
    readonly execution: SagaExecution,
    message = `Saga '${execution.definition.name}'@${execution.definition.version} execution ${execution.id} failed` +
      (execution.error ? ` with ${execution.error.name}: ${execution.error.message}` : '') +
      '. Its steps were compensated; read manager.history(id) for what happened.',
  ) {
    super(message);
  }
}

/** A participant voted no (or did not vote) when the finished execution asked to commit. */
export class CommitFailedError extends SagaFailedError {
  constructor(execution: SagaExecution) {
    super(
      execution,
      `Saga '${execution.definition.name}' execution ${execution.id} finished, but its transaction could not be committed` +
        (execution.error ? `: ${execution.error.message}` : '') +
        '. Every participant was told to reject and the steps were compensated.',
    );
  }
}

/** A compensation could not be done: the execution is stopped, visibly, for an operator. */
export class SagaRollbackError extends SagaFailedError {
  constructor(execution: SagaExecution) {
    const failed = execution.compensation.failed;
    super(
      execution,
      `Saga '${execution.definition.name}' execution ${execution.id} failed and could not be fully compensated` +
        (failed ? `: step ${failed.path} — ${failed.error.name}: ${failed.error.message}` : '') +
        '. Fix the cause, then resume the compensation (manager.resume, when available) or compensate by hand.',
    );
  }
}

/**
 * The execution was cancelled (`manager.cancel`, `saga cancel`): it started no new step, awaited the
 * request in flight, compensated its finished steps and ended errored. `reason` is what the caller gave.
 */
export class SagaCancelledError extends SagaFailedError {
  readonly reason: string;
  readonly by?: string;
  constructor(execution: SagaExecution) {
    const { reason = 'no reason given', by } = execution.cancellation ?? {};
    super(
      execution,
      `Saga '${execution.definition.name}'@${execution.definition.version} execution ${execution.id} was cancelled${by ? ` by ${by}` : ''}: ${reason}. ` +
        'Its finished steps were compensated; read manager.history(id) for what happened.',
    );
    this.reason = reason;
    if (by !== undefined) this.by = by;
  }
}

export class SagaNotFoundError extends SagaError {
  constructor(readonly executionId: string) {
    super(`No saga execution with id '${executionId}' exists in this store. Check the id, and that the manager uses the store the execution was started on.`);
  }
}

/** The execution is terminal (or its transaction is decided): it cannot be executed again. */
export class SagaAlreadyExecutedError extends SagaError {
  constructor(
    readonly executionId: string,
    readonly status: string,
    what = 'executed',
  ) {
    super(`The ${executionId} execution cannot be ${what} because it is in '${status}' status. Start a new execution instead.`);
  }
}

/** The definition an execution started with is not registered with this manager. */
export class DefinitionNotRegisteredError extends SagaError {
  constructor(
    readonly executionId: string,
    readonly definition: { readonly name: string; readonly version: string; readonly fingerprint: string },
    reason = 'is not registered with this manager',
  ) {
    super(
      `Execution ${executionId} started with definition '${definition.name}'@${definition.version} (fingerprint ${definition.fingerprint}), which ${reason}. ` +
        `Pass that exact definition in new SagaManager({ definitions: [...] }) or manager.register(...); the execution was left untouched.`,
    );
  }
}

/** A method that needs `setup()` was called before it, or after `destroy()`. */
export class ManagerNotReadyError extends SagaError {}

/** `fromConfig` was given a URL whose adapter package is not installed or not known. */
export class AdapterNotAvailableError extends SagaError {}

/** A definition was registered under a name and version already taken by a different shape. */
export class DefinitionConflictError extends SagaError {
  constructor(name: string, version: string, registered: string, given: string) {
    super(
      registered === given
        ? `Saga '${name}'@${version} is already registered with another Saga object (same steps, other callbacks). ` +
            'Executions would silently switch to the callbacks registered last: build each definition once (at module level) and register that object, ' +
            'or give the other one a new version (new Saga(name, { version })).'
        : `Saga '${name}'@${version} is already registered with fingerprint ${registered}, and this definition has ${given}: ` +
            'its steps differ. Give the changed definition a new version (new Saga(name, { version })) so executions started with the old one can drain.',
    );
  }
}

/** `run()` was called with options that do not say what to run. */
export class InvalidRunOptionsError extends SagaError {}

/**
 * `run({ response })` was given a response whose `requestId` the execution never sent: it belongs to
 * another execution or was built by hand with the wrong id. Nothing was written.
 */
export class UnexpectedResponseError extends SagaError {
  constructor(
    readonly executionId: string,
    readonly requestId: string,
    pending: string | undefined,
  ) {
    super(
      `Execution ${executionId} never sent a request with id '${requestId}'` +
        (pending ? ` (it is waiting for '${pending}')` : ' (it is waiting for no reply)') +
        '. Build the SagaResponse from the reply to the pending request: new SagaResponse({ sagaId, requestId: execution.pendingRequest.requestId, ... }). Nothing was written.',
    );
  }
}
