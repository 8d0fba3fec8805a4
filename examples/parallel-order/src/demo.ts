/**
 * The four orders of the demo, run on one in-memory store and broker. Returns what each run ended as,
 * the histories of the orders and of their shipping children, and the services' own records, for
 * main.ts to print and the tests to check.
 */
import { InMemoryBroker, InMemoryEventStore, SagaManager, type JsonObject, type SagaExecution, type SagaHistoryEntry } from '@saga/core';
import { createOrder } from './orderSaga.js';
import { startParticipants, type Ledgers } from './participants.js';

export interface DemoRun {
  readonly title: string;
  readonly order: SagaExecution;
  readonly history: readonly SagaHistoryEntry[];
  /** The shipping child, when the order started one. */
  readonly child?: { readonly execution: SagaExecution; readonly history: readonly SagaHistoryEntry[] };
}

export const demoOrders: readonly { readonly title: string; readonly context: JsonObject }[] = [
  { title: 'Order 1: stock and payment at once, then shipped', context: { orderId: 'order-1', sku: 'A1', quantity: 2, amount: 42, address: '1 Main St', customer: 'alice' } },
  { title: 'Order 2: the payment is declined; the stock reservation is released', context: { orderId: 'order-2', sku: 'B7', quantity: 1, amount: 5_000, address: '2 Main St', customer: 'bob' } },
  { title: 'Order 3: shipping fails in the child; the child undoes its label, the order undoes both branches', context: { orderId: 'order-3', sku: 'C3', quantity: 1, amount: 12, address: '', customer: 'carol' } },
  { title: 'Order 4: the invoice is refused after shipping; the finished child is asked to compensate', context: { orderId: 'order-4', sku: 'D4', quantity: 3, amount: 99, address: '4 Main St', customer: 'blocked' } },
];

export const runDemo = async (): Promise<{ runs: DemoRun[]; ledgers: Ledgers }> => {
  const store = new InMemoryEventStore();
  const broker = new InMemoryBroker();
  const manager = new SagaManager({ store, broker, service: 'order' });
  await manager.setup();
  const participants = await startParticipants(broker);
  try {
    const runs: DemoRun[] = [];
    for (const { title, context } of demoOrders) {
      const order = await manager.run({ definition: createOrder, context, raiseOnError: false });
      // The child step's id is in the order's read model; the child is an execution like any other.
      const childId = order.steps.find((step) => step.childId !== undefined)?.childId;
      const child = childId ? { execution: await manager.get(childId), history: await manager.history(childId) } : undefined;
      runs.push({ title, order, history: await manager.history(order.id), ...(child ? { child } : {}) });
    }
    return { runs, ledgers: participants.ledgers };
  } finally {
    await participants.destroy();
    await manager.destroy();
    await broker.destroy();
    await store.destroy();
  }
};
