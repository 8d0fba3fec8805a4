/**
 * What a step kind is to the engine: how a step of that kind begins, goes on while it runs, is
 * performed and is undone. One module per kind implements it and `index.ts` registers them by
 * kind, so a kind the definitions add and the engine does not handle fails to compile.
 */
import type { ChildSagaStep, ConditionalSagaStep, LocalSagaStep, ParallelSagaStep, RemoteSagaStep, Saga, SagaStepKind } from '@saga/definitions';
import type { SagaExecution, StepExecution } from '@saga/execution';
import type { Action, ActionOf, ForwardAction } from '../action.js';
import type { DecisionBuilder } from '../decisionBuilder.js';

/** Every step class the engine runs; `StepOfKind` finds the one of a kind. */
export type KindStep = LocalSagaStep | RemoteSagaStep | ConditionalSagaStep | ParallelSagaStep | ChildSagaStep;

export type StepOfKind<K extends SagaStepKind> = Extract<KindStep, { readonly kind: K }>;

/**
 * The actions each kind owns: the kind's module produces and performs them, nothing else does.
 * Indexed by `SagaStepKind`, so a new kind without its entry here does not compile.
 */
export type ActionsOfKind<K extends SagaStepKind> = {
  readonly local: 'runLocal' | 'compensateLocal';
  readonly remote: 'sendRequest' | 'compensateRemote';
  readonly conditional: 'chooseBranch' | 'finishConditional';
  readonly parallel: 'startParallel' | 'joinParallel';
  readonly child: 'startChild' | 'compensateChild';
}[K];

export type StepActionType = ActionsOfKind<SagaStepKind>;

/** An action some step kind owns; the other actions (complete, fail, the transaction…) are the decider's. */
export type StepAction = ActionOf<StepActionType>;

export type CompensateAction = ActionOf<'compensateLocal' | 'compensateRemote' | 'compensateChild'>;

export interface Performer<A extends Action> {
  /** Does the action, recording its events on `d`; false means the decision stops here. */
  readonly run: (d: DecisionBuilder, action: A) => Promise<boolean>;
  /**
   * Set for actions that are a step's own work for operators: each runs in its own span and
   * step-duration metric, and none runs after a durable step before that step's result is stored.
   * Bookkeeping actions (a branch joined, a child started) have none, as before kinds were modules.
   */
  readonly observe?: { readonly compensating: boolean };
}

export type Performers<T extends Action['type']> = { readonly [A in T]: Performer<ActionOf<A>> };

/** The forward walk, handed to kinds whose steps hold sagas of their own (branches). */
export interface ForwardWalk {
  readonly execution: SagaExecution;
  /** The next forward action of a nested saga whose steps' paths start with `prefix`. */
  next(saga: Saga, prefix: string): ForwardAction;
}

export interface StepKind<S extends KindStep> {
  readonly kind: S['kind'];
  /** The action that begins a step of this kind, which has no record yet. */
  readonly start: (step: S, path: string) => ForwardAction;
  /**
   * What a step of this kind asks for while it runs (a record neither finished nor paused); undefined
   * when the record is in no state this kind runs in: the history and the definition disagree.
   */
  readonly running: (step: S, path: string, recorded: StepExecution, walk: ForwardWalk) => ForwardAction | undefined;
  /** The action that undoes a finished step of this kind; undefined when it has nothing of its own to undo. */
  readonly compensate: (step: S, path: string) => CompensateAction | undefined;
  /** How each action the kind owns is done. */
  readonly perform: Performers<ActionsOfKind<S['kind']>>;
}
