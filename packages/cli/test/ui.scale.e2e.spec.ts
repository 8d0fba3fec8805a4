/**
 * The console on a large SQLite store: N executions (default 2,000; SAGA_TEST_UI_SCALE=100000 for the
 * figure the README quotes) written through the port as the bench's scale workload writes them (each
 * a recorded history under a new id, one append with its index entry), then the first page of the
 * table, the next page and the counts asked of `saga ui`. Prints how long each took and asserts what
 * they hold. How fast is asserted only when the figure is asked for (SAGA_TEST_UI_SCALE set): then the
 * first page must come within the budget (300 ms); the default run is a smoke test on a shared
 * machine, where a timing decides nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHistory, executionStream, fold, indexEntryOf, InMemoryBroker, InMemoryEventStore, SagaManager, type ExecutionIndexEntry, type JsonObject, type RecordedEvent } from '@saga/core';
import { SqliteEventStore } from '@saga/sqlite';
import { createOrder, startParticipants } from './fixtures/orderSaga.mjs';
import { startConsole, type RunningConsole } from './consoleProcess.js';

const total = Number(process.env.SAGA_TEST_UI_SCALE ?? 2_000);
const measuring = process.env.SAGA_TEST_UI_SCALE !== undefined;
const pageSize = 50;
/** Issue 16: the first page in under 300 ms with 100,000 executions and an index. */
const firstPageBudgetMs = 300;

interface Template {
  readonly id: string;
  readonly events: readonly RecordedEvent[];
  readonly entry: ExecutionIndexEntry;
}

/** One finished, one compensated and one paused order, recorded on the in-memory store. */
const recordTemplates = async (): Promise<Template[]> => {
  const store = new InMemoryEventStore();
  const broker = new InMemoryBroker();
  const manager = new SagaManager({ store, broker, service: 'order' });
  await manager.setup();
  const participants = await startParticipants(broker);
  const silent = new SagaManager({ store, broker: new InMemoryBroker(), service: 'order' });
  await silent.setup();
  try {
    const ids = [
      (await manager.run({ definition: createOrder, context: { orderId: 'o-1', sku: 'A1', amount: 42, express: true }, user: 'alice' })).id,
      (await manager.run({ definition: createOrder, context: { orderId: 'o-2', sku: 'B7', amount: 5000 }, user: 'bob', raiseOnError: false })).id,
      (await silent.run({ definition: createOrder, context: { orderId: 'o-3', sku: 'C3', amount: 10 }, pauseOnDisk: true })).id,
    ];
    return await Promise.all(
      ids.map(async (id) => {
        const events = await store.read(executionStream(id));
        return { id, events, entry: indexEntryOf(fold(decodeHistory(events))) };
      }),
    );
  } finally {
    await participants.destroy();
    await silent.destroy();
    await manager.destroy();
  }
};

const replaceId = <T>(value: T, from: string, to: string): T => JSON.parse(JSON.stringify(value).replaceAll(from, to)) as T;
const idOf = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

let dir: string;
let ui: RunningConsole;
let newest: string;
let firstPageMs: number | undefined;
const timings: string[] = [];

