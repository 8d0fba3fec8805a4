/**
 * `pnpm demo`: two orders on the embedded default store (SQLite under ./.saga, or $SAGA_HOME).
 * The first finishes; the second's payment is declined and the steps before it are compensated.
 * Run it again: the first run's executions are still in the store.
 */
import { SagaManager, defaultStoreUrl } from '@saga/core';
import { createOrder } from './orderSaga.js';
import { startParticipants } from './participants.js';
import { printExecution } from './printExecution.js';

const manager = await SagaManager.fromConfig({ service: 'order' });
await manager.setup();
const participants = await startParticipants(manager.broker);

try {
  const finished = await manager.run({
    definition: createOrder,
    context: { orderId: 'order-1001', sku: 'A1', quantity: 2, amount: 42, express: true },
    user: 'alice',
  });
  printExecution('Order 1001 (42.00, express):', finished, await manager.history(finished.id));

  const declined = await manager.run({
    definition: createOrder,
    context: { orderId: 'order-1002', sku: 'B7', quantity: 1, amount: 5_000, express: false },
    user: 'bob',
    raiseOnError: false,
  });
  printExecution('Order 1002 (5000.00, payment declined, compensated):', declined, await manager.history(declined.id));

  let executions = 0;
  for (let cursor: string | undefined, first = true; first || cursor; first = false) {
    const page = await manager.store.listStreams(cursor ? { after: cursor } : {});
    executions += page.streams.length;
    cursor = page.nextCursor;
  }
  console.log(`\nThe store (${process.env.SAGA_STORE_URL ?? defaultStoreUrl()}) now holds ${executions} executions; run the demo again and they stay.`);
} finally {
  await participants.destroy();
  await manager.destroy();
}
