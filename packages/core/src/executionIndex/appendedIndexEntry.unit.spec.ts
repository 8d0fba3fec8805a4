/**
 * The index entry each append carries is read off the decision's own, not yet stamped, state (one
 * fold fewer per decision). It must be exactly the entry a rebuild reads off the stored stream:
 * the same status, phase, openness, due time, wait and revision, and the append's time as updatedAt.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Saga, SagaRequest } from '@saga/definitions';
import { decodeHistory, fold } from '@saga/execution';
import { InMemoryBroker } from '../inMemory/inMemoryBroker.js';
import { InMemoryEventStore } from '../inMemory/inMemoryEventStore.js';
import type { AppendOptions, AppendResult, ExecutionIndexEntry, ExpectedRevision, NewEvent } from '../ports/eventStore.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { SagaParticipant } from '../participant/sagaParticipant.js';
import { SagaManager } from '../manager/sagaManager.js';
import { indexEntryOf } from './indexEntryOf.js';

/** Moves one second after every append, so each append has a time of its own. */
class SteppingClock implements Clock {
  #ms = Date.parse('2030-01-01T00:00:00.000Z');
  now(): Date {
    return new Date(this.#ms);
  }
  step(): void {
    this.#ms += 1_000;
  }
  setTimeout(callback: () => void, ms: number): () => void {
    return systemClock.setTimeout(callback, ms);
  }
}

/** After each append, compares the entry it carried with the entry of the stream as stored. */
class IndexCheckingStore extends InMemoryEventStore {
  readonly mismatches: Array<{ stream: string; carried: ExecutionIndexEntry; stored: ExecutionIndexEntry }> = [];
  appends = 0;
  constructor(private readonly steppingClock: SteppingClock) {
    super({ clock: steppingClock });
  }
  override async append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision, options: AppendOptions = {}): Promise<AppendResult> {
    const result = await super.append(stream, events, expected, options);
    this.appends += 1;
    if (options.index) {
      const stored = indexEntryOf(fold(decodeHistory(await this.read(stream), stream)));
      if (JSON.stringify(stored) !== JSON.stringify(options.index)) this.mismatches.push({ stream, carried: options.index, stored });
    }
    this.steppingClock.step();
    return result;
  }
}

const toClose: Array<{ destroy(): Promise<void> }> = [];
afterEach(async () => {
  for (const closing of toClose.splice(0)) await closing.destroy();
});

const durableLocal = new Saga('index_durable_local', { durableLocalSteps: true })
  .localStep()
  .onExecute((ctx) => ctx.with({ reserved: true }))
  .onFailure((ctx) => ctx.with({ reserved: false }))
  .localStep()
  .onExecute((ctx) => ctx.with({ charged: true }))
  .commit();

const remoteThenFail = new Saga('index_remote_then_fail')
  .remoteStep()
  .onExecute(() => new SagaRequest('stock.reserve', { sku: 'A1' }))
  .onSuccess((ctx, reply) => ctx.with({ reservation: reply.payload }))
  .onFailure(() => new SagaRequest('stock.release', { sku: 'A1' }))
  .localStep()
  .onExecute(() => {
    throw new Error('card declined');
  })
  .commit();

const remoteCommitted = new Saga('index_remote_committed').remoteStep().onExecute(() => new SagaRequest('stock.reserve', { sku: 'B2' })).commit();

describe('the index entry an append carries', () => {
  it('equals the entry read off the stored stream after every append: durable local steps, a remote step, compensation, a two-phase commit', async () => {
    const clock = new SteppingClock();
    const store = new IndexCheckingStore(clock);
    const broker = new InMemoryBroker();
    const participant = new SagaParticipant({ broker, service: 'stock', logger: silentLogger });
    participant.handle('stock.reserve', () => ({ id: 'r-1' })).handle('stock.release', () => ({ released: true }));
    await participant.setup();
    const manager = new SagaManager({ store, broker, service: 'orders', clock, logger: silentLogger, definitions: [durableLocal, remoteThenFail, remoteCommitted] });
    toClose.push(participant, manager);
    await manager.setup();

    expect((await manager.run({ definition: durableLocal, context: {} })).status).toBe('finished');
    expect((await manager.run({ definition: remoteThenFail, context: {}, raiseOnError: false })).status).toBe('errored');
    expect((await manager.run({ definition: remoteCommitted, context: {} })).transaction.status).toBe('committed');

    // durable: start, step 1, step 2 + end; remote-then-fail and committed: several each, with TransactionNotified.
    expect(store.appends).toBeGreaterThanOrEqual(9);
    expect(store.mismatches).toEqual([]);
  });
});
