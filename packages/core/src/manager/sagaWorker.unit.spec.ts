import { afterEach, describe, expect, it, vi } from 'vitest';
import { Saga, SagaRequest, SagaResponse } from '@saga/definitions';
import { InMemoryBroker } from '../inMemory/inMemoryBroker.js';
import { InMemoryEventStore } from '../inMemory/inMemoryEventStore.js';
import type { EventStore } from '../ports/eventStore.js';
import { silentLogger } from '../ports/logger.js';
import { SagaManager } from './sagaManager.js';
import { SagaWorker } from './sagaWorker.js';
import { SagaClient } from './sagaClient.js';

const waiting = new Saga('waits', { version: '1' })
  .remoteStep()
  .onExecute(() => new SagaRequest('nobody.listens', {}))
  .commit();

const toClose: Array<{ destroy(): Promise<void> }> = [];
afterEach(async () => {
  for (const closing of toClose.splice(0)) await closing.destroy();
});

/** A store that counts stream reads, and what recovery asks of the index. */
const counting = (inner: EventStore) => {
  const counts = { reads: 0, listings: 0 };
  const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
    read: (...args: Parameters<EventStore['read']>) => {
      counts.reads += 1;
      return inner.read(...args);
    },
    listStreams: (...args: Parameters<EventStore['listStreams']>) => {
      counts.listings += 1;
      return inner.listStreams(...args);
    },
  });
  return { store, counts };
};

