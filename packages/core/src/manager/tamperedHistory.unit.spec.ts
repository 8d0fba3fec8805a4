// A stream that decodes but contradicts its execution or its definition is refused when the engine
// loads it: a reply or a timer on it fails with CorruptedHistoryError and nothing is appended.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Saga, SagaRequest, SagaResponse } from '@saga/definitions';
import { CorruptedHistoryError } from '@saga/execution';
import { InMemoryBroker } from '../inMemory/inMemoryBroker.js';
import { InMemoryEventStore } from '../inMemory/inMemoryEventStore.js';
import type { Clock } from '../ports/clock.js';
import type { EventStore, NewEvent, RecordedEvent } from '../ports/eventStore.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import { executionStream } from './executionStream.js';
import { SagaManager } from './sagaManager.js';

const order = new Saga('order', { version: '1' })
  .localStep().onExecute((ctx) => ctx.with({ priced: true }))
  .remoteStep().onExecute(() => new SagaRequest('stock.reserve', {})).onFailure(() => new SagaRequest('stock.release', {}))
  .commit();
const invoice = new Saga('invoice', { version: '1' }).localStep().onExecute(() => undefined).commit();

const toClose: Array<{ destroy(): Promise<void> }> = [];
afterEach(async () => {
  for (const closing of toClose.splice(0)) await closing.destroy();
});

/** Timers that fire when the test says so. */
const manualClock = () => {
  const armed = new Set<() => void>();
  const clock: Clock = {
    now: () => new Date(),
    setTimeout: (callback) => {
      armed.add(callback);
      return () => void armed.delete(callback);
    },
  };
  return { clock, fireAll: () => [...armed].forEach((callback) => callback()) };
};

const errorsLogged = () => {
  const errors: string[] = [];
  const logger: Logger = { ...silentLogger, error: (fields, message) => void errors.push(`${message}: ${String(fields.error)}`) };
  return { logger, errors };
};

const manager = async (store: EventStore, extra: Partial<ConstructorParameters<typeof SagaManager>[0]> = {}) => {
  const started = new SagaManager({ store, broker: new InMemoryBroker(), service: 'orders', definitions: [order, invoice], logger: silentLogger, recoveryIntervalMs: 0, ...extra });
  await started.setup();
  toClose.push(started);
  return started;
};

/** Two executions of `order`, each waiting for the reply of step 1. */
const recorded = async () => {
  const store = new InMemoryEventStore();
  const recorder = await manager(store);
  const paused = await recorder.run({ definition: order, pauseOnDisk: true });
  const neighbour = await recorder.run({ definition: order, pauseOnDisk: true });
  const read = async (id: string) => store.read(executionStream(id));
  return { paused, events: await read(paused.id), neighbourEvents: await read(neighbour.id) };
};

/** A store holding one stream: `events` as edited, under the stream of `executionId`. */
const storeWith = async (executionId: string, events: readonly (RecordedEvent | NewEvent)[]) => {
  const store = new InMemoryEventStore();
  await store.append(executionStream(executionId), events.map(({ type, data }) => ({ type, data })), 'no_stream');
  return store;
};

const withData = (event: RecordedEvent, patch: Record<string, unknown>): RecordedEvent => ({ ...event, data: { ...event.data, ...patch } as RecordedEvent['data'] });
const requestSentOf = (events: readonly RecordedEvent[]) => {
  const sent = events.find((e) => e.type === 'RequestSent');
  if (!sent) throw new Error('no RequestSent');
  return sent;
};

describe('a stream that contradicts its definition or its execution', () => {
  it.each([
    {
      tampering: 'a StepFinished on a path the definition lacks',
      edit: (events: readonly RecordedEvent[]) => [...events, { type: 'StepFinished', data: { path: '7', kind: 'local' } }],
      revision: (events: readonly RecordedEvent[]) => events.length,
      reason: 'StepFinished names step 7, which the definition does not have',
    },
    {
      tampering: 'a SagaStarted pointing at another (registered) definition',
      edit: ([first, ...rest]: readonly RecordedEvent[]) => [withData(first!, { definition: { name: invoice.name, version: invoice.version, fingerprint: invoice.fingerprint } }), ...rest],
      revision: (events: readonly RecordedEvent[]) => requestSentOf(events).revision,
      reason: 'RequestSent names step 1, which the definition does not have',
    },
    {
      tampering: 'a foreign execution id',
      edit: ([first, ...rest]: readonly RecordedEvent[]) => [withData(first!, { executionId: 'someone-else' }), ...rest],
      revision: () => 0,
      reason: /^SagaStarted names execution someone-else, but the stream belongs to /,
    },
  ])('$tampering: a reply is refused with CorruptedHistoryError and nothing is appended', async ({ edit, revision, reason }) => {
    const { paused, events } = await recorded();
    const tampered = edit([...events]);
    const store = await storeWith(paused.id, tampered);
    const engine = await manager(store);
    const response = new SagaResponse({ sagaId: paused.id, requestId: paused.pendingRequest?.requestId ?? '', payload: {} });

    const error = await engine.run({ response, pauseOnDisk: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptedHistoryError);
    expect(error).toMatchObject({ stream: executionStream(paused.id), revision: revision(events), reason });
    expect(await store.read(executionStream(paused.id))).toHaveLength(tampered.length);
  });

  it('a RequestSent copied from another stream: the reply it would match is refused, nothing appended', async () => {
    const { paused, events, neighbourEvents } = await recorded();
    const copied = requestSentOf(neighbourEvents);
    const store = await storeWith(paused.id, [...events, copied]);
    const engine = await manager(store);
    const response = new SagaResponse({ sagaId: paused.id, requestId: String(copied.data.requestId), payload: {} });

    await expect(engine.run({ response, pauseOnDisk: true })).rejects.toMatchObject({
      name: 'CorruptedHistoryError',
      revision: events.length,
      reason: 'a second RequestSent for step 1, which sends one request',
    });
    expect(await store.read(executionStream(paused.id))).toHaveLength(events.length + 1);
  });

  it('a timer on a stream tampered after it was armed is refused: the re-read after the conflict finds it, nothing appended', async () => {
    const { clock, fireAll } = manualClock();
    const { logger, errors } = errorsLogged();
    const store = new InMemoryEventStore();
    const engine = await manager(store, { clock, logger });
    const paused = await engine.run({ definition: order, pauseOnDisk: true });
    const stream = executionStream(paused.id);
    await store.append(stream, [{ type: 'StepFinished', data: { path: '7', kind: 'local' } }], paused.revision);

    fireAll();
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toContain('CorruptedHistoryError');
    expect(errors[0]).toContain(`The history of '${stream}' is corrupted at revision ${paused.revision + 1}: StepFinished names step 7`);
    expect(await store.read(stream)).toHaveLength(paused.revision + 2);
  });

  it('reading stays open without the definition; with it, the history is refused before it is kept', async () => {
    const { paused, events } = await recorded();
    const store = await storeWith(paused.id, [...events, { type: 'StepFinished', data: { path: '7', kind: 'local' } }]);
    const reader = await manager(store, { definitions: [] });
    expect((await reader.get(paused.id)).steps.map((s) => s.path)).toEqual(['0', '1', '7']);
    await expect((await manager(store)).get(paused.id)).rejects.toBeInstanceOf(CorruptedHistoryError);
  });
});
