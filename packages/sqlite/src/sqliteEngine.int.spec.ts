import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Saga, SagaManager, SagaStatus } from '@saga/core';
import { engineScenarios } from '@saga/testing';
import { SqliteEventStore } from './sqliteEventStore.js';

const root = mkdtempSync(join(tmpdir(), 'saga-sqlite-engine-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let count = 0;
// A fresh file per scenario: the scenarios check what the store lists.
engineScenarios('SqliteEventStore', async () => new SqliteEventStore({ filename: join(root, `scenario-${++count}.db`) }));

describe('SagaManager.fromConfig() with the embedded default', () => {
  const saved = { home: process.env.SAGA_HOME, store: process.env.SAGA_STORE_URL, broker: process.env.SAGA_BROKER_URL };
  afterEach(() => {
    for (const [key, value] of [['SAGA_HOME', saved.home], ['SAGA_STORE_URL', saved.store], ['SAGA_BROKER_URL', saved.broker]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  const saga = new Saga('from_config').localStep().onExecute((ctx) => ctx.with({ done: true })).commit();

  it('stores executions in $SAGA_HOME/saga.db, which outlives the manager', async () => {
    process.env.SAGA_HOME = join(root, 'home');
    delete process.env.SAGA_STORE_URL;
    delete process.env.SAGA_BROKER_URL;
    const first = await SagaManager.fromConfig();
    // fromConfig loads the built package, so compare by name rather than by this file's class.
    expect(first.store.constructor.name).toBe('SqliteEventStore');
    await first.setup();
    const execution = await first.run({ definition: saga });
    await first.destroy();

    const second = await SagaManager.fromConfig({}, { definitions: [saga] });
    await second.setup();
    const again = await second.get(execution.id);
    expect(again.status).toBe(SagaStatus.Finished);
    expect(again.context).toEqual({ done: true });
    await second.destroy();
  });

  it('SAGA_STORE_URL wins over the default; an unknown scheme names the variable and what to use', async () => {
    process.env.SAGA_STORE_URL = `sqlite:${join(root, 'explicit.db')}`;
    const manager = await SagaManager.fromConfig();
    expect(manager.store.constructor.name).toBe('SqliteEventStore');
    await manager.destroy();
    process.env.SAGA_STORE_URL = 'mongodb://user:secret@db.example/x';
    const error = await SagaManager.fromConfig().catch((e: unknown) => e);
    expect(String(error)).toMatch(/SAGA_STORE_URL 'mongodb:\/\/\*\*\*@db.example\/x' has scheme mongodb:; known stores: memory:, sqlite:/);
    expect(String(error)).not.toContain('secret');
  });
});
