/**
 * `saga tail` follows a live store through its global order: it is started, a saga runs in this
 * process on the same SQLite file (another process: tail reads every --interval), a paused
 * execution is continued, and the lines it printed are checked; Ctrl-C stops it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryBroker, SagaManager, SagaResponse, SagaResponseStatus } from '@saga/core';
import { SqliteEventStore } from '@saga/sqlite';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { createOrder, startParticipants } from './fixtures/orderSaga.mjs';
import { recordStore, type RecordedStore } from './recordedStore.js';
import { startCli } from './runCli.js';

let dir: string;
let recorded: RecordedStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'saga-tail-'));
  recorded = await recordStore(dir);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const until = async (condition: () => boolean, what: () => string, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

it('prints events as they are appended, to new and existing executions, until Ctrl-C', async () => {
  const tail = startCli(['tail', '--interval', '100'], { env: { SAGA_STORE_URL: recorded.url } });
  let stdout = '';
  let stderr = '';
  tail.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  tail.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => tail.on('close', resolve));
  // Whatever fails below, the child must not outlive the test.
  onTestFinished(() => {
    if (tail.exitCode === null) tail.kill('SIGKILL');
  });
  await until(() => stderr.includes('Following'), () => `the ready line (stderr: ${stderr})`);
  expect(stderr).toContain(`Following every execution in ${recorded.url} (from SAGA_STORE_URL) from its newest event on; Ctrl-C to stop.`);
  // What was there before is not printed again.
  expect(stdout).toBe('');

  const store = new SqliteEventStore({ filename: recorded.file });
  const broker = new InMemoryBroker();
  const manager = new SagaManager({ store, broker, service: 'order', definitions: [createOrder] });
  await manager.setup();
  const participants = await startParticipants(broker);
  try {
    const execution = await manager.run({ definition: createOrder, context: { orderId: 'order-2001', sku: 'T1', amount: 7, express: false }, user: 'carol' });
    const short = execution.id.slice(0, 8);
    await until(() => stdout.includes('TransactionNotified'), () => `TransactionNotified of ${short} (stdout: ${stdout})`);
    const lines = stdout.split('\n').filter((line) => line.includes(short));
    const types = lines.map((line) => /#\d+\s+(\w+)/.exec(line)?.[1]);
    expect(types[0]).toBe('SagaStarted');
    expect(types).toContain('BranchChosen');
    expect(types.slice(-2)).toEqual(['TransactionCommitted', 'TransactionNotified']);
    expect(lines.map((line) => Number(/#(\d+)/.exec(line)?.[1]))).toEqual(lines.map((_, index) => index));
    expect(lines[0]).toContain('create_order@1 for carol');
    expect(stdout).toMatch(/#\d+\s+RequestSent\s+3\.else\.0\s+→ shipping\.schedule \{"orderId":"order-2001"/);

    // The paused execution, listed before tail started, gets its reply now.
    const paused = await manager.get(recorded.ids.paused);
    const requestId = paused.pendingRequest?.requestId ?? '';
    await manager.run({ response: new SagaResponse({ sagaId: paused.id, requestId, status: SagaResponseStatus.SUCCESS, payload: { sku: 'C3', reservationId: 'R-C3' } }), pauseOnDisk: true });
    const pausedShort = recorded.ids.paused.slice(0, 8);
    await until(() => stdout.includes(`${pausedShort}  #${paused.revision + 1}`), () => `the reply to ${pausedShort} (stdout: ${stdout})`);
    expect(stdout).toMatch(new RegExp(`${pausedShort}  #${paused.revision + 1}\\s+ReplyReceived\\s+1\\s+← SUCCESS`));
  } finally {
    await participants.destroy();
    await manager.destroy();
    await store.destroy();
  }

  tail.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(stderr).not.toContain('could not');
});
