/**
 * The execution index out of step with the streams, as an operator meets it: a stream without an
 * entry, an entry without a stream, an entry that says something else than its stream. `saga list`
 * shows what the index says, `show`/`verify` name the execution, `verify --all` reports each one, and
 * `verify --all --rebuild-index` repairs the index without touching a stream.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@saga/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordStore, type RecordedStore } from './recordedStore.js';
import { runCli } from './runCli.js';

let dir: string;
let recorded: RecordedStore;
const ghost = '00000000-0000-4000-8000-00000000dead';

const saga = (...args: string[]) => runCli(args, { env: { SAGA_STORE_URL: recorded.url } });
const idsIn = (text: string): string[] => [...text.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)].map((m) => m[0]);

/** Every event of the store, to see that a repair wrote nothing to a stream. */
const allEvents = async (): Promise<unknown[]> => {
  const store = new SqliteEventStore({ filename: recorded.file });
  try {
    return [...(await store.readAll({ limit: 10_000 })).events];
  } finally {
    await store.destroy();
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'saga-cli-index-'));
  recorded = await recordStore(dir);
  const store = new SqliteEventStore({ filename: recorded.file });
  try {
    const finished = await store.index.get(recorded.ids.finished);
    const paused = await store.index.get(recorded.ids.paused);
    if (!finished || !paused) throw new Error('the recorded store has no index entries');
    await store.index.remove([recorded.ids.finished]);
    await store.index.put([
      { ...paused, status: 'finished', open: false, waitingFor: null },
      { ...finished, executionId: ghost, startedAt: new Date(Date.parse(finished.startedAt) + 60_000).toISOString() },
    ]);
  } finally {
    await store.destroy();
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an index out of step with the streams', () => {
  it('saga list shows what the index holds', async () => {
    const { stdout } = await saga('list');
    expect(idsIn(stdout)).toEqual([ghost, recorded.ids.corrupted, recorded.ids.paused, recorded.ids.compensated]);
  });

  it('saga show names an execution the index lists but whose stream does not exist', async () => {
    const { code, stderr } = await saga('show', ghost);
    expect(code).toBe(1);
    expect(stderr).toContain(`Execution ${ghost} is in the index of the store ${recorded.url} (from SAGA_STORE_URL) (create_order@1, finished, started `);
    expect(stderr).toContain(`but its stream saga-${ghost} does not exist: the index is out of step with the streams.`);
    expect(stderr).toContain('`saga verify --all --rebuild-index` removes them.');
  });

  it('saga list --context warns of an entry whose stream does not exist', async () => {
    const { code, stdout, stderr } = await saga('list', '--context', 'orderId=order-1001');
    expect(code).toBe(0);
    expect(stdout).toContain('No execution matching context orderId=order-1001');
    expect(stderr).toContain(`Execution ${ghost} is in the index but has no stream`);
  });

  it('saga verify <id> names a stream without an entry and an entry that differs', async () => {
    const missing = await saga('verify', recorded.ids.finished);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain(`✗ ${recorded.ids.finished}`);
    expect(missing.stdout).toContain('it has no index entry: `saga list`, recovery and timers do not see it');
    const differs = await saga('verify', recorded.ids.paused);
    expect(differs.code).toBe(1);
    expect(differs.stdout).toContain('its index entry differs from its stream (index ≠ stream): status "finished" ≠ "paused", open false ≠ true, waitingFor null ≠ "reply from stock.reserve"');
  });

  it('saga verify --all reports each one by execution, and exits 1', async () => {
    const { code, stdout } = await saga('verify', '--all');
    expect(code).toBe(1);
    expect(stdout).toContain(`✗ execution ${recorded.ids.finished} has a stream but no index entry: listings, recovery and timers do not see it`);
    expect(stdout).toContain(`✗ execution ${ghost} has an index entry but no stream`);
    expect(stdout).toContain(`✗ the index entry of execution ${recorded.ids.paused} differs from its stream (index ≠ stream): status "finished" ≠ "paused"`);
    expect(stdout).toContain('✗ index: 3 problems (4 entries, 4 streams) in');
    expect(stdout).toContain('`saga verify --all --rebuild-index` rewrites it from the streams.');
  });

  it('saga verify --all --rebuild-index repairs the index and leaves the streams alone', async () => {
    const before = await allEvents();
    const rebuilt = await saga('verify', '--all', '--rebuild-index');
    // The corrupted stream is still a problem: the rebuild does not hide it.
    expect(rebuilt.code).toBe(1);
    expect(rebuilt.stdout).toContain('✗ 1 of 4 executions with problems (1 do not decode)');
    expect(rebuilt.stdout).toContain(
      `✓ Rebuilt the index of ${recorded.url} (from SAGA_STORE_URL) from 4 streams: wrote 3 entries (1 added, 1 corrected); ` +
        `removed 1 entry without a stream: ${ghost}; left the entries of 1 stream that does not decode as they were: ${recorded.ids.corrupted}.`,
    );
    expect(await allEvents()).toEqual(before);

    const checked = await saga('verify', '--all');
    expect(checked.stdout).toContain('✓ index: 4 entries as their streams give them (1 stream that does not decode not compared).');
    expect(idsIn((await saga('list')).stdout)).toEqual([recorded.ids.corrupted, recorded.ids.paused, recorded.ids.compensated, recorded.ids.finished]);
    expect((await saga('verify', recorded.ids.finished)).code).toBe(0);
  });
});
