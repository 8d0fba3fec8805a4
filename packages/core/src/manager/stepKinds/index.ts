/**
 * The step kinds, registered by kind. `satisfies` checks the registry against every kind the
 * definitions know (a missing one does not compile) while keeping each module's own extras (the
 * remote kind's reply handling, the child kind's child end) visible to the decider.
 */
import type { SagaStep, SagaStepKind } from '@saga/definitions';
import type { StepExecution } from '@saga/execution';
import type { Action, ForwardAction } from '../action.js';
import type { DecisionBuilder } from '../decisionBuilder.js';
import { childStep } from './childStep.js';
import { conditionalStep } from './conditionalStep.js';
import { localStep } from './localStep.js';
import { parallelStep } from './parallelStep.js';
import { remoteStep } from './remoteStep.js';
import type { CompensateAction, ForwardWalk, KindStep, Performer, StepAction, StepActionType, StepKind, StepOfKind } from './stepKind.js';

export type { StepAction, StepKind } from './stepKind.js';

export const stepKinds = {
  local: localStep,
  remote: remoteStep,
  conditional: conditionalStep,
  parallel: parallelStep,
  child: childStep,
} as const satisfies { readonly [K in SagaStepKind]: StepKind<StepOfKind<K>> };

/**
 * The module of a kind, taking any step. The cast is where TypeScript cannot follow the correlation
 * between a step's `kind` and its class; the registry's type guarantees each module gets its own.
 */
const kindOf = (kind: SagaStepKind): StepKind<KindStep> => stepKinds[kind] as unknown as StepKind<KindStep>;

/** A definition's step as the class of its kind (every `SagaStep` is one of them). */
const asKindStep = (step: SagaStep): KindStep => step as KindStep;

/** The action that begins `step`, which has no record yet. */
export const startOf = (step: SagaStep, path: string): ForwardAction => kindOf(step.kind).start(asKindStep(step), path);

/**
 * What a running step asks for, by the kind its record says it has (the definition's step is read
 * as that kind, as the walk always did); undefined when the record is in no state its kind runs in.
 */
export const runningOf = (step: SagaStep, path: string, recorded: StepExecution, walk: ForwardWalk): ForwardAction | undefined =>
  kindOf(recorded.kind).running(asKindStep(step), path, recorded, walk);

/** The action that undoes a finished step, if its kind has anything of its own to undo. */
export const compensationOf = (step: SagaStep, path: string): CompensateAction | undefined => kindOf(step.kind).compensate(asKindStep(step), path);

interface Owned {
  readonly kind: SagaStepKind;
  readonly performer: Performer<StepAction>;
}

// Each action has one owner: the modules' `perform` tables are typed to cover exactly their kind's actions.
const owners = new Map<string, Owned>(
  Object.values(stepKinds).flatMap((stepKind) =>
    Object.entries(stepKind.perform).map(([type, performer]): [string, Owned] => [type, { kind: stepKind.kind, performer: performer as Performer<StepAction> }]),
  ),
);

/** The action types the registered kinds perform (for the registry's own test). */
export const stepActionTypes = (): readonly string[] => [...owners.keys()];

export const isStepAction = (action: Action): action is StepAction => owners.has(action.type);

/** A step action bound to its kind's performer: what the decider runs (and observes, when it is a step's own work). */
export interface BoundStepAction {
  readonly kind: SagaStepKind;
  readonly path: string;
  readonly observe: Performer<StepAction>['observe'];
  run(d: DecisionBuilder): Promise<boolean>;
}

export const bind = (action: StepAction): BoundStepAction => {
  const owned = owners.get(action.type satisfies StepActionType);
  if (!owned) throw new TypeError(`No step kind performs the action '${action.type}'.`);
  return { kind: owned.kind, path: action.path, observe: owned.performer.observe, run: (d) => owned.performer.run(d, action) };
};
