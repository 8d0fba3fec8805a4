// Several stores on one file, as several processes of one service would run them: each its own
// connection, the file's write lock between them.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ExecutionIndexEntry } from '@saga/core';
import { SqliteEventStore } from './sqliteEventStore.js';

const root = mkdtempSync(join(tmpdir(), 'saga-sqlite-two-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const entry = (executionId: string, minute: number): ExecutionIndexEntry => ({
  executionId,
  service: 'orders',
  definitionName: 'order',
  definitionVersion: '1',
  status: 'running',
  phase: 'forward',
  open: true,
  startedAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
  user: null,
  nextDueAt: new Date(Date.UTC(2030, 0, 1, 0, minute)).toISOString(),
  waitingFor: 'reply from stock',
  revision: 0,
});

describe('two SqliteEventStores on one file', () => {
  const opened: SqliteEventStore[] = [];
  let fileCount = 0;
  const openPair = async (): Promise<[SqliteEventStore, SqliteEventStore]> => {
    const filename = join(root, `pair-${++fileCount}.db`);
    const a = new SqliteEventStore({ filename });
    const b = new SqliteEventStore({ filename });
    opened.push(a, b);
    await a.setup();
    await b.setup();
    return [a, b];
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.destroy()));
  });

  it('claim disjoint sets of executions', async () => {
    const [a, b] = await openPair();
    for (let i = 0; i < 10; i += 1) {
      await (i % 2 === 0 ? a : b).append(`saga-x${i}`, [{ type: 'Happened', data: {} }], 'no_stream', { index: entry(`x${i}`, i) });
    }
    const claim = async (store: SqliteEventStore, owner: string): Promise<string[]> =>
      (await store.index.claim({ service: 'orders', owner, leaseMs: 60_000, limit: 4 })).map((e) => e.executionId);
    const first = await claim(a, 'a');
    const second = await claim(b, 'b');
    const third = await claim(a, 'a');
    expect(first).toEqual(['x0', 'x1', 'x2', 'x3']);
    expect(second).toEqual(['x4', 'x5', 'x6', 'x7']);
    expect(third).toEqual(['x8', 'x9']);
    expect(await claim(b, 'b')).toEqual([]);
  });

  it("read each other's appends in the global order, and each other's index entries", async () => {
    const [a, b] = await openPair();
    await a.append('saga-a', [{ type: 'A1', data: {} }], 'no_stream', { index: entry('a', 0) });
    await b.append('saga-b', [{ type: 'B1', data: {} }, { type: 'B2', data: {} }], 'no_stream', { index: entry('b', 1) });
    await a.append('saga-a', [{ type: 'A2', data: {} }], 0);
    for (const store of [a, b]) {
      const page = await store.readAll();
      expect(page.events.map((e) => `${e.position}:${e.type}`)).toEqual(['1:A1', '2:B1', '3:B2', '4:A2']);
      expect(page.position).toBe('4');
      expect(await store.headPosition()).toBe('4');
      expect((await store.index.query()).entries.map((e) => e.executionId).sort()).toEqual(['a', 'b']);
    }
    // A position b gave is one a reads from.
    expect((await a.readAll({ after: (await b.readAll({ limit: 2 })).position })).events.map((e) => e.type)).toEqual(['B2', 'A2']);
  });

  // Real parallelism: worker threads, each with its own connection (as processes would have), claim at
  // the same moment. Runs the built package (dist/), like the engine test of fromConfig.
  const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  it('claim disjoint sets when workers claim at the same moment', async () => {
    if (!existsSync(built)) throw new Error(`${built} is missing: build the package first (pnpm --filter @saga/sqlite build).`);
    const filename = join(root, 'workers.db');
    const setupStore = new SqliteEventStore({ filename });
    opened.push(setupStore);
    await setupStore.index.put(Array.from({ length: 40 }, (_, i) => entry(`w${String(i).padStart(2, '0')}`, i)));

    const script = `
      const { parentPort, workerData } = require('node:worker_threads');
      (async () => {
        const { SqliteEventStore } = await import(workerData.module);
        const store = new SqliteEventStore({ filename: workerData.filename, busyTimeoutMs: 10000 });
        await store.setup();
        parentPort.postMessage('ready');
        await new Promise((resolve) => parentPort.once('message', resolve));
        const claimed = await store.index.claim({ service: 'orders', owner: workerData.owner, leaseMs: 60000, limit: 10 });
        await store.destroy();
        parentPort.postMessage(claimed.map((e) => e.executionId));
      })().catch((error) => parentPort.postMessage({ error: String(error && error.stack || error) }));
    `;
    const workers = Array.from(
      { length: 4 },
      (_, i) => new Worker(script, { eval: true, workerData: { module: pathToFileURL(built).href, filename, owner: `worker-${i}` } }),
    );
    try {
      const next = (worker: Worker): Promise<unknown> =>
        new Promise((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        });
      await Promise.all(workers.map(next));
      const results = workers.map(next);
      for (const worker of workers) worker.postMessage('go');
      const claims = (await Promise.all(results)) as Array<string[] | { error: string }>;
      for (const claim of claims) if (!Array.isArray(claim)) throw new Error(claim.error);
      const all = (claims as string[][]).flat();
      expect(claims.map((claim) => (claim as string[]).length)).toEqual([10, 10, 10, 10]);
      expect(new Set(all).size).toBe(40);
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
  });
});
