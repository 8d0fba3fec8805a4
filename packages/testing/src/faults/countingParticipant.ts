/**
 * A participant whose effects are counted per `requestId`: "exactly-once in effect" means every
 * request id's effect happened once, however often the request was delivered or re-sent.
 *
 * It is the built-in `SagaParticipant`, with a count of how often each handler really ran. Without
 * an inbox it de-duplicates in memory, which `restart()` forgets; with one (`PostgresInbox`,
 * `SqliteInbox`, or an `InMemoryInbox` that outlives the participant object), the restarted
 * participant finds what it did there.
 */
import { SagaParticipant, type Broker, type JsonValue, type Logger, type ParticipantInbox, type RequestMeta } from '@saga/core';

export type EffectHandler = (payload: JsonValue, meta: RequestMeta<unknown>) => unknown;

export interface EffectRecord {
  readonly target: string;
  readonly sagaId: string;
  readonly requestId: string;
  readonly purpose: RequestMeta['purpose'];
}

export interface CountingParticipantOptions {
  readonly logger?: Logger;
  /**
   * The inbox every instance of the participant uses, `restart()` included (it is not destroyed
   * here: its owner does that). Default: none, so each instance has its own in-memory inbox.
   */
  readonly inbox?: ParticipantInbox<unknown>;
  /** The participant's vote on a saga's commit. Default: yes. */
  readonly vote?: (sagaId: string) => boolean | Promise<boolean>;
}

export interface CountingParticipant {
  readonly service: string;
  /** Effects (handler runs that changed something) per request id. */
  readonly effects: ReadonlyMap<string, number>;
  /** Every effect, in order. */
  readonly records: readonly EffectRecord[];
  /** Transaction hook calls per saga id. */
  readonly hooks: { readonly reserve: ReadonlyMap<string, number>; readonly commit: ReadonlyMap<string, number>; readonly reject: ReadonlyMap<string, number> };
  /** Request ids whose effect happened more than once. */
  duplicatedEffects(): string[];
  /** Stops the participant and starts a new instance (its in-memory de-duplication is gone). */
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

const bump = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);

export const countingParticipant = async (
  broker: Broker,
  service: string,
  handlers: Readonly<Record<string, EffectHandler>>,
  options: CountingParticipantOptions = {},
): Promise<CountingParticipant> => {
  const effects = new Map<string, number>();
  const records: EffectRecord[] = [];
  const hooks = { reserve: new Map<string, number>(), commit: new Map<string, number>(), reject: new Map<string, number>() };
  let current: SagaParticipant<unknown> | undefined;

  const effect = (target: string, handler: EffectHandler) => async (payload: JsonValue, meta: RequestMeta<unknown>) => {
    bump(effects, meta.requestId);
    records.push({ target, sagaId: meta.sagaId, requestId: meta.requestId, purpose: meta.purpose });
    return handler(payload, meta);
  };

  const start = async (): Promise<void> => {
    const participant = new SagaParticipant<unknown>({
      broker,
      service,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.inbox ? { inbox: options.inbox } : {}),
    });
    for (const [target, handler] of Object.entries(handlers)) participant.handle(target, effect(target, handler));
    participant
      .onReserve(async (sagaId) => {
        bump(hooks.reserve, sagaId);
        return options.vote ? options.vote(sagaId) : true;
      })
      .onCommit((sagaId) => bump(hooks.commit, sagaId))
      .onReject((sagaId) => bump(hooks.reject, sagaId));
    await participant.setup();
    current = participant;
  };

  await start();
  return {
    service,
    effects,
    records,
    hooks,
    duplicatedEffects: () => [...effects].filter(([, n]) => n > 1).map(([id]) => id),
    restart: async () => {
      await current?.destroy();
      await start();
    },
    destroy: async () => {
      await current?.destroy();
      current = undefined;
    },
  };
};
