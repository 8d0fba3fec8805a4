/**
 * A SQLite store holding the executions the CLI tests read: one finished, one compensated (the
 * card is declined), one paused (nobody answers its request), and one whose stream does not
 * decode at revision 1 (its index entry is the one the engine wrote before the stream was broken).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { InMemoryBroker, SagaManager, decodeHistory, executionStream, fold, indexEntryOf } from '@saga/core';
import { SqliteEventStore } from '@saga/sqlite';
import { createOrder, startParticipants } from './fixtures/orderSaga.mjs';

export interface RecordedStore {
  readonly url: string;
  readonly file: string;
  readonly ids: { readonly finished: string; readonly compensated: string; readonly paused: string; readonly corrupted: string };
}

/** `saga list` orders by start time (to the millisecond): executions recorded in the same one would come in any order. */
const nextMillisecond = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

export const recordStore = async (dir: string): Promise<RecordedStore> => {
  const file = join(dir, 'saga.db');
  const store = new SqliteEventStore({ filename: file });
  const broker = new InMemoryBroker();
  const manager = new SagaManager({ store, broker, service: 'order' });
  await manager.setup();
  const participants = await startParticipants(broker);
  // A second service on the same store whose requests nobody answers: its execution stays paused.
  const silent = new SagaManager({ store, broker: new InMemoryBroker(), service: 'order' });
  await silent.setup();
  try {
    const finished = await manager.run({ definition: createOrder, context: { orderId: 'order-1001', sku: 'A1', amount: 42, express: true }, user: 'alice' });
    await nextMillisecond();
    const compensated = await manager.run({
      definition: createOrder,
      context: { orderId: 'order-1002', sku: 'B7', amount: 5000, express: false },
      user: 'bob',
      raiseOnError: false,
    });
    await nextMillisecond();
    const paused = await silent.run({ definition: createOrder, context: { orderId: 'order-1003', sku: 'C3', amount: 10 }, pauseOnDisk: true });
    await nextMillisecond();
    const corrupted = randomUUID();
    await store.append(
      executionStream(corrupted),
      [
        {
          type: 'SagaStarted',
          data: { executionId: corrupted, definition: { name: 'create_order', version: '1', fingerprint: createOrder.fingerprint }, context: { orderId: 'order-1004' }, user: null, autocommit: true, service: 'order' },
        },
        // `kind` is missing: written by hand, or by a buggy tool, not by the engine.
        { type: 'StepFinished', data: { path: '0', context: { orderId: 'order-1004', state: 'pending' } } },
        { type: 'RequestSent', data: { path: '1', requestId: 'r-1', target: 'stock.reserve', payload: {} } },
      ],
      'no_stream',
    );
    // The entry the engine wrote with SagaStarted; the events after it were written by hand.
    const stream = executionStream(corrupted);
    const first = await store.read(stream);
    await store.index.put([indexEntryOf(fold(decodeHistory(first.slice(0, 1), stream)))]);
    return { url: `sqlite:${file}`, file, ids: { finished: finished.id, compensated: compensated.id, paused: paused.id, corrupted } };
  } finally {
    await participants.destroy();
    await silent.destroy();
    await manager.destroy();
    await store.destroy();
  }
};
