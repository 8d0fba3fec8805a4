/** Real histories, recorded in memory, for the pure functions' unit tests. */
import { InMemoryBroker, InMemoryEventStore, SagaManager, decodeHistory, executionStream, fold, type RecordedSagaEvent, type SagaExecution } from '@saga/core';
import { createOrder, startParticipants } from './fixtures/orderSaga.mjs';

export interface RecordedHistory {
  readonly stream: string;
  readonly events: RecordedSagaEvent[];
  readonly execution: SagaExecution;
}

export interface Histories {
  readonly finished: RecordedHistory;
  readonly compensated: RecordedHistory;
  readonly paused: RecordedHistory;
}

export const recordHistories = async (): Promise<Histories> => {
  const store = new InMemoryEventStore();
  const broker = new InMemoryBroker();
  const manager = new SagaManager({ store, broker, service: 'order' });
  const silent = new SagaManager({ store, broker: new InMemoryBroker(), service: 'order' });
  await manager.setup();
  await silent.setup();
  const participants = await startParticipants(broker);
  const read = async (id: string): Promise<RecordedHistory> => {
    const stream = executionStream(id);
    const events = decodeHistory(await store.read(stream), stream);
    return { stream, events, execution: fold(events) };
  };
  try {
    const finished = await manager.run({ definition: createOrder, context: { orderId: 'o-1', sku: 'A1', amount: 42, express: true }, user: 'alice' });
    const compensated = await manager.run({ definition: createOrder, context: { orderId: 'o-2', sku: 'B7', amount: 5000 }, raiseOnError: false });
    const paused = await silent.run({ definition: createOrder, context: { orderId: 'o-3', sku: 'C3', amount: 1 }, pauseOnDisk: true });
    return { finished: await read(finished.id), compensated: await read(compensated.id), paused: await read(paused.id) };
  } finally {
    await participants.destroy();
    await silent.destroy();
    await manager.destroy();
  }
};

/** The first event of `type` (and step `path`), for tests that change or drop it. */
export const indexOf = (events: readonly RecordedSagaEvent[], type: string, path?: string): number =>
  events.findIndex((e) => e.type === type && (path === undefined || ('path' in e.data && e.data.path === path)));

/** Renumbers revisions after events were removed or reordered. */
export const renumber = (events: readonly RecordedSagaEvent[]): RecordedSagaEvent[] => events.map((e, revision) => ({ ...e, revision }));
