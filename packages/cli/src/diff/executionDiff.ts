/**
 * What changed between two states of one execution: the context (key by key, nested objects
 * followed), the status, each step's status, the pending request, the error, the compensation and
 * the transaction. Pure data in, data out; `saga replay` prints it and the HTML report shows it.
 */
import type { JsonObject, JsonValue, PendingRequest, SagaExecution } from '@saga/core';

export interface ValueChange {
  /** Where in the context: `state`, `reservation.id`, `items[2]`, `["odd key"]`. */
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  readonly before?: JsonValue;
  readonly after?: JsonValue;
}

export interface Change<T> {
  readonly before: T | undefined;
  readonly after: T | undefined;
}

export interface StepChange {
  readonly path: string;
  readonly kind: string;
  /** Undefined: the step was not recorded yet. */
  readonly before?: string;
  readonly after?: string;
}

export interface ExecutionDiff {
  readonly status?: Change<string>;
  readonly phase?: Change<string>;
  readonly steps: readonly StepChange[];
  readonly pendingRequest?: Change<PendingRequest>;
  readonly error?: Change<{ readonly name: string; readonly message: string }>;
  readonly compensation?: Change<string>;
  readonly transaction?: Change<string>;
  /** Durable timers: `reply due 2026-…`, one string per active timer. */
  readonly timers?: Change<readonly string[]>;
  readonly context: readonly ValueChange[];
}

const isObject = (value: JsonValue | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

const keyPath = (parent: string, key: string): string =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? (parent === '' ? key : `${parent}.${key}`) : `${parent}[${JSON.stringify(key)}]`;

/** Key-by-key changes between two JSON values; arrays and scalars change as a whole. */
export const diffJson = (before: JsonValue | undefined, after: JsonValue | undefined, path = ''): ValueChange[] => {
  if (sameJson(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const changes: ValueChange[] = [];
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    for (const key of keys) {
      const inBefore = Object.hasOwn(before, key);
      const inAfter = Object.hasOwn(after, key);
      const at = keyPath(path, key);
      if (inBefore && !inAfter) changes.push({ path: at, kind: 'removed', before: before[key] as JsonValue });
      else if (!inBefore && inAfter) changes.push({ path: at, kind: 'added', after: after[key] as JsonValue });
      else changes.push(...diffJson(before[key] as JsonValue, after[key] as JsonValue, at));
    }
    return changes;
  }
  if (before === undefined) return [{ path, kind: 'added', after: after as JsonValue }];
  if (after === undefined) return [{ path, kind: 'removed', before }];
  return [{ path, kind: 'changed', before, after }];
};

const changeOf = <T>(before: T | undefined, after: T | undefined): Change<T> | undefined =>
  sameJson(before, after) ? undefined : { before, after };

const compensationText = (execution: SagaExecution): string | undefined => {
  const { plan, done, failed, attempts } = execution.compensation;
  if (plan.length === 0 && !failed) return undefined;
  const retried = Object.entries(attempts).map(([path, count]) => `${path} failed ${count}×`);
  return (
    `plan ${plan.join(', ') || '(nothing)'}; done ${done.join(', ') || '(nothing yet)'}` +
    `${retried.length > 0 ? `; ${retried.join(', ')}` : ''}${failed ? `; failed at ${failed.path}` : ''}`
  );
};

export const timerText = (timer: SagaExecution['timers'][number]): string =>
  `${timer.purpose}${timer.path !== undefined ? ` (step ${timer.path})` : ''} due ${timer.dueAt}`;

const transactionText = (execution: SagaExecution): string | undefined => {
  const { status, votes } = execution.transaction;
  if (status === 'none') return undefined;
  const answered = votes.filter((v) => v.vote !== undefined).map((v) => `${v.service} ${v.vote ? 'yes' : 'no'}`);
  return answered.length > 0 ? `${status} (${answered.join(', ')})` : status;
};

export const diffExecutions = (before: SagaExecution, after: SagaExecution): ExecutionDiff => {
  const beforeSteps = new Map(before.steps.map((step) => [step.path, step]));
  const steps: StepChange[] = [];
  for (const step of after.steps) {
    const previous = beforeSteps.get(step.path);
    if (previous?.status === step.status) continue;
    steps.push({ path: step.path, kind: step.kind, ...(previous ? { before: previous.status } : {}), after: step.status });
  }
  const status = changeOf<string>(before.revision < 0 ? undefined : before.status, after.status);
  const phase = changeOf<string>(before.revision < 0 ? undefined : before.phase, after.phase);
  const pendingRequest = changeOf(before.pendingRequest, after.pendingRequest);
  const error = changeOf(before.error, after.error);
  const compensation = changeOf(compensationText(before), compensationText(after));
  const transaction = changeOf(transactionText(before), transactionText(after));
  const timers = changeOf<readonly string[]>(before.timers.map(timerText), after.timers.map(timerText));
  return {
    ...(status ? { status } : {}),
    ...(phase ? { phase } : {}),
    steps,
    ...(pendingRequest ? { pendingRequest } : {}),
    ...(error ? { error } : {}),
    ...(compensation ? { compensation } : {}),
    ...(transaction ? { transaction } : {}),
    ...(timers ? { timers } : {}),
    context: diffJson(before.revision < 0 ? {} : before.context, after.context),
  };
};

export const isEmptyDiff = (diff: ExecutionDiff): boolean =>
  !diff.status && !diff.phase && diff.steps.length === 0 && !diff.pendingRequest && !diff.error && !diff.compensation && !diff.transaction && !diff.timers && diff.context.length === 0;
