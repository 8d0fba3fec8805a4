/**
 * What the driver stores after each append, held to the stream it appended to, on every path
 * (durable local steps, requests and replies, compensation, a parallel step, a two-phase commit, a
 * cancel):
 * - the state it keeps (and decides the next input from) is stamped, not folded again (`stamp`): it
 *   must be exactly what a later read of the stream folds to, at every revision it stores;
 * - the index entry each append carries is read off the decision's own, unstamped state (one fold
 *   fewer per decision): it must be exactly the entry a rebuild reads off the stored stream, with the
 *   append's time as updatedAt.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Saga, SagaRequest } from '@saga/definitions';
import { decodeHistory, fold, type SagaExecution } from '@saga/execution';
import { indexEntryOf } from '../executionIndex/indexEntryOf.js';
import { InMemoryBroker } from '../inMemory/inMemoryBroker.js';
import { InMemoryEventStore } from '../inMemory/inMemoryEventStore.js';
import type { AppendOptions, AppendResult, ExecutionIndexEntry, ExpectedRevision, NewEvent } from '../ports/eventStore.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { SagaParticipant } from '../participant/sagaParticipant.js';
import { createEngine } from './engine.js';
import { executionStream } from './executionStream.js';
import { SagaClient } from './sagaClient.js';
import { SagaWorker } from './sagaWorker.js';

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

/** After each append, compares the index entry it carried with the entry of the stream as stored. */
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

const durable = new Saga('stored_durable', { durableLocalSteps: true })
  .localStep()
  .onExecute((ctx) => ctx.with({ a: 1 }))
  .localStep()
  .onExecute((ctx) => ctx.with({ b: 2 }))
  .commit();

const compensated = new Saga('stored_compensated')
  .remoteStep()
  .onExecute(() => new SagaRequest('stock.reserve', { sku: 'A1' }))
  .onSuccess((ctx, reply) => ctx.with({ reservation: reply.payload }))
  .onFailure(() => new SagaRequest('stock.release', { sku: 'A1' }))
  .localStep()
  .onExecute(() => {
    throw new Error('card declined');
  })
  .commit();

const reserve = new Saga('stored_branch').remoteStep().onExecute(() => new SagaRequest('stock.reserve', { sku: 'B2' })).commit();
const parallel = new Saga('stored_parallel').parallelStep().branch(reserve).branch(reserve).commit();
const parked = new Saga('stored_parked').remoteStep().onExecute(() => new SagaRequest('nobody.listens', {})).onFailure(() => new SagaRequest('stock.release', {})).commit();

describe('what the driver stores after each append', () => {
  it('keeps the fold of the stream up to its revision, and carries the index entry of the stream as stored', async () => {
    const clock = new SteppingClock();
    const store = new IndexCheckingStore(clock);
    const broker = new InMemoryBroker();
    const participant = new SagaParticipant({ broker, service: 'stock', logger: silentLogger })
      .handle('stock.reserve', () => ({ id: 'r-1' }))
      .handle('stock.release', () => ({ released: true }));
    const options = { store, broker, service: 'orders', clock, logger: silentLogger, definitions: [durable, compensated, reserve, parallel, parked] };
    const engine = createEngine(options);
    const stored: SagaExecution[] = [];
    engine.driver.onStored((execution) => stored.push(execution));
    const client = new SagaClient(options, engine);
    const worker = new SagaWorker(options, engine);
    toClose.push(client, worker, participant);
    await participant.setup();
    await worker.setup();
    await client.setup();

    expect((await client.run({ definition: durable, context: {} })).status).toBe('finished');
    expect((await client.run({ definition: compensated, context: {}, raiseOnError: false })).status).toBe('errored');
    expect((await client.run({ definition: parallel, context: {} })).transaction.status).toBe('committed');
    const waiting = await client.run({ definition: parked, context: {}, pauseOnDisk: true });
    expect((await client.cancel(waiting.id, { reason: 'withdrawn', by: 'ops', pauseOnDisk: true })).cancellation?.requestedAt).toBeDefined();

    const types = new Set<string>();
    for (const state of stored) {
      const history = decodeHistory(await store.read(executionStream(state.id)), executionStream(state.id));
      for (const event of history) types.add(event.type);
      expect(state).toEqual(fold(history.filter((event) => event.revision <= state.revision)));
    }
    // The paths above reach what stamping must get right.
    for (const type of ['SagaStarted', 'RequestSent', 'CompensationRequestSent', 'ParallelStarted', 'TransactionNotified', 'CancelRequested']) expect(types).toContain(type);
    expect(stored.length).toBeGreaterThanOrEqual(12);
    // Every append carried an entry equal to its stream's (a stale updatedAt, or one read off the state
    // before the decision, differs here).
    expect(store.appends).toBeGreaterThanOrEqual(stored.length);
    expect(store.mismatches).toEqual([]);
  });
});
