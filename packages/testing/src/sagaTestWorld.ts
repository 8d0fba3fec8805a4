/**
 * An in-process world for saga tests: one store, one in-memory broker, managers and participants
 * on them, and a record of every call a participant's handlers and hooks received.
 *
 *   const world = await sagaTestWorld();
 *   world.participant('stock', { 'stock.reserve': (p) => ({ ok: true }) });
 *   const manager = await world.manager();
 *   await manager.run({ definition, context: { sku: 'A1' } });
 *   world.calls('stock.reserve');   // what the participant received
 *   await world.destroy();
 */
import {
  InMemoryBroker,
  InMemoryEventStore,
  SagaManager,
  SagaParticipant,
  type Broker,
  type EventStore,
  type JsonValue,
  type RequestHandler,
  type RequestMeta,
  type SagaManagerOptions,
} from '@saga/core';
import { captureLogger } from './captureLogger.js';

export interface ParticipantHooks {
  readonly onReserve?: (sagaId: string) => boolean | Promise<boolean>;
}

export interface RecordedCall {
  readonly target: string;
  readonly payload: JsonValue;
  readonly meta: RequestMeta;
}

export interface HookCall {
  readonly service: string;
  readonly hook: 'reserve' | 'commit' | 'reject';
  readonly sagaId: string;
}

/** `B` is the world's broker: the in-memory one unless another was given (an adapter's, to run scenarios over it). */
export interface SagaTestWorld<B extends Broker = InMemoryBroker> {
  readonly store: EventStore;
  readonly broker: B;
  readonly logger: ReturnType<typeof captureLogger>;
  /** A set-up manager on the world's store and broker (service 'order' unless given). */
  manager(options?: Partial<SagaManagerOptions>): Promise<SagaManager>;
  /** A set-up participant whose handlers' calls are recorded. */
  participant(service: string, handlers: Record<string, RequestHandler>, hooks?: ParticipantHooks): Promise<SagaParticipant>;
  /** Every call received for `target` (or all calls), in order of arrival. */
  calls(target?: string): RecordedCall[];
  /** Every transaction hook call, in order. */
  hooks(service?: string): HookCall[];
  destroy(): Promise<void>;
}

export function sagaTestWorld(options?: { store?: EventStore; broker?: InMemoryBroker }): Promise<SagaTestWorld>;
export function sagaTestWorld<B extends Broker>(options: { store?: EventStore; broker: B }): Promise<SagaTestWorld<B>>;
export async function sagaTestWorld(options: { store?: EventStore; broker?: Broker } = {}): Promise<SagaTestWorld<Broker>> {
  const store = options.store ?? new InMemoryEventStore();
  const broker = options.broker ?? new InMemoryBroker();
  await store.setup();
  await broker.setup();
  const logger = captureLogger();
  const calls: RecordedCall[] = [];
  const hookCalls: HookCall[] = [];
  const managers: SagaManager[] = [];
  const participants: SagaParticipant[] = [];

  return {
    store,
    broker,
    logger,
    async manager(overrides = {}) {
      const manager = new SagaManager({ store, broker, service: 'order', logger, ...overrides });
      await manager.setup();
      managers.push(manager);
      return manager;
    },
    async participant(service, handlers, hooks = {}) {
      const participant = new SagaParticipant({ broker, service, logger });
      for (const [target, handler] of Object.entries(handlers)) {
        participant.handle(target, async (payload, meta) => {
          calls.push({ target, payload, meta });
          return handler(payload, meta);
        });
      }
      participant
        .onReserve(async (sagaId) => {
          hookCalls.push({ service, hook: 'reserve', sagaId });
          return hooks.onReserve ? hooks.onReserve(sagaId) : true;
        })
        .onCommit((sagaId) => void hookCalls.push({ service, hook: 'commit', sagaId }))
        .onReject((sagaId) => void hookCalls.push({ service, hook: 'reject', sagaId }));
      await participant.setup();
      participants.push(participant);
      return participant;
    },
    calls: (target) => calls.filter((c) => target === undefined || c.target === target),
    hooks: (service) => hookCalls.filter((h) => service === undefined || h.service === service),
    async destroy() {
      for (const manager of managers) await manager.destroy();
      for (const participant of participants) await participant.destroy();
      await broker.destroy();
      await store.destroy();
    },
  };
}
