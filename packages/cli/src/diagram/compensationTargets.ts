/**
 * Where the compensations that did not run would have gone. A history names the target of a
 * compensation only once it was sent, and a definition's shape not at all: the target is what the
 * step's onFailure builder returns. Builders are pure by contract (the engine calls them again on
 * every retry), so the report and the diagram call them with the execution's context to label an
 * undo node with its target (`↩ stock.release`) rather than the name of the hook.
 */
import { SagaContext, type JsonObject } from '@saga/core';

/** What is read of a definition: `Saga`'s own steps, duck-typed (the module may carry its own copy of @saga/core). */
interface StepLike {
  readonly kind?: unknown;
  readonly failure?: unknown;
  readonly alternatives?: readonly { readonly saga?: unknown }[];
  readonly otherwise?: unknown;
}

const stepsOf = (saga: unknown): readonly StepLike[] => {
  const steps = (saga as { steps?: unknown } | null)?.steps;
  return Array.isArray(steps) ? (steps as StepLike[]) : [];
};

/** The target `builder` gives for `context`; undefined when it throws, is asynchronous, or returns no request. */
const targetOf = (builder: (context: SagaContext) => unknown, context: JsonObject): string | undefined => {
  try {
    const request = builder(new SagaContext(context));
    if (request instanceof Promise) {
      // An asynchronous builder is not awaited for a label; its failure must not surface later.
      request.catch(() => undefined);
      return undefined;
    }
    const target = (request as { target?: unknown } | null)?.target;
    return typeof target === 'string' ? target : undefined;
  } catch {
    return undefined;
  }
};

const collect = (saga: unknown, prefix: string | undefined, context: JsonObject, into: Map<string, string>): void => {
  stepsOf(saga).forEach((step, index) => {
    const path = prefix === undefined ? `${index}` : `${prefix}.${index}`;
    if (step.kind === 'remote' && typeof step.failure === 'function') {
      const target = targetOf(step.failure as (context: SagaContext) => unknown, context);
      if (target !== undefined) into.set(path, target);
    }
    if (step.kind === 'conditional') {
      (step.alternatives ?? []).forEach((alternative, branch) => collect(alternative.saga, `${path}.${branch}`, context, into));
      if (step.otherwise !== undefined) collect(step.otherwise, `${path}.else`, context, into);
    }
  });
};

/** Step path → the target its compensation request would have, for every remote step with an onFailure. */
export const compensationTargets = (definition: unknown, context: JsonObject): ReadonlyMap<string, string> => {
  const targets = new Map<string, string>();
  collect(definition, undefined, context, targets);
  return targets;
};
