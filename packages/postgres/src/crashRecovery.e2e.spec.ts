import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InMemoryBroker, SagaManager, SagaParticipant, SagaResponse, SagaStatus, executionIdOf } from '@saga/core';
import { TestChildProcess, isProcessGone, stopChildProcesses, waitFor, type ChildMessage } from '@saga/testing';
import { crashSaga, type AcknowledgedAppend } from '../test/fixtures/crashSaga.js';
import { PostgresEventStore } from './postgresEventStore.js';
import { quoteIdentifier } from './sqlIdentifiers.js';
import { postgresTestServer } from './testServer.js';

const server = await postgresTestServer();
afterAll(() => server.stop());

const childScript = fileURLToPath(new URL('../test/fixtures/crashChild.ts', import.meta.url));

interface StoredRow {
  readonly revision: number;
  readonly event_id: string | null;
  readonly type: string;
  readonly data: { readonly path?: string; readonly requestId?: string };
}

/**
 * A process is killed (SIGKILL: no cleanup, no flush) in the middle of a saga on PostgreSQL; another
 * process finishes the execution from the stream alone.
 */
(server.skip === undefined ? describe : describe.skip)('a manager killed mid-saga on PostgreSQL', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await stopChildProcesses(); // the child never outlives the test, passed or failed
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('loses no acknowledged event, duplicates none, and a new process finishes the execution', { timeout: 60_000 }, async () => {
    const url = server.url ?? '';
    const schema = server.freshSchema('crash');
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    cleanups.push(() => db.end());
    const rows = async (): Promise<StoredRow[]> =>
      (await db.query<StoredRow>(`SELECT revision, event_id, type, data FROM ${quoteIdentifier(schema)}.saga_events ORDER BY global_position`)).rows;

    // 1. The child runs the saga until the payment request (step 3) is stored, and hangs there.
    // It runs as `node --import tsx` (no wrapper between the pid killed and the engine).
    const child = TestChildProcess.start({ script: childScript, args: [url, schema], name: 'crash child (SagaManager on PostgreSQL)' });
    await child.ready();
    const requestAppends = (): ChildMessage[] =>
      child.messages.filter((m) => m.type === 'acknowledged' && (m.append as AcknowledgedAppend).events.some((e) => e.type === 'RequestSent'));
    await child.waitForMessage((m) => m === requestAppends()[1], { point: 'the step-3 RequestSent acknowledged', timeoutMs: 30_000 });
    expect((await rows()).some((row) => row.type === 'RequestSent' && row.data.path === '2')).toBe(true);

    // 2. Killed mid-saga: no chance to finish an append, flush a buffer or close a connection. The
    // pid killed is the pid that announced itself and reported the appends, and it is gone.
    expect(await child.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(isProcessGone(child.pid)).toBe(true);
    const acknowledged = child.messages.filter((m) => m.type === 'acknowledged').map((m) => m.append as AcknowledgedAppend);

    const afterCrash = await rows();
    const stream = acknowledged[0]?.stream ?? '';
    expect(stream).toMatch(/^saga-/);
    expect(acknowledged.length).toBeGreaterThanOrEqual(2);
    expectAcknowledgedStored(acknowledged, afterCrash);
    expectNoDuplicates(afterCrash);

    // 3. Another process (this one) picks it up from the stream: same definition, its own broker.
    const store = new PostgresEventStore({ connectionString: url, schema, pool: { max: 3 } });
    const broker = new InMemoryBroker();
    const hooks: string[] = [];
    const participants = ['stock', 'payment'].map((service) =>
      new SagaParticipant({ broker, service })
        .onReserve(() => true)
        .onCommit(() => void hooks.push(`${service}:commit`)),
    );
    const manager = new SagaManager({ store, broker, service: 'order', definitions: [crashSaga], replyTimeoutMs: 10_000 });
    cleanups.push(async () => {
      await manager.destroy();
      for (const participant of participants) await participant.destroy();
      await broker.destroy();
      await store.destroy();
    });
    for (const participant of participants) await participant.setup();
    await manager.setup();

    const id = executionIdOf(stream);
    const resumed = await manager.get(id);
    expect(resumed.status).toBe(SagaStatus.Paused);
    expect(resumed.pendingRequest).toMatchObject({ target: 'payment.charge', path: '2' });
    expect(resumed.context).toMatchObject({ created: true, reservation: { reserved: { sku: 'A1' } } });

    const pending = resumed.pendingRequest?.requestId ?? '';
    const finished = await manager.run({
      response: new SagaResponse({ sagaId: id, requestId: pending, payload: { charged: 10 }, relatedServices: ['payment'] }),
    });
    expect(finished.status).toBe(SagaStatus.Finished);
    expect(finished.transaction.status).toBe('committed');
    expect(finished.context).toMatchObject({ created: true, payment: { charged: 10 }, confirmed: true });
    await waitFor(() => hooks.length === 2, { message: 'both participants to commit' });

    // 4. The whole stream: the child's acknowledged events untouched, nothing twice, and it replays
    // to exactly the execution the manager reads.
    const final = await rows();
    expectAcknowledgedStored(acknowledged, final);
    expectNoDuplicates(final);
    expect(final.slice(0, afterCrash.length)).toEqual(afterCrash);
    expect(final.filter((row) => row.type === 'ReplyReceived' && row.data.requestId === pending)).toHaveLength(1);
    expect(await manager.replay(id)).toEqual(await manager.get(id));
    expect((await manager.get(id)).status).toBe(SagaStatus.Finished);
    // Committed, then the outcome sent to the participants.
    expect(final.slice(-2).map((e) => e.type)).toEqual(['TransactionCommitted', 'TransactionNotified']);
  });
});

/** Every event of every acknowledged append is at its revision, with its id and type. */
const expectAcknowledgedStored = (acknowledged: readonly AcknowledgedAppend[], rows: readonly StoredRow[]): void => {
  for (const append of acknowledged) {
    const first = append.lastRevision - append.events.length + 1;
    append.events.forEach((event, index) => {
      const row = rows.find((r) => r.revision === first + index);
      expect(row, `acknowledged revision ${first + index} (${event.type})`).toBeDefined();
      expect({ id: row?.event_id, type: row?.type }).toEqual({ id: event.id, type: event.type });
    });
  }
};

/** Dense revisions from 0, each once, and no request sent twice. */
const expectNoDuplicates = (rows: readonly StoredRow[]): void => {
  expect(rows.map((row) => row.revision)).toEqual(rows.map((_, index) => index));
  const requestIds = rows.filter((row) => row.type === 'RequestSent').map((row) => row.data.requestId);
  expect(new Set(requestIds).size).toBe(requestIds.length);
  const eventIds = rows.map((row) => row.event_id);
  expect(new Set(eventIds).size).toBe(eventIds.length);
};
