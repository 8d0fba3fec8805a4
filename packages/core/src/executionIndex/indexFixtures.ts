/** Executions written by hand to an in-memory store, with or without their index entry, for the index tools' tests. */
import { decodeHistory, fold, sagaEvent, type SagaEvent } from '@saga/execution';
import { InMemoryEventStore } from '../inMemory/inMemoryEventStore.js';
import type { ExecutionIndexEntry, NewEvent } from '../ports/eventStore.js';
import { executionStream } from '../manager/executionStream.js';
import { indexEntryOf } from './indexEntryOf.js';

export const started = (executionId: string, user: string | null = 'alice'): SagaEvent =>
  sagaEvent('SagaStarted', {
    executionId,
    definition: { name: 'order', version: '2', fingerprint: 'f00d' },
    context: { sku: 'A1' },
    user,
    autocommit: true,
    service: 'orders',
  });
export const stepFinished = (path: string): SagaEvent => sagaEvent('StepFinished', { path, kind: 'local' });
export const requestSent = (path: string): SagaEvent => sagaEvent('RequestSent', { path, requestId: `req-${path}`, target: 'stock.reserve', payload: {} });
export const completed = (): SagaEvent => sagaEvent('SagaCompleted', { context: { sku: 'A1' } });

const asNew = (event: SagaEvent): NewEvent => ({ type: event.type, data: event.data as NewEvent['data'] });

/** The entry the stream gives now. */
export const entryOf = async (store: InMemoryEventStore, executionId: string): Promise<ExecutionIndexEntry> => {
  const stream = executionStream(executionId);
  return indexEntryOf(fold(decodeHistory(await store.read(stream), stream)));
};

/** Appends as the engine does: the events and, unless `index` is false, the entry they give. */
export const write = async (store: InMemoryEventStore, executionId: string, events: readonly SagaEvent[], options: { readonly index?: boolean } = {}): Promise<void> => {
  const stream = executionStream(executionId);
  const before = await store.read(stream);
  const expected = before.length === 0 ? 'no_stream' : before.length - 1;
  await store.append(stream, events.map(asNew), expected);
  if (options.index !== false) await store.index.put([await entryOf(store, executionId)]);
};

/** Appends events that are not what the engine writes (a hand-made repair gone wrong). */
export const writeRaw = async (store: InMemoryEventStore, executionId: string, events: readonly NewEvent[]): Promise<void> => {
  await store.append(executionStream(executionId), events, 'any');
};

/** The whole global order, to see that a tool wrote nothing to the streams. */
export const everything = async (store: InMemoryEventStore): Promise<unknown[]> => (await store.readAll({ limit: 10_000 })).events.map((e) => ({ ...e }));