const timed = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
  const started = performance.now();
  const result = await work();
  timings.push(`${what}: ${(performance.now() - started).toFixed(1)} ms`);
  return result;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'saga-ui-scale-'));
  const file = join(dir, 'saga.db');
  const templates = await recordTemplates();
  const store = new SqliteEventStore({ filename: file });
  await store.setup();
  const base = Date.parse('2026-11-01T00:00:00Z');
  const seeding = performance.now();
  try {
    for (let n = 0; n < total; n += 1) {
      // 90% finished, 8% compensated, 2% paused: a month of orders, one every few seconds.
      const template = templates[n % 50 === 0 ? 2 : n % 12 === 0 ? 1 : 0] as Template;
      const id = idOf(n);
      const startedAt = new Date(base + n * 2_000).toISOString();
      const events = template.events.map((e) => ({ type: e.type, data: replaceId<JsonObject>(e.data, template.id, id), metadata: replaceId<JsonObject>(e.metadata, template.id, id) }));
      await store.append(executionStream(id), events, 'no_stream', { index: { ...template.entry, executionId: id, startedAt, updatedAt: startedAt } });
      // SQLite answers synchronously: let the test runner's own messages through now and then.
      if (n % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    timings.push(`seeding ${total.toLocaleString('en-US')} executions through the port: ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
    const query = performance.now();
    const direct = await store.index.query({ limit: pageSize });
    timings.push(`the index's first page, in process (store.index.query, limit ${pageSize}): ${(performance.now() - query).toFixed(1)} ms, ${direct.entries.length} entries`);
  } finally {
    await store.destroy();
  }
  newest = idOf(total - 1);
  ui = await startConsole([], { SAGA_STORE_URL: `sqlite:${file}` });
}, 1_800_000);

afterAll(async () => {
  await ui?.stop();
  rmSync(dir, { recursive: true, force: true });
  console.log(`saga ui on ${total.toLocaleString('en-US')} executions (SQLite):\n  ${timings.join('\n  ')}`);
});

describe(`saga ui on ${total.toLocaleString('en-US')} stored executions`, () => {
  it('serves the first page of the table newest first, then the next one, then the counts', async () => {
    // The test's own HTTP client loads lazily (its first fetch costs ~100 ms here): warm it on a file.
    await timed('warming the test client (GET /assets/ui.css)', async () => (await fetch(`${ui.origin}/assets/ui.css`)).text());
    // The first page the server process answers: what an operator waits for after starting saga ui.
    const asked = performance.now();
    const first = await timed('first page (the first the server answers)', async () => (await fetch(`${ui.origin}/api/executions?limit=${pageSize}`)).json() as Promise<{ executions: { executionId: string }[]; nextCursor?: string }>);
    firstPageMs = performance.now() - asked;
    expect(first.executions).toHaveLength(pageSize);
    expect(first.executions[0]?.executionId).toBe(newest);
    expect(first.nextCursor).toBeDefined();
    const warm: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const started = performance.now();
      const again = (await (await fetch(`${ui.origin}/api/executions?limit=${pageSize}`)).json()) as { executions: unknown[] };
      warm.push(performance.now() - started);
      expect(again.executions).toHaveLength(pageSize);
    }
    warm.sort((a, b) => a - b);
    timings.push(`first page again, 10 times: median ${(warm[5] ?? 0).toFixed(1)} ms, slowest ${(warm[9] ?? 0).toFixed(1)} ms`);
    const filtered = await timed('first page, status paused', async () => (await fetch(`${ui.origin}/api/executions?limit=${pageSize}&status=paused`)).json() as Promise<{ executions: { status: string }[] }>);
    expect(filtered.executions.every((e) => e.status === 'paused')).toBe(true);
    const next = await timed('second page', async () => (await fetch(`${ui.origin}/api/executions?limit=${pageSize}&after=${encodeURIComponent(first.nextCursor ?? '')}`)).json() as Promise<{ executions: { executionId: string }[] }>);
    expect(next.executions[0]?.executionId).toBe(idOf(total - 1 - pageSize));
    const html = await timed('the table page (HTML)', async () => (await fetch(ui.origin)).text());
    expect(html).toContain('id="executions"');
    const counts = await timed('counts by status (walks the index)', async () => (await fetch(`${ui.origin}/api/counts`)).json() as Promise<{ total: number; counts: Record<string, number> }>);
    expect(counts.total).toBe(total);
    expect(Object.values(counts.counts).reduce((a, b) => a + b, 0)).toBe(total);
  }, 120_000);

  it.runIf(measuring)(`answers the first page within ${firstPageBudgetMs} ms (measured runs only)`, () => {
    expect(firstPageMs, 'the first test measures it').toBeDefined();
    expect(firstPageMs).toBeLessThan(firstPageBudgetMs);
  });
});
