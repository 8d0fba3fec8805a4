import { afterEach, describe, expect, it } from 'vitest';
import { Saga, SagaRequest, SagaResponse } from '@saga/definitions';
import { InMemoryBroker } from '../inMemory/inMemoryBroker.js';
import { InMemoryEventStore } from '../inMemory/inMemoryEventStore.js';
import type { BrokerMessage } from '../ports/broker.js';
import { silentLogger } from '../ports/logger.js';
import { SagaManager } from './sagaManager.js';
import { SagaClient } from './sagaClient.js';

const branch = (target: string) => new Saga(`branch_${target}`).remoteStep().onExecute(() => new SagaRequest(target, {})).commit();
const fanOut = new Saga('fan_out_handover').parallelStep().branch(branch('a.do')).branch(branch('b.do')).commit();

const toClose: Array<{ destroy(): Promise<void> }> = [];
afterEach(async () => {
  for (const closing of toClose.splice(0)) await closing.destroy();
});

const listen = async (broker: InMemoryBroker, topic: string): Promise<string[]> => {
  const heard: string[] = [];
  const subscription = await broker.subscribe(topic, 'spy', async (message: BrokerMessage) => void heard.push(String(message.headers.requestId)));
  toClose.push({ destroy: () => subscription.close() });
  return heard;
};

const settle = async (until: () => boolean): Promise<void> => {
  for (let i = 0; i < 50 && !until(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('owedBeforeHandover: a writer that takes an execution over sends what the previous writer owed', () => {
  it('a request stored by a writer that died before publishing it is sent by the worker whose append took the lease', async () => {
    const store = new InMemoryEventStore();
    const broker = new InMemoryBroker();
    const a = await listen(broker, 'a.do');
    const b = await listen(broker, 'b.do');
    // The first writer stores both branches' requests and dies after publishing only a.do's. Its lease is
    // live for a minute: no sweep would take the execution over before then.
    const dying = new SagaClient({
      store,
      broker: Object.assign(Object.create(broker) as InMemoryBroker, {
        publish: (topic: string, message: BrokerMessage) => (topic === 'b.do' ? Promise.reject(new Error('killed')) : broker.publish(topic, message)),
      }),
      service: 'orders',
      definitions: [fanOut],
      logger: silentLogger,
      leaseMs: 60_000,
    });
    await dying.setup();
    const paused = await dying.run({ definition: fanOut, pauseOnDisk: true });
    await settle(() => a.length > 0);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(0);

    // a.do's reply reaches another worker, which reads the execution (it never kept it) and appends.
    const worker = new SagaManager({ store, broker, service: 'orders', definitions: [fanOut], logger: silentLogger, recoverOnSetup: false, recoveryIntervalMs: 0, workerId: 'pod-b' });
    toClose.push(worker);
    await worker.setup();
    const requestA = paused.pendingRequests.find((pending) => pending.target === 'a.do')?.requestId ?? '';
    const requestB = paused.pendingRequests.find((pending) => pending.target === 'b.do')?.requestId ?? '';
    await worker.run({ response: new SagaResponse({ sagaId: paused.id, requestId: requestA, payload: {} }), pauseOnDisk: true });
    await settle(() => b.length > 0);
    expect(b).toEqual([requestB]);
    // What the reply settled is not sent again.
    expect(a).toHaveLength(1);
  });

  it('the writer that kept the state it decides from sends nothing twice', async () => {
    const store = new InMemoryEventStore();
    const broker = new InMemoryBroker();
    const a = await listen(broker, 'a.do');
    const b = await listen(broker, 'b.do');
    const manager = new SagaManager({ store, broker, service: 'orders', definitions: [fanOut], logger: silentLogger, recoveryIntervalMs: 0 });
    toClose.push(manager);
    await manager.setup();
    const paused = await manager.run({ definition: fanOut, pauseOnDisk: true });
    const requestA = paused.pendingRequests.find((pending) => pending.target === 'a.do')?.requestId ?? '';
    await manager.run({ response: new SagaResponse({ sagaId: paused.id, requestId: requestA, payload: {} }), pauseOnDisk: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
  });
});
