import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryBroker, SagaManager, SagaResponse } from '@saga/core';
import { SqliteEventStore } from '@saga/sqlite';
import { shipOrder } from './fixtures/shipmentSaga.mjs';
import { runCli } from './runCli.js';

const dir = mkdtempSync(join(tmpdir(), 'saga-cli-cancel-'));
const file = join(dir, 'saga.db');
const env = { SAGA_STORE_URL: `sqlite:${file}` };
const definition = `${join(import.meta.dirname, 'fixtures', 'shipmentSaga.mjs')}#shipOrder`;
let pausedId = '';
let requestId = '';
let finishedId = '';

beforeAll(async () => {
  const store = new SqliteEventStore({ filename: file });
  const manager = new SagaManager({ store, broker: new InMemoryBroker(), service: 'shipping', recoveryIntervalMs: 0 });
  await manager.setup();
  const paused = await manager.run({ definition: shipOrder, pauseOnDisk: true });
  pausedId = paused.id;
  requestId = paused.pendingRequest?.requestId ?? '';
  await manager.destroy();
  await store.destroy();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const typesOf = async (id: string): Promise<string[]> => {
  const history = await runCli(['history', id, '--json'], { env });
  return (JSON.parse(history.stdout) as { events: { type: string }[] }).events.map((e) => e.type);
};

describe('saga cancel', () => {
  it('records the cancel with the reason and who asked; the execution awaits its request in flight', async () => {
    const result = await runCli(['cancel', pausedId, '--reason', 'customer withdrew', '--by', 'ops', '--definition', definition], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/cancelled\s+customer withdrew \(by ops\)/);
    expect((await typesOf(pausedId)).slice(-1)).toEqual(['CancelRequested']);
  });

  it('when the reply comes, the finished step is compensated and the execution ends with SagaCancelledError', async () => {
    const store = new SqliteEventStore({ filename: file });
    const manager = new SagaManager({ store, broker: new InMemoryBroker(), service: 'shipping', definitions: [shipOrder], recoveryIntervalMs: 0 });
    await manager.setup();
    try {
      const done = await manager.run({ response: new SagaResponse({ sagaId: pausedId, requestId }), raiseOnError: false });
      expect(done.error).toEqual({ name: 'SagaCancelledError', message: 'Cancelled by ops: customer withdrew' });
      expect(done.context).toMatchObject({ unbooked: true });
      const other = await manager.run({ definition: shipOrder, pauseOnDisk: true });
      finishedId = (await manager.run({ response: new SagaResponse({ sagaId: other.id, requestId: other.pendingRequest?.requestId ?? '' }) })).id;
    } finally {
      await manager.destroy();
      await store.destroy();
    }
    const types = await typesOf(pausedId);
    expect(types.slice(types.indexOf('CancelRequested'))).toEqual(['CancelRequested', 'ReplyReceived', 'StepFinished', 'CancelStarted', 'StepCompensated', 'SagaFailed']);
  });

  it('cancelling twice is harmless; an execution that ended otherwise is refused; a missing --reason is a usage error', async () => {
    const again = await runCli(['cancel', pausedId, '--reason', 'again?', '--definition', definition], { env });
    expect(again.code).toBe(0);
    expect((await typesOf(pausedId)).filter((t) => t === 'CancelRequested')).toHaveLength(1);
    const refused = await runCli(['cancel', finishedId, '--reason', 'too late', '--definition', definition], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/only a running or paused execution can be/);
    const usage = await runCli(['cancel', pausedId, '--definition', definition], { env });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--reason/);
  });
});
