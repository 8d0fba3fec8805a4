/**
 * checkIndex and rebuildIndex against an in-memory store whose executions are written by hand, with
 * or without their index entry, and whose entries are then corrupted.
 */
import { describe, expect, it } from 'vitest';
import { decodeHistory, fold, sagaEvent, type SagaEvent } from '@saga/execution';
import { InMemoryEventStore } from '../inMemory/inMemoryEventStore.js';
import { executionStream } from '../manager/executionStream.js';
import type { EventStore, ExecutionIndexEntry, NewEvent } from '../ports/eventStore.js';
import { checkExecutionIndex, checkIndex, type IndexProgress } from './checkIndex.js';
import { indexEntryOf } from './indexEntryOf.js';
import { rebuildIndex } from './rebuildIndex.js';

const started = (executionId: string, user: string | null = 'alice'): SagaEvent =>
  sagaEvent('SagaStarted', {
    executionId,
    definition: { name: 'order', version: '2', fingerprint: 'f00d' },
    context: { sku: 'A1' },
    user,
    autocommit: true,
    service: 'orders',
  });
const stepFinished = (path: string): SagaEvent => sagaEvent('StepFinished', { path, kind: 'local' });
const requestSent = (path: string): SagaEvent => sagaEvent('RequestSent', { path, requestId: `req-${path}`, target: 'stock.reserve', payload: {} });
const completed = (): SagaEvent => sagaEvent('SagaCompleted', { context: { sku: 'A1' } });

const asNew = (event: SagaEvent): NewEvent => ({ type: event.type, data: event.data as NewEvent['data'] });

/** The entry the stream gives now. */
const entryOf = async (store: EventStore, executionId: string): Promise<ExecutionIndexEntry> => {
  const stream = executionStream(executionId);
  return indexEntryOf(fold(decodeHistory(await store.read(stream), stream)));
};

/** Appends as the engine does: the events and, unless `index` is false, the entry they give. */
const write = async (store: EventStore, executionId: string, events: readonly SagaEvent[], options: { readonly index?: boolean } = {}): Promise<void> => {
  const stream = executionStream(executionId);
  const before = await store.read(stream);
  const expected = before.length === 0 ? 'no_stream' : before.length - 1;
  await store.append(stream, events.map(asNew), expected);
  if (options.index !== false) await store.index.put([await entryOf(store, executionId)]);
};

/** Appends events that are not what the engine writes (a hand-made repair gone wrong). */
const writeRaw = async (store: EventStore, executionId: string, events: readonly NewEvent[]): Promise<void> => {
  await store.append(executionStream(executionId), events, 'any');
};

/** The whole global order, to see that a tool wrote nothing to the streams. */
const everything = async (store: EventStore): Promise<unknown[]> => (await store.readAll({ limit: 10_000 })).events.map((e) => ({ ...e }));

const storeWith = async (...ids: string[]): Promise<InMemoryEventStore> => {
  const store = new InMemoryEventStore();
  for (const id of ids) await write(store, id, [started(id), stepFinished('0'), requestSent('1')]);
  return store;
};

const corrupt = async (store: EventStore, executionId: string, change: Partial<ExecutionIndexEntry>): Promise<void> => {
  const entry = await store.index.get(executionId);
  if (!entry) throw new Error(`no entry for ${executionId}`);
  await store.index.put([{ ...entry, ...change }]);
};

