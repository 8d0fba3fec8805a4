/**
 * Given / when / then for a saga's decisions, without a store or a broker (as Emmett's
 * `DeciderSpecification`): given the events an execution has, when an input comes (a start, a reply,
 * a timer, a cancel…), then these events are decided and these messages would be sent.
 *
 *   const spec = sagaDecider(createOrder);
 *   await spec.given(spec.started({ sku: 'A1' })).when({ kind: 'start' }).then([
 *     sagaEvent('StepFinished', { path: '0', kind: 'local', context: { sku: 'A1', valid: true } }),
 *     sagaEvent('RequestSent', { path: '1', requestId: 'id-1', target: 'stock.reserve', payload: { sku: 'A1' } }),
 *     sagaEvent('TimerScheduled', { timerId: 'id-2', purpose: 'reply', dueAt: '2030-01-01T00:01:00.000Z', requestId: 'id-1', path: '1' }),
 *   ]);
 *
 * Ids are `id-1`, `id-2`… in the order the decision draws them; the clock stands at `now`; retries
 * do not wait; no span is opened. The user callbacks of the definition run, as in the engine.
 */
import { expect } from 'vitest';
import {
  decide,
  defaultDecideOptions,
  fold,
  sagaEvent,
  type DecideInput,
  type DecideOptions,
  type Decision,
  type JsonObject,
  type RetryCall,
  type Saga,
  type SagaEvent,
  type SagaExecution,
} from '@saga/core';

export interface SagaDeciderOptions {
  /** The execution's id in the events `started` builds. Default `'execution-1'`. */
  readonly executionId?: string;
  /** The service that runs it. Default `'order'`. */
  readonly service?: string;
  /** Where the clock stands while deciding. Default `2030-01-01T00:00:00.000Z`. */
  readonly now?: string;
  /** Anything else the engine decides with (reply timeout, commit timeout, compensation retry). */
  readonly decideOptions?: Partial<Pick<DecideOptions, 'replyTimeoutMs' | 'commitTimeoutMs' | 'compensationRetry'>>;
}

export interface DecisionThen {
  /** Asserts the events decided, in order, exactly. */
  then(expected: readonly SagaEvent[]): Promise<Decision>;
  /** Asserts the topics the decision would publish to once stored, in order. */
  thenSends(topics: readonly string[]): Promise<Decision>;
  /** Asserts that nothing is decided, and why (a substring or pattern of the reason). */
  thenIgnored(reason: string | RegExp): Promise<Decision>;
  /** The decision itself, for assertions of your own. */
  decision(): Promise<Decision>;
}

export interface SagaDecider {
  /** The first event of an execution of the definition, with this initial context. */
  started(context?: JsonObject, extra?: { readonly user?: string; readonly autocommit?: boolean; readonly key?: string }): Extract<SagaEvent, { type: 'SagaStarted' }>;
  given(...events: readonly SagaEvent[]): { when(input: DecideInput): DecisionThen; readonly execution: SagaExecution };
}

/** Calls again at once, up to the policy's attempts: the decision is the same, without the waits. */
const retryAtOnce: RetryCall = async (policy, call) => {
  let last = await call();
  for (let attempt = 1; !last.ok && attempt < policy.attempts; attempt += 1) last = await call();
  return last;
};

export const sagaDecider = (definition: Saga, options: SagaDeciderOptions = {}): SagaDecider => {
  const executionId = options.executionId ?? 'execution-1';
  const now = new Date(options.now ?? '2030-01-01T00:00:00.000Z');
  const started: SagaDecider['started'] = (context = {}, extra = {}) =>
    sagaEvent('SagaStarted', {
      executionId,
      definition: { name: definition.name, version: definition.version, fingerprint: definition.fingerprint },
      context,
      user: extra.user ?? null,
      autocommit: extra.autocommit ?? true,
      service: options.service ?? 'order',
      ...(extra.key !== undefined ? { key: extra.key } : {}),
    });
  return {
    started,
    given(...events) {
      const recordedAt = now.toISOString();
      const execution = fold(events.map((event, revision) => ({ ...event, revision, recordedAt })));
      return {
        execution,
        when(input) {
          let ids = 0;
          const decideOptions: DecideOptions = {
            ...defaultDecideOptions,
            ...options.decideOptions,
            now: () => now,
            random: () => 0.5,
            newId: () => `id-${(ids += 1)}`,
            retry: retryAtOnce,
            observeStep: async (_, run) => (await run()).goOn,
          };
          let decided: Promise<Decision> | undefined;
          const decision = (): Promise<Decision> => (decided ??= decide(definition, execution, input, decideOptions));
          return {
            decision,
            async then(expected) {
              const result = await decision();
              expect(result.events).toEqual(expected);
              return result;
            },
            async thenSends(topics) {
              const result = await decision();
              expect(result.outbox.map((o) => o.topic)).toEqual(topics);
              return result;
            },
            async thenIgnored(reason) {
              const result = await decision();
              expect(result.events).toEqual([]);
              expect(result.ignored ?? '').toMatch(reason);
              return result;
            },
          };
        },
      };
    },
  };
};
