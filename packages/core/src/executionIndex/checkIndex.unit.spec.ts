import { describe, expect, it } from 'vitest';
import { InMemoryEventStore } from '../inMemory/inMemoryEventStore.js';
import { executionStream } from '../manager/executionStream.js';
import type { EventStore, ExecutionIndexEntry } from '../ports/eventStore.js';
import { checkIndex, type IndexProgress } from './checkIndex.js';
import { completed, entryOf, requestSent, started, stepFinished, write, writeRaw } from './indexFixtures.js';

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
          'the index entry of execution b differs from its stream (index ≠ stream): status "finished" ≠ "running", waitingFor null ≠ "reply from stock.reserve", revision 7 ≠ 2',
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
    expect(findings[1]).toMatchObject({ kind: 'undecodable', executionId: 'headless', revision: 0, reason: 'the first event is StepFinished, not SagaStarted' });
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

  it('refuses options it cannot use', async () => {
    const store = await storeWith();
    await expect(checkIndex(store, { pageSize: 0 })).rejects.toThrow(/pageSize 0 must be from 1 to 1000/);
    await expect(checkIndex(store, { concurrency: 1.5 })).rejects.toThrow(/concurrency 1.5/);
  });
});