describe('checkIndex', () => {
  it('finds nothing when every stream has the entry it gives', async () => {
    const store = await storeWith('a', 'b', 'c');
    await write(store, 'b', [stepFinished('1'), completed()]);
    const report = await checkIndex(store);
    expect(report).toEqual({ ok: true, streams: 3, entries: 3, findings: [], consistency: 'inline', lag: { events: 0 } });
  });

  it('reports an entry that differs from its stream, naming the execution and the fields', async () => {
    const store = await storeWith('a', 'b');
    await corrupt(store, 'b', { status: 'finished', revision: 7, waitingFor: null });
    const report = await checkIndex(store);
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      {
        kind: 'differs',
        executionId: 'b',
        differences: [
          { field: 'status', indexed: 'finished', computed: 'paused' },
          { field: 'waitingFor', indexed: null, computed: 'reply from stock.reserve' },
          { field: 'revision', indexed: 7, computed: 2 },
        ],
        message:
          'the index entry of execution b differs from its stream (index ≠ stream): status "finished" ≠ "paused", waitingFor null ≠ "reply from stock.reserve", revision 7 ≠ 2',
      },
    ]);
  });

  it('reports a stream without an entry and an entry without a stream', async () => {
    const store = await storeWith('a');
    await write(store, 'unindexed', [started('unindexed')], { index: false });
    await store.index.put([{ ...(await entryOf(store, 'a')), executionId: 'ghost' }]);
    const { findings, streams, entries } = await checkIndex(store);
    expect({ streams, entries }).toEqual({ streams: 2, entries: 2 });
    expect(findings.map((f) => [f.kind, f.executionId, f.message])).toEqual([
      ['missing', 'unindexed', 'execution unindexed has a stream but no index entry: listings, recovery and timers do not see it'],
      ['orphaned', 'ghost', 'execution ghost has an index entry but no stream'],
    ]);
  });

  it('reports a stream that does not decode: stream, revision, reason', async () => {
    const store = await storeWith('a');
    await writeRaw(store, 'a', [{ type: 'StepFinished', data: { path: '1' } }]);
    await writeRaw(store, 'headless', [{ type: 'StepFinished', data: { path: '0', kind: 'local' } }]);
    const { findings } = await checkIndex(store);
    expect(findings).toHaveLength(2);
    expect(findings[0]).toMatchObject({ kind: 'undecodable', executionId: 'a', stream: 'saga-a', revision: 3 });
    expect(findings[0]?.kind === 'undecodable' && findings[0].reason).toMatch(/^StepFinished does not decode: .*kind/);
    expect(findings[0]?.message).toMatch(/^the stream of execution a does not decode at revision 3: StepFinished does not decode/);
    expect(findings[0]).toMatchObject({ indexed: true });
    expect(findings[1]).toMatchObject({ kind: 'undecodable', executionId: 'headless', revision: 0, reason: 'the first event is StepFinished, not SagaStarted', indexed: false });
    expect(findings[1]?.message).toBe('the stream of execution headless does not decode at revision 0: the first event is StepFinished, not SagaStarted (and it has no index entry)');
  });

  it('reports a stream whose first event names another execution', async () => {
    const store = new InMemoryEventStore();
    await write(store, 'x', [started('y')], { index: false });
    const { findings } = await checkIndex(store);
    expect(findings).toMatchObject([{ kind: 'undecodable', executionId: 'x', revision: 0, reason: "SagaStarted names execution 'y', not 'x' (the stream's name)" }]);
  });

  it('lets startedAt and updatedAt differ within the tolerance (the engine stamps entries with its own clock)', async () => {
    const store = await storeWith('a');
    const entry = await entryOf(store, 'a');
    const shifted = (ms: number) => new Date(Date.parse(entry.updatedAt) + ms).toISOString();
    await corrupt(store, 'a', { updatedAt: shifted(15) });
    expect((await checkIndex(store)).ok).toBe(true);
    expect((await checkIndex(store, { timeToleranceMs: 0 })).findings).toMatchObject([{ kind: 'differs', differences: [{ field: 'updatedAt' }] }]);
    await corrupt(store, 'a', { startedAt: shifted(-3_600_000) });
    expect((await checkIndex(store)).findings).toMatchObject([{ kind: 'differs', differences: [{ field: 'startedAt', computed: entry.startedAt }] }]);
  });

  it('walks the store page by page and tells its progress', async () => {
    const store = await storeWith('a', 'b', 'c', 'd', 'e');
    await store.index.remove(['c']);
    const progress: IndexProgress[] = [];
    const report = await checkIndex(store, { pageSize: 2, concurrency: 1, onProgress: (p) => progress.push(p) });
    expect(report.findings.map((f) => `${f.kind} ${f.executionId}`)).toEqual(['missing c']);
    expect(progress).toEqual([
      { phase: 'streams', done: 2 },
      { phase: 'streams', done: 4 },
      { phase: 'streams', done: 5 },
      { phase: 'entries', done: 2 },
      { phase: 'entries', done: 4 },
    ]);
  });

  it('reads again when an append lands between reading a stream and reading its entry', async () => {
    const store = await storeWith('a');
    let raced = false;
    const get = store.index.get.bind(store.index);
    const racing: EventStore = Object.create(store) as EventStore;
    Object.defineProperty(racing, 'index', {
      value: {
        ...store.index,
        get: async (id: string) => {
          if (!raced) {
            raced = true;
            await write(store, id, [stepFinished('1')]);
          }
          return get(id);
        },
      },
    });
    const report = await checkIndex(racing);
    expect(raced).toBe(true);
    expect(report.findings).toEqual([]);
  });

  it('checks an execution started after the streams were listed instead of calling its entry orphaned', async () => {
    const store = await storeWith('a');
    const list = store.listStreams.bind(store);
    const late: EventStore = Object.create(store) as EventStore;
    late.listStreams = async (options) => {
      const page = await list(options);
      await write(store, 'late', [started('late')]);
      return page;
    };
    const report = await checkIndex(late);
    expect(report).toMatchObject({ ok: true, streams: 1, entries: 2 });
    expect(await store.read(executionStream('late'))).toHaveLength(1);
  });

  it('checks one execution alone', async () => {
    const store = await storeWith('a', 'b');
    await corrupt(store, 'b', { user: 'mallory' });
    expect(await checkExecutionIndex(store, 'a')).toBeUndefined();
    expect(await checkExecutionIndex(store, 'b')).toMatchObject({ kind: 'differs', differences: [{ field: 'user', indexed: 'mallory', computed: 'alice' }] });
    expect(await checkExecutionIndex(store, 'nowhere')).toBeUndefined();
  });

  it('refuses options it cannot use', async () => {
    const store = await storeWith();
    await expect(checkIndex(store, { pageSize: 0 })).rejects.toThrow(/pageSize 0 must be from 1 to 1000/);
    await expect(checkIndex(store, { concurrency: 1.5 })).rejects.toThrow(/concurrency 1.5/);
  });
});

