import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryBroker, SagaManager } from '@saga/core';
import { SqliteEventStore } from '@saga/sqlite';
import { bookLedger } from './fixtures/ledgerSaga.mjs';
import { runCli } from './runCli.js';

const dir = mkdtempSync(join(tmpdir(), 'saga-cli-resume-'));
const file = join(dir, 'saga.db');
const definition = `${join(import.meta.dirname, 'fixtures', 'ledgerSaga.mjs')}#bookLedger`;
let stuckId = '';

beforeAll(async () => {
  const store = new SqliteEventStore({ filename: file });
  const manager = new SagaManager({ store, broker: new InMemoryBroker(), service: 'billing', compensationRetry: { attempts: 1 } });
  await manager.setup();
  stuckId = (await manager.run({ definition: bookLedger, raiseOnError: false })).id;
  await manager.destroy();
  await store.destroy();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('saga resume', () => {
  it('while the cause is not fixed, the compensation fails again and the exit code says so', async () => {
    const result = await runCli(['resume', stuckId, '--definition', definition], { env: { SAGA_STORE_URL: `sqlite:${file}` } });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('ledger is down');
  });

  it('once it is fixed, the compensation completes and the execution ends compensated', async () => {
    const result = await runCli(['resume', stuckId, '--definition', definition], { env: { SAGA_STORE_URL: `sqlite:${file}`, LEDGER_UP: '1' } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const history = await runCli(['history', stuckId, '--json'], { env: { SAGA_STORE_URL: `sqlite:${file}` } });
    const types = (JSON.parse(history.stdout) as { events: { type: string }[] }).events.map((e) => e.type);
    expect(types.filter((t) => t === 'CompensationResumed')).toHaveLength(2);
    expect(types.slice(-3)).toEqual(['CompensationResumed', 'StepCompensated', 'SagaFailed']);
  });

  it('an execution with nothing to resume is refused with the reason', async () => {
    const result = await runCli(['resume', stuckId, '--definition', definition], { env: { SAGA_STORE_URL: `sqlite:${file}` } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/only an execution whose compensation failed/);
  });
});
