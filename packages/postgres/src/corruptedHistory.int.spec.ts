import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorruptedHistoryError, Saga, SagaRequest, SagaResponse, executionStream, replyTopic, type SagaExecution } from '@saga/core';
import { sagaTestWorld, type SagaTestWorld } from '@saga/testing';
import { PostgresEventStore } from './postgresEventStore.js';
import { quoteIdentifier } from './sqlIdentifiers.js';
import { postgresTestServer } from './testServer.js';

const server = await postgresTestServer();
afterAll(() => server.stop());

/**
 * A row that no engine wrote, put there with SQL behind the store's back (a bad migration, a manual
 * fix gone wrong): the engine must name the stream and revision and refuse to write after it.
 */
(server.skip === undefined ? describe : describe.skip)('a corrupted row in PostgreSQL', () => {
  let world: SagaTestWorld;
  let db: pg.Client;
  let store: PostgresEventStore;
  let paused: SagaExecution;

  const saga = new Saga('corrupt_pg').remoteStep().onExecute(() => new SagaRequest('nobody.listens', { sku: 'A1' })).commit();

  beforeEach(async () => {
    store = new PostgresEventStore({ connectionString: server.url ?? '', schema: server.freshSchema('corrupt'), pool: { max: 4 } });
    world = await sagaTestWorld({ store });
    db = new pg.Client({ connectionString: server.url });
    await db.connect();
    paused = await (await world.manager()).run({ definition: saga, pauseOnDisk: true });
  });

  afterEach(async () => {
    await world.destroy();
    await db.end();
  });

  const insertRow = async (revision: number, type: string, data: string): Promise<void> => {
    await db.query(
      `INSERT INTO ${quoteIdentifier(store.schema)}.saga_events (stream_id, revision, type, data, metadata, recorded_at)
       VALUES ($1, $2, $3, $4::jsonb, '{}'::jsonb, now())`,
      [executionStream(paused.id), revision, type, data],
    );
  };

  const rowCount = async (): Promise<number> =>
    Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdentifier(store.schema)}.saga_events`)).rows[0]?.n);

  const expectRefused = async (revision: number, reason: RegExp): Promise<void> => {
    const manager = await world.manager({ definitions: [saga] });
    const error = await manager.get(paused.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptedHistoryError);
    expect(error).toMatchObject({ stream: executionStream(paused.id), revision });
    expect((error as Error).message).toMatch(reason);
    expect((error as Error).message).toContain(`'${executionStream(paused.id)}' is corrupted at revision ${revision}`);

    const before = await rowCount();
    const response = new SagaResponse({ sagaId: paused.id, requestId: paused.pendingRequest?.requestId ?? '', payload: { ok: true } });
    // A reply passed to run() …
    await expect(manager.run({ response, pauseOnDisk: true })).rejects.toBeInstanceOf(CorruptedHistoryError);
    // … and one arriving through the broker: both refused, and nothing written.
    await world.broker.publish(replyTopic('order'), {
      id: 'reply-1',
      headers: { sagaId: paused.id, requestId: response.requestId, status: '200' },
      body: { ok: true },
    });
    await world.broker.drain();
    expect(await rowCount()).toBe(before);
  };

  it('data that is not an object', async () => {
    await insertRow(paused.revision + 1, 'ReplyReceived', '"a string, not an object"');
    await expectRefused(paused.revision + 1, /ReplyReceived does not decode/);
  });

  it('an event type the engine does not know', async () => {
    await insertRow(paused.revision + 1, 'SomethingElse', '{"path": "0"}');
    await expectRefused(paused.revision + 1, /unknown event type 'SomethingElse'/);
  });

  it('a gap in the revisions', async () => {
    await insertRow(paused.revision + 2, 'StepFinished', '{"path": "0"}');
    await expectRefused(paused.revision + 2, /revisions must be dense/);
  });
});
