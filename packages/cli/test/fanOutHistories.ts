/**
 * Executions of the fan-out saga (a parallel step and a child saga), run by the engine on `store`:
 * one that finishes, and one that fails after its child finished (the child is asked to undo its
 * steps, the branches are compensated). For the unit specs (in memory) and the e2e (SQLite).
 */
import { InMemoryBroker, SagaManager, decodeHistory, executionStream, fold, type EventStore } from '@saga/core';
import { fanOutOrder } from './fixtures/fanOutSaga.mjs';
import { startParticipants } from './fixtures/orderSaga.mjs';
import type { RecordedHistory } from './histories.js';

export interface FanOutRun {
  readonly parent: RecordedHistory;
  readonly child: RecordedHistory;
}

export interface FanOutHistories {
  readonly finished: FanOutRun;
  readonly compensated: FanOutRun;
}

const read = async (store: EventStore, id: string): Promise<RecordedHistory> => {
  const stream = executionStream(id);
  const events = decodeHistory(await store.read(stream), stream);
  return { stream, events, execution: fold(events) };
};

export const recordFanOut = async (store: EventStore): Promise<FanOutHistories> => {
  const broker = new InMemoryBroker();
  const manager = new SagaManager({ store, broker, service: 'order', definitions: [fanOutOrder] });
  await manager.setup();
  const participants = await startParticipants(broker);
  const run = async (context: Record<string, string | number | boolean>): Promise<FanOutRun> => {
    const done = await manager.run({ definition: fanOutOrder, context, raiseOnError: false });
    const parent = await read(store, done.id);
    const childId = parent.execution.steps.find((s) => s.path === '2')?.childId;
    if (childId === undefined) throw new Error(`execution ${done.id} started no child`);
    // The parent ends once the child's end is recorded; a child asked to undo may still be writing.
    for (let i = 0; i < 200; i += 1) {
      const child = await read(store, childId);
      if (child.execution.phase === 'ended' && child.execution.pendingRequests.length === 0 && (child.execution.transaction.notified || child.execution.transaction.participants.length === 0)) {
        return { parent: await read(store, done.id), child };
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`child ${childId} did not end`);
  };
  try {
    return {
      finished: await run({ orderId: 'order-2001', sku: 'A1', amount: 42 }),
      compensated: await run({ orderId: 'order-2002', sku: 'B7', amount: 7, failAfterShipping: true }),
    };
  } finally {
    await participants.destroy();
    await manager.destroy();
  }
};
