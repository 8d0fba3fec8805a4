/**
 * What an operator may do from the console (resume a stopped compensation, fork from a revision,
 * cancel), each in two steps: a preview that says exactly which events will be appended to which
 * stream and who is recorded, then the action itself, refused if the execution moved on since the
 * preview. Only with `saga ui --allow-actions`.
 */
import { SagaManager, forkProblem, forkedPrefix, type Broker, type EventStore, type JsonObject, type Saga, type SagaExecution } from '@saga/core';
import { HttpError } from './httpError.js';
import type { ExecutionView } from './executionView.js';

export const actionNames = ['resume', 'fork', 'cancel'] as const;
export type ActionName = (typeof actionNames)[number];

export interface ActionRequest {
  /** Fork: the last revision the fork copies. */
  readonly fromRevision?: number;
  /** Cancel: why, recorded in the history. */
  readonly reason?: string;
}

export interface PlannedAppend {
  readonly stream: string;
  /** The revision the stream must be at for the append (what the operator reviewed). */
  readonly expectedRevision: number | 'no_stream';
  readonly events: readonly { readonly type: string; readonly data: JsonObject }[];
}

export interface ActionPreview {
  readonly action: ActionName;
  readonly executionId: string;
  /** Whether the action applies to the execution as it is now; `why` says why not. */
  readonly available: boolean;
  readonly why?: string;
  /** The revision of the execution the preview was made at: the action is refused once it moved on. */
  readonly atRevision: number;
  /** Exactly what will be appended (a fork's new id is chosen when it is made). */
  readonly appends: readonly PlannedAppend[];
  /** What the engine does next, in words. */
  readonly then: string;
  /** Who is recorded, and where. */
  readonly recordedBy: string;
}

export const isActionName = (name: string): name is ActionName => (actionNames as readonly string[]).includes(name);

const unavailable = (action: ActionName, view: ExecutionView, why: string, operator: string): ActionPreview => ({
  action,
  executionId: view.loaded.id,
  available: false,
  why,
  atRevision: view.lastRevision,
  appends: [],
  then: '',
  recordedBy: operator,
});

const needsDefinition = (view: ExecutionView): string | undefined =>
  view.definition
    ? undefined
    : `the console has no definition of ${view.loaded.execution.definition.name}@${view.loaded.execution.definition.version} (its callbacks run the compensations): start saga ui with --definitions <module> that exports it`;

const forkPrefixProblem = (view: ExecutionView, fromRevision: number | undefined): string | undefined => {
  if (fromRevision === undefined || !Number.isInteger(fromRevision) || fromRevision < 0 || fromRevision > view.lastRevision) {
    return `choose a revision from 0 to ${view.lastRevision} to fork from (the replay slider sets it)`;
  }
  // The engine's own rule, so the preview says why before anything is tried (the fork checks again).
  const problem = forkProblem(view.loaded.events, fromRevision);
  return problem === undefined ? undefined : `at revision ${fromRevision}: ${problem}`;
};