describe('rebuildIndex', () => {
  it('writes what the streams give, removes entries without a stream, and writes nothing to the streams', async () => {
    const store = await storeWith('fine', 'stale', 'gone');
    await write(store, 'unindexed', [started('unindexed'), completed()], { index: false });
    const stale = (await store.index.get('stale')) as ExecutionIndexEntry;
    await store.index.put([{ ...stale, status: 'finished', open: false }, { ...stale, executionId: 'ghost' }]);
    const streamsBefore = await everything(store);

    const report = await rebuildIndex(store);

    expect(report).toEqual({ streams: 4, written: 4, added: 1, corrected: 1, removed: ['ghost'], undecodable: [] });
    expect(await everything(store)).toEqual(streamsBefore);
    for (const id of ['fine', 'stale', 'gone', 'unindexed']) expect(await store.index.get(id)).toEqual(await entryOf(store, id));
    expect(await store.index.get('ghost')).toBeUndefined();
    expect(await checkIndex(store)).toMatchObject({ ok: true, streams: 4, entries: 4 });
  });

  it('leaves the entry of a stream that does not decode as it was, and reports the stream', async () => {
    const store = await storeWith('broken');
    const before = await store.index.get('broken');
    await writeRaw(store, 'broken', [{ type: 'Mystery', data: {} }]);
    const report = await rebuildIndex(store);
    expect(report.written).toBe(0);
    expect(report.undecodable).toMatchObject([{ kind: 'undecodable', executionId: 'broken', stream: 'saga-broken', revision: 3, reason: "unknown event type 'Mystery'" }]);
    expect(await store.index.get('broken')).toEqual(before);
  });

  it('tells its progress page by page', async () => {
    const store = await storeWith('a', 'b', 'c');
    const progress: IndexProgress[] = [];
    await rebuildIndex(store, { pageSize: 2, onProgress: (p) => progress.push(p) });
    expect(progress).toEqual([
      { phase: 'streams', done: 2 },
      { phase: 'streams', done: 3 },
      { phase: 'entries', done: 2 },
      { phase: 'entries', done: 3 },
    ]);
  });

  it('writes an entry again when the engine appended (and wrote a newer entry) before the rebuild wrote its own', async () => {
    const store = await storeWith('busy');
    await store.index.remove(['busy']);
    let raced = false;
    const put = store.index.put.bind(store.index);
    const racing: EventStore = Object.create(store) as EventStore;
    Object.defineProperty(racing, 'index', {
      value: {
        ...store.index,
        put: async (entries: readonly ExecutionIndexEntry[]) => {
          if (!raced) {
            raced = true;
            await write(store, 'busy', [stepFinished('1'), completed()]);
          }
          return put(entries);
        },
      },
    });
    await rebuildIndex(racing);
    expect(raced).toBe(true);
    expect(await store.index.get('busy')).toMatchObject({ revision: 4, status: 'finished' });
    expect(await checkIndex(store)).toMatchObject({ ok: true });
  });
});
