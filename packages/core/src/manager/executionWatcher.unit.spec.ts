/**
 * A run watches its execution on the store feed before its first decision, and attends only once
 * that decision leaves it waiting. If the feed skipped ahead in between (nobody attended), what another
 * process appended meanwhile is read from the stream: the run never waits for an answer it missed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Saga, SagaRequest } from '@saga/definitions';
import { StoreFeed } from '../feed/storeFeed.js';
import { InMemoryBroker } from '../inMemory/inMemoryBroker.js';
import { InMemoryEventStore } from '../inMemory/inMemoryEventStore.js';
import type { Broker, BrokerMessage } from '../ports/broker.js';
import { silentLogger } from '../ports/logger.js';
import { SagaParticipant } from '../participant/sagaParticipant.js';
import { SagaClient } from './sagaClient.js';
import { SagaWorker } from './sagaWorker.js';

const toClose: Array<{ destroy(): Promise<void> }> = [];
afterEach(async () => {
  for (const closing of toClose.splice(0)) await closing.destroy();
});

const reserve = new Saga('watcher_reserve').remoteStep().onExecute(() => new SagaRequest('stock.reserve', { sku: 'A1' })).commit();

const timeout = <T>(promise: Promise<T>, ms: number): Promise<T | 'still waiting'> =>
  Promise.race([promise, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms).unref())]);

describe('ExecutionWatcher', () => {
  it('a run whose answer was stored by another worker while the feed skipped ahead reads it from the stream and returns', async () => {
    const store = new InMemoryEventStore();
    // Polls often, so that it skips ahead while the run's first decision is still being published.
    const feed = StoreFeed.of(store, { pollMs: 10, logger: silentLogger });
    const broker = new InMemoryBroker();
    const participant = new SagaParticipant({ broker, service: 'stock', logger: silentLogger }).handle('stock.reserve', () => ({ reservation: 'R-1' }));
    // The worker of another process takes the reply and finishes the execution.
    const worker = new SagaWorker({ store, broker, service: 'orders', definitions: [reserve], logger: silentLogger });
    // This process only starts runs. Its publish returns late: the request is out (and answered) at
    // once, but the run sees its first decision stored only 150 ms later, long after the feed moved on.
    const slowPublish: Broker = Object.assign(Object.create(broker) as Broker, {
      publish: async (topic: string, message: BrokerMessage) => {
        await broker.publish(topic, message);
        await new Promise((resolve) => setTimeout(resolve, 150));
      },
    });
    const client = new SagaClient({ store, broker: slowPublish, service: 'orders', definitions: [reserve], logger: silentLogger });
    toClose.push(client, worker, participant, broker, { destroy: async () => feed.stop() });
    await participant.setup();
    await worker.setup();
    await client.setup();

    const run = timeout(client.run({ definition: reserve, context: {} }), 3_000);
    const execution = await run;
    expect(execution).not.toBe('still waiting');
    expect(execution !== 'still waiting' && execution.status).toBe('finished');
  });
});
