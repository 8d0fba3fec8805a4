import { afterEach, describe, expect, it } from 'vitest';
import { Saga, SagaRequest, SagaResponse } from '@saga/definitions';
import { StoreFeed } from '../feed/storeFeed.js';
import { InMemoryBroker } from '../inMemory/inMemoryBroker.js';
import { InMemoryEventStore } from '../inMemory/inMemoryEventStore.js';
import { SagaParticipant } from '../participant/sagaParticipant.js';
import type { EventStore } from '../ports/eventStore.js';
import { silentLogger } from '../ports/logger.js';
import { SagaClient } from './sagaClient.js';
import { SagaManager } from './sagaManager.js';
import { SagaWorker } from './sagaWorker.js';

const threeRemote = new Saga('three_remote', { version: '1' })
  .remoteStep().onExecute(() => new SagaRequest('stock.reserve', {})).onFailure(() => new SagaRequest('stock.release', {}))
  .remoteStep().onExecute(() => new SagaRequest('payment.charge', {})).onFailure(() => new SagaRequest('payment.refund', {}))
  .remoteStep().onExecute(() => new SagaRequest('shipping.ship', {}))
  .commit();

const toClose: Array<{ destroy(): Promise<void> }> = [];
afterEach(async () => {
  for (const closing of toClose.splice(0).reverse()) await closing.destroy();
});

const participants = async (broker: InMemoryBroker) => {
  for (const [service, targets] of [
    ['stock', ['stock.reserve', 'stock.release']],
    ['payment', ['payment.charge', 'payment.refund']],
    ['shipping', ['shipping.ship']],
  ] as const) {
    const participant = new SagaParticipant({ broker, service });
    for (const target of targets) participant.handle(target, () => ({ ok: true }));
    await participant.setup();
    toClose.push(participant);
  }
};

/** Counts stream reads and append listeners of a store. */
const counting = (inner: EventStore) => {
  const counts = { reads: 0, appends: 0, listeners: 0 };
  const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
    read: (...args: Parameters<EventStore['read']>) => {
      counts.reads += 1;
      return inner.read(...args);
    },
    append: (...args: Parameters<EventStore['append']>) => {
      counts.appends += 1;
      return inner.append(...args);
    },
    onAppended: (listener: () => void) => {
      counts.listeners += 1;
      const stop = inner.onAppended(listener);
      return () => {
        counts.listeners -= 1;
        stop();
      };
    },
  });
  return { store, counts };
};

describe('SagaClient and SagaWorker', () => {
  it('a saga of three remote steps and a transaction reads its stream 0 times: decisions start from what the worker kept', async () => {
    const { store, counts } = counting(new InMemoryEventStore());
    const broker = new InMemoryBroker();
    await participants(broker);
    const manager = new SagaManager({ store, broker, service: 'orders', logger: silentLogger });
    toClose.push(manager);
    await manager.setup();
    counts.reads = 0;
    for (let i = 0; i < 20; i += 1) expect((await manager.run({ definition: threeRemote })).status).toBe('finished');
    expect(counts.reads).toBe(0);
  });

  it('a client without a worker starts the saga and waits through the store while a worker in another "process" takes the replies', async () => {
    const store = new InMemoryEventStore();
    const broker = new InMemoryBroker();
    await participants(broker);
    const worker = new SagaWorker({ store, broker, service: 'orders', definitions: [threeRemote], logger: silentLogger });
    const client = new SagaClient({ store, broker, service: 'orders', logger: silentLogger });
    toClose.push(worker, client);
    await worker.setup();
    await client.setup();
    const execution = await client.run({ definition: threeRemote, context: { order: 7 } });
    expect(execution.status).toBe('finished');
    expect(execution.transaction.status).toBe('committed');
    // The worker records that the commit went out after the client saw the decision (TransactionNotified).
    const stored = await client.get(execution.id);
    expect({ ...stored, revision: execution.revision, transaction: execution.transaction, updatedAt: execution.updatedAt }).toEqual(execution);
    expect((await client.list({ service: 'orders' })).entries.map((e) => e.executionId)).toEqual([execution.id]);
  });

  it('a reply is never dropped on a stale kept state: another process moved the execution on, and its new request is answered here', async () => {
    const store = new InMemoryEventStore();
    const broker = new InMemoryBroker();
    const twoSteps = new Saga('two_steps')
      .remoteStep().onExecute(() => new SagaRequest('manual.first', {}))
      .remoteStep().onExecute(() => new SagaRequest('auto.second', {}))
      .commit();
    const auto = new SagaParticipant({ broker, service: 'auto' }).handle('auto.second', () => ({ ok: true }));
    await auto.setup();
    toClose.push(auto);
    // This process: keeps the execution as it was when step 1's request went out.
    const here = new SagaManager({ store, broker, service: 'orders', logger: silentLogger, recoveryIntervalMs: 0 });
    toClose.push(here);
    await here.setup();
    const paused = await here.run({ definition: twoSteps, pauseOnDisk: true });
    // Another process (a client only: it takes no replies) applies step 1's reply and sends step 2's request.
    const elsewhere = new SagaClient({ store, broker, service: 'orders', definitions: [twoSteps], logger: silentLogger });
    toClose.push(elsewhere);
    await elsewhere.setup();
    const requestId = paused.pendingRequest?.requestId ?? '';
    await elsewhere.run({ response: new SagaResponse({ sagaId: paused.id, requestId, payload: {} }), pauseOnDisk: true });
    // Step 2's reply reaches this process's worker, which kept the old state.
    for (let i = 0; i < 100 && (await here.get(paused.id)).status !== 'finished'; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await here.get(paused.id)).status).toBe('finished');
  });

  it('10,000 concurrent waiting runs hold one store listener', async () => {
    const { store, counts } = counting(new InMemoryEventStore());
    const broker = new InMemoryBroker();
    const waits = new Saga('waits').remoteStep().onExecute(() => new SagaRequest('nobody.listens', {})).commit();
    const manager = new SagaManager({ store, broker, service: 'orders', logger: silentLogger, replyTimeoutMs: 3_600_000, recoveryIntervalMs: 0 });
    await manager.setup();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => void warnings.push(warning.name);
    process.on('warning', onWarning);
    const runs = Array.from({ length: 10_000 }, () => manager.run({ definition: waits }).catch((error: unknown) => error));
    for (let i = 0; i < 500 && StoreFeed.of(store).listenerCount < 10_000; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(StoreFeed.of(store).listenerCount).toBe(10_000);
    expect(counts.listeners).toBe(1);
    await manager.destroy();
    await Promise.all(runs);
    process.off('warning', onWarning);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  }, 60_000);
});