describe('SagaWorker', () => {
  it('4 workers of one service share the takeover of a dead worker\'s executions: each taken over exactly once', async () => {
    const store = new InMemoryEventStore();
    const broker = new InMemoryBroker();
    // The worker that started them dies (its leases, 20 ms, run out; it never renews them).
    const starter = new SagaManager({ store, broker, service: 'orders', logger: silentLogger, recoveryIntervalMs: 0, leaseMs: 20 });
    await starter.setup();
    const ids = await Promise.all(Array.from({ length: 250 }, () => starter.run({ definition: waiting, pauseOnDisk: true, returnExecution: false })));
    await starter.worker.destroy();
    await new Promise((resolve) => setTimeout(resolve, 40));

    const workers = Array.from({ length: 4 }, (_, i) => new SagaWorker({ store, broker, service: 'orders', definitions: [waiting], logger: silentLogger, recoverOnSetup: false, recoveryIntervalMs: 0, workerId: `w${i}` }));
    toClose.push(...workers);
    await Promise.all(workers.map((w) => w.setup()));
    const reports = await Promise.all(workers.map((w) => w.sweep()));
    const recovered = reports.map((r) => r.recovered);
    expect(recovered.reduce((a, b) => a + b, 0)).toBe(ids.length);
    expect(reports.reduce((a, r) => a + r.republished, 0)).toBe(ids.length);
    // Shared, not all done by whoever came first and not each doing all of it.
    expect(Math.max(...recovered)).toBeLessThan(ids.length);
    // A second round of sweeps finds nothing to take over: the leases are held (and renewed).
    expect((await Promise.all(workers.map((w) => w.sweep()))).reduce((a, r) => a + r.recovered, 0)).toBe(0);
  });

  it('workers with stable ids share start-up recovery: each open execution nobody holds is taken over once; one without an id takes all', async () => {
    const store = new InMemoryEventStore();
    const broker = new InMemoryBroker();
    const starter = new SagaManager({ store, broker, service: 'orders', logger: silentLogger, recoveryIntervalMs: 0 });
    await starter.setup();
    const ids = await Promise.all(Array.from({ length: 250 }, () => starter.run({ definition: waiting, pauseOnDisk: true, returnExecution: false })));
    // A clean stop: its leases are released, nobody holds these executions.
    await starter.destroy();

    const workers = Array.from({ length: 4 }, (_, i) => new SagaWorker({ store, broker, service: 'orders', definitions: [waiting], logger: silentLogger, recoveryIntervalMs: 0, workerId: `w${i}` }));
    toClose.push(...workers);
    const reports = await Promise.all(workers.map(async (w) => (await w.setup(), w.sweep())));
    // What each holds now is what its setup took over.
    const recoveredOnSetup = await Promise.all(workers.map((w) => store.index.renew({ service: 'orders', owner: w.workerId, leaseMs: 60_000 })));
    expect(recoveredOnSetup.reduce((a, b) => a + b, 0)).toBe(ids.length);
    expect(Math.max(...recoveredOnSetup)).toBeLessThan(ids.length);
    // Setup took them all: the sweeps right after found nothing left to take.
    expect(reports.reduce((a, r) => a + r.recovered, 0)).toBe(0);

    // A worker whose id is new cannot tell these leases from a dead process's: it re-sends every open one.
    const anonymous = new SagaWorker({ store, broker, service: 'orders', definitions: [waiting], logger: silentLogger, recoveryIntervalMs: 0 });
    toClose.push(anonymous);
    expect((await anonymous.recover()).recovered).toBe(ids.length);
  });

  it('a worker with a stable id leaves live workers\' executions alone on start-up, and takes its own back at once after a restart', async () => {
    const store = new InMemoryEventStore();
    const broker = new InMemoryBroker();
    const first = new SagaManager({ store, broker, service: 'orders', logger: silentLogger, recoveryIntervalMs: 0, workerId: 'pod-a', leaseMs: 60_000 });
    await first.setup();
    const ids = await Promise.all(Array.from({ length: 20 }, () => first.run({ definition: waiting, pauseOnDisk: true, returnExecution: false })));
    const heard: string[] = [];
    const spy = await broker.subscribe('nobody.listens', 'spy', async (message) => void heard.push(message.id));
    toClose.push({ destroy: () => spy.close() });

    // pod-b starts while pod-a is alive: pod-a's leases are live, nothing is re-sent.
    const other = new SagaWorker({ store, broker, service: 'orders', definitions: [waiting], logger: silentLogger, recoveryIntervalMs: 0, workerId: 'pod-b' });
    toClose.push(other);
    await other.setup();
    expect(heard).toHaveLength(0);

    // pod-a comes back (its process died: its worker never released anything) under the same id.
    const again = new SagaWorker({ store, broker, service: 'orders', definitions: [waiting], logger: silentLogger, recoveryIntervalMs: 0, workerId: 'pod-a' });
    toClose.push(again, first);
    await again.setup();
    for (let i = 0; i < 50 && heard.length < ids.length; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(heard).toHaveLength(ids.length);
  });

  it('takes replies 64 at a time by default, replyConcurrency when given, and refuses nonsense', async () => {
    const concurrencyOf = async (replyConcurrency?: number): Promise<number | undefined> => {
      const broker = new InMemoryBroker();
      let asked: number | undefined;
      const spying = Object.assign(Object.create(broker) as InMemoryBroker, {
        subscribe: (...args: Parameters<InMemoryBroker['subscribe']>) => {
          asked = args[3]?.concurrency;
          return broker.subscribe(...args);
        },
      });
      const worker = new SagaWorker({ store: new InMemoryEventStore(), broker: spying, service: 'orders', logger: silentLogger, recoveryIntervalMs: 0, ...(replyConcurrency === undefined ? {} : { replyConcurrency }) });
      toClose.push(worker);
      await worker.setup();
      return asked;
    };
    expect(await concurrencyOf()).toBe(64);
    expect(await concurrencyOf(8)).toBe(8);
    expect(() => new SagaWorker({ store: new InMemoryEventStore(), broker: new InMemoryBroker(), service: 'orders', replyConcurrency: 0 })).toThrow(/replyConcurrency must be a whole number ≥ 1/);
  });

  it('recovery reads the index, not the history: finished executions are never read', async () => {
    const inner = new InMemoryEventStore();
    const { store, counts } = counting(inner);
    const broker = new InMemoryBroker();
    const quick = new Saga('quick').localStep().onExecute((ctx) => ctx.with({ done: true })).commit();
    const starter = new SagaManager({ store, broker, service: 'orders', logger: silentLogger, recoveryIntervalMs: 0 });
    await starter.setup();
    for (let i = 0; i < 300; i += 1) await starter.run({ definition: quick });
    const open = await Promise.all(Array.from({ length: 5 }, () => starter.run({ definition: waiting, pauseOnDisk: true, returnExecution: false })));
    await starter.destroy();

    counts.reads = 0;
    const worker = new SagaWorker({ store, broker, service: 'orders', definitions: [waiting, quick], logger: silentLogger, recoveryIntervalMs: 0 });
    toClose.push(worker);
    await worker.setup();
    expect(counts.reads).toBe(open.length);
    expect(counts.listings).toBe(0);
  });

  it('the sweep takes on timers due soon of executions nobody holds, once leases have expired', async () => {
    const store = new InMemoryEventStore();
    const broker = new InMemoryBroker();
    const dying = new SagaManager({ store, broker, service: 'orders', logger: silentLogger, recoveryIntervalMs: 0, replyTimeoutMs: 200 });
    await dying.setup();
    const id = await dying.run({ definition: waiting, pauseOnDisk: true, returnExecution: false });
    // The process dies: its in-memory timer is gone with it (no destroy that would drain anything).
    await dying.worker.destroy();

    const heir = new SagaManager({ store, broker, service: 'orders', definitions: [waiting], logger: silentLogger, recoverOnSetup: false, recoveryIntervalMs: 100, leaseMs: 50 });
    toClose.push(heir);
    await heir.setup();
    for (let i = 0; i < 100 && (await heir.get(id)).status !== 'errored'; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    const execution = await heir.get(id);
    expect(execution.status).toBe('errored');
    expect(execution.error?.name).toBe('ReplyTimeoutError');
  });

  it('taking over an execution reads it: what this worker kept of it is stale once another worker moved it on', async () => {
    const store = new InMemoryEventStore();
    const broker = new InMemoryBroker();
    const twoSteps = new Saga('two_steps_takeover')
      .remoteStep().onExecute(() => new SagaRequest('first.target', {}))
      .remoteStep().onExecute(() => new SagaRequest('second.target', {}))
      .commit();
    const heard: string[] = [];
    const listener = await broker.subscribe('second.target', 'spy', async (message) => void heard.push(message.id));
    toClose.push({ destroy: () => listener.close() });
    // This worker starts the execution and keeps it (step 1's request pending).
    const here = new SagaManager({ store, broker, service: 'orders', definitions: [twoSteps], logger: silentLogger, recoverOnSetup: false, recoveryIntervalMs: 0 });
    toClose.push(here);
    await here.setup();
    const paused = await here.run({ definition: twoSteps, pauseOnDisk: true });
    // Another process applies step 1's reply, stores step 2's request, and dies before it is published.
    const dying = new SagaClient({ store, broker: Object.assign(Object.create(broker) as InMemoryBroker, { publish: async () => Promise.reject(new Error('killed')) }), service: 'orders', definitions: [twoSteps], logger: silentLogger, leaseMs: 30 });
    await dying.setup();
    await dying.run({ response: new SagaResponse({ sagaId: paused.id, requestId: paused.pendingRequest?.requestId ?? '', payload: {} }), pauseOnDisk: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Its lease expired: this worker takes the execution over and sends what it owes now (step 2's request).
    const report = await here.worker.sweep();
    expect(report.recovered).toBe(1);
    for (let i = 0; i < 50 && heard.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(heard).toHaveLength(1);
    expect((await here.get(paused.id)).pendingRequest?.target).toBe('second.target');
  });

  it('a remote step with a 30-day timeout() waits 30 days, not 1 ms (setTimeout overflows past 2³¹−1 ms)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const thirtyDays = 30 * 24 * 3_600_000;
      const patient = new Saga('patient').remoteStep().onExecute(() => new SagaRequest('nobody.listens', {})).timeout(thirtyDays).commit();
      const manager = new SagaManager({ store: new InMemoryEventStore(), broker: new InMemoryBroker(), service: 'orders', logger: silentLogger, recoveryIntervalMs: 0 });
      toClose.push(manager);
      await manager.setup();
      const paused = await manager.run({ definition: patient, pauseOnDisk: true });
      expect(paused.timers).toEqual([expect.objectContaining({ purpose: 'reply' })]);
      await vi.advanceTimersByTimeAsync(1_000);
      expect((await manager.get(paused.id)).status).toBe('paused');
      await vi.advanceTimersByTimeAsync(thirtyDays - 60_000);
      expect((await manager.get(paused.id)).status).toBe('paused');
      await vi.advanceTimersByTimeAsync(120_000);
      await vi.waitFor(async () => expect((await manager.get(paused.id)).error?.name).toBe('ReplyTimeoutError'));
    } finally {
      vi.useRealTimers();
    }
  });
});
