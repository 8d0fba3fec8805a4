import { afterEach, describe, expect, it } from 'vitest';
import { Saga, SagaRequest } from '@saga/definitions';
import { initialExecution, type SagaExecution } from '@saga/execution';
import { InMemoryBroker } from '../../inMemory/inMemoryBroker.js';
import { InMemoryEventStore } from '../../inMemory/inMemoryEventStore.js';
import { SagaParticipant } from '../../participant/sagaParticipant.js';
import type { EventStore } from '../../ports/eventStore.js';
import { silentLogger } from '../../ports/logger.js';
import { SagaManager } from '../sagaManager.js';
import { votesStillOut } from './votesStillOut.js';

const voting = (votes: SagaExecution['transaction']['votes'], status: SagaExecution['transaction']['status'] = 'reserving'): SagaExecution => ({
  ...initialExecution(),
  transaction: { status, participants: votes.map((v) => v.service), votes, notified: false },
});

describe('votesStillOut', () => {
  const asked = voting([
    { service: 'stock', requestId: 'v1' },
    { service: 'payment', requestId: 'v2', vote: true },
    { service: 'shipping', requestId: 'v3' },
  ]);

  it('counts the open votes the arrived replies leave out, when they hold one', () => {
    expect(votesStillOut(asked, [{ requestId: 'v1' }])).toBe(1);
    expect(votesStillOut(asked, [{ requestId: 'v1' }, { requestId: 'v3' }])).toBe(0);
  });

  it('is 0 for replies that are no open vote, and when nothing is being voted on', () => {
    expect(votesStillOut(asked, [{ requestId: 'step-reply' }])).toBe(0);
    expect(votesStillOut(asked, [{ requestId: 'v2' }])).toBe(0);
    expect(votesStillOut(voting(asked.transaction.votes, 'committed'), [{ requestId: 'v1' }])).toBe(0);
  });
});

const toClose: Array<{ destroy(): Promise<void> }> = [];
afterEach(async () => {
  for (const closing of toClose.splice(0).reverse()) await closing.destroy();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Three participants whose votes come `voteAfterMs` apart, and a store that counts appends. */
const world = async (voteAfterMs: readonly number[]) => {
  const broker = new InMemoryBroker();
  const inner = new InMemoryEventStore();
  let appends = 0;
  const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
    append: (...args: Parameters<EventStore['append']>) => {
      appends += 1;
      return inner.append(...args);
    },
  });
  const services = ['stock', 'payment', 'shipping'];
  for (const [index, service] of services.entries()) {
    const participant = new SagaParticipant({ broker, service, logger: silentLogger });
    participant.handle(`${service}.do`, () => ({ ok: true }));
    participant.onReserve(async () => {
      await sleep(voteAfterMs[index] ?? 0);
      return true;
    });
    await participant.setup();
    toClose.push(participant);
  }
  return { broker, store, appends: () => appends };
};

describe('vote linger: votes that come apart within voteLingerMs are one decision', () => {
  const threeSteps = new Saga('three_votes')
    .remoteStep().onExecute(() => new SagaRequest('stock.do', {}))
    .remoteStep().onExecute(() => new SagaRequest('payment.do', {}))
    .remoteStep().onExecute(() => new SagaRequest('shipping.do', {}))
    .commit();

  const run = async (voteAfterMs: readonly number[], voteLingerMs: number | undefined) => {
    const { broker, store, appends } = await world(voteAfterMs);
    const manager = new SagaManager({ store, broker, service: 'orders', definitions: [threeSteps], logger: silentLogger, recoveryIntervalMs: 0, ...(voteLingerMs === undefined ? {} : { voteLingerMs }) });
    toClose.push(manager);
    await manager.setup();
    const before = appends();
    const done = await manager.run({ definition: threeSteps });
    expect(done.transaction.status).toBe('committed');
    const history = await manager.history(done.id);
    return { appends: appends() - before, votes: history.filter((e) => e.type === 'VoteReceived').length };
  };

  it('votes 15 ms apart: one append for all three with a linger, one each without', async () => {
    // start + 3 replies + the votes + TransactionNotified.
    const started = performance.now();
    expect(await run([0, 15, 30], 2_000)).toEqual({ appends: 6, votes: 3 });
    // The linger ends when the last vote is in, not after its 2 s.
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(await run([0, 15, 30], 0)).toEqual({ appends: 8, votes: 3 });
  });

  it('lingers 5 ms by default, and not at all on a broker that delivers one execution\'s messages in order', async () => {
    expect(await run([0, 1, 2], undefined)).toEqual({ appends: 6, votes: 3 });
    // Such a broker (Kafka) holds the next vote of an execution until the handler of this one returns.
    const store = new InMemoryEventStore();
    const inOrder = Object.assign(Object.create(new InMemoryBroker()) as InMemoryBroker, { deliversEachExecutionInOrder: true });
    expect(new SagaManager({ store, broker: inOrder, service: 'orders' }).worker.voteLingerMs).toBe(0);
    expect(new SagaManager({ store, broker: inOrder, service: 'orders', voteLingerMs: 7 }).worker.voteLingerMs).toBe(7);
    expect(new SagaManager({ store, broker: new InMemoryBroker(), service: 'orders' }).worker.voteLingerMs).toBe(5);
  });

  it('waits no longer than the linger: a vote 300 ms late is decided on its own', async () => {
    expect(await run([0, 0, 300], 20)).toEqual({ appends: 7, votes: 3 });
  });

  it('destroy() decides the votes a batch holds for its siblings before it returns', async () => {
    // The third participant never votes: two votes wait in a batch with a 10 s linger.
    const { broker, store } = await world([0, 0, 60_000]);
    const manager = new SagaManager({ store, broker, service: 'orders', definitions: [threeSteps], logger: silentLogger, recoveryIntervalMs: 0, voteLingerMs: 10_000 });
    await manager.setup();
    const paused = await manager.run({ definition: threeSteps, pauseOnDisk: true });
    const votesAsked = async () => (await manager.history(paused.id)).some((e) => e.type === 'VotesRequested');
    for (let i = 0; i < 200 && !(await votesAsked()); i += 1) await sleep(10);
    await sleep(50);
    const reader = new SagaManager({ store, broker: new InMemoryBroker(), service: 'reader', logger: silentLogger, recoveryIntervalMs: 0, recoverOnSetup: false });
    await manager.destroy();
    await reader.setup();
    toClose.push(reader);
    expect((await reader.history(paused.id)).filter((e) => e.type === 'VoteReceived')).toHaveLength(2);
  });

  it('refuses a negative, NaN or too long linger, saying what it takes', () => {
    const broker = new InMemoryBroker();
    expect(() => new SagaManager({ store: new InMemoryEventStore(), broker, service: 'orders', voteLingerMs: -1 })).toThrow(/voteLingerMs must be a number of milliseconds ≥ 0/);
    // setTimeout would fire at once past 2³¹−1 ms: a huge linger is refused rather than turned into none.
    expect(() => new SagaManager({ store: new InMemoryEventStore(), broker, service: 'orders', voteLingerMs: 3e9 })).toThrow(/at most 2147483647, got 3000000000/);
    expect(() => new SagaManager({ store: new InMemoryEventStore(), broker, service: 'orders', voteLingerMs: Number.NaN })).toThrow(/voteLingerMs must be/);
  });
});