export const previewAction = (view: ExecutionView, action: ActionName, request: ActionRequest, operator: string): ActionPreview => {
  const { execution, events, id, stream } = view.loaded;
  if (view.loaded.corruption) return unavailable(action, view, `the history does not decode at revision ${view.loaded.corruption.revision}: the engine will not continue it`, operator);
  const missing = needsDefinition(view);
  if (missing) return unavailable(action, view, missing, operator);
  const at = view.lastRevision;
  switch (action) {
    case 'resume': {
      const failed = execution.compensation.failed;
      if (!failed) return unavailable(action, view, 'no compensation of this execution failed: there is nothing to resume', operator);
      return {
        action,
        executionId: id,
        available: true,
        atRevision: at,
        appends: [{ stream, expectedRevision: at, events: [{ type: 'CompensationResumed', data: { path: failed.path, by: operator } }] }],
        then: `The compensation of step ${failed.path} runs again (${failed.error.name}: ${failed.error.message} stopped it), then the steps before it are compensated in reverse order; the engine appends each step as it goes.`,
        recordedBy: `CompensationResumed records by: ${operator}.`,
      };
    }
    case 'cancel': {
      if (execution.phase !== 'forward') return unavailable(action, view, `the execution is ${execution.phase === 'ended' ? `over (${execution.status})` : 'already compensating'}: there is nothing to cancel`, operator);
      if (execution.cancellation) return unavailable(action, view, 'a cancel was already requested', operator);
      const reason = request.reason?.trim() ?? '';
      if (reason === '') return unavailable(action, view, 'say why (the reason is recorded in the history)', operator);
      return {
        action,
        executionId: id,
        available: true,
        atRevision: at,
        appends: [{ stream, expectedRevision: at, events: [{ type: 'CancelRequested', data: { reason, by: operator } }] }],
        then:
          (execution.pendingRequests.length > 0
            ? `The request${execution.pendingRequests.length === 1 ? '' : 's'} in flight (${execution.pendingRequests.map((p) => p.target).join(', ')}) ${execution.pendingRequests.length === 1 ? 'is' : 'are'} awaited first; then `
            : 'Then ') +
          'no new step starts, the finished steps are compensated in reverse order, and the execution ends errored (SagaCancelledError).',
        recordedBy: `CancelRequested records by: ${operator}.`,
      };
    }
    case 'fork': {
      const problem = forkPrefixProblem(view, request.fromRevision);
      if (problem) return unavailable(action, view, problem, operator);
      const from = request.fromRevision as number;
      const [first, ...rest] = forkedPrefix(events, from);
      const { key: _key, parent: _parent, ...startedWith } = (first?.data ?? {}) as JsonObject;
      const started = { type: 'SagaStarted', data: { ...startedWith, executionId: '<new id>', forkedFrom: { executionId: id, revision: from, by: operator } } };
      return {
        action,
        executionId: id,
        available: true,
        atRevision: at,
        appends: [{ stream: 'saga-<new id>', expectedRevision: 'no_stream', events: [started, ...rest.map((e) => ({ type: e.type, data: e.data as JsonObject }))] }],
        then: `A new execution copies revisions 0–${from} (timers left out) and continues from there with the definition's current callbacks; ${id} itself is not changed.`,
        recordedBy: `The fork's SagaStarted records forkedFrom: this execution, revision ${from}, and ${operator} who forked it (the original user is kept).`,
      };
    }
  }
};

export interface ActionResult {
  readonly action: ActionName;
  readonly executionId: string;
  /** The execution after the action (the fork, for a fork). */
  readonly execution: SagaExecution;
}

export interface ActionDeps {
  readonly store: EventStore;
  /** Opens the broker the execution's participants listen on (closed after the action). */
  readonly openBroker: () => Promise<Broker>;
  readonly operator: string;
}

/**
 * Performs an action the operator reviewed at `expectedRevision`. A manager of the execution's
 * service runs it and returns once its decision is stored (a remote compensation completes when
 * its participant replies to that service's workers).
 */
export const performAction = async (view: ExecutionView, action: ActionName, request: ActionRequest & { readonly expectedRevision: number }, deps: ActionDeps): Promise<ActionResult> => {
  const preview = previewAction(view, action, request, deps.operator);
  if (request.expectedRevision !== view.lastRevision) {
    throw new HttpError('conflict', `The execution moved on since you reviewed the action (you saw revision ${request.expectedRevision}, it is at ${view.lastRevision} now): review it again.`);
  }
  if (!preview.available) throw new HttpError('conflict', `Cannot ${action} ${view.loaded.id}: ${preview.why ?? 'not available'}.`);
  const broker = await deps.openBroker();
  const manager = new SagaManager({
    store: deps.store,
    broker,
    service: view.loaded.execution.service,
    definitions: [view.definition as unknown as Saga],
    recoverOnSetup: false,
    recoveryIntervalMs: 0,
  });
  try {
    await manager.setup();
    const id = view.loaded.id;
    const execution =
      action === 'resume'
        ? await manager.resume(id, { by: deps.operator, pauseOnDisk: true, raiseOnError: false })
        : action === 'cancel'
          ? await manager.cancel(id, { reason: (request.reason ?? '').trim(), by: deps.operator, pauseOnDisk: true, raiseOnError: false })
          : await manager.fork(id, { fromRevision: request.fromRevision as number, by: deps.operator, pauseOnDisk: true, raiseOnError: false });
    return { action, executionId: execution.id, execution };
  } finally {
    await manager.destroy();
    await broker.destroy();
  }
};

