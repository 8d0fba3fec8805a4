/**
 * Values a participant or an application wrote (error messages, context keys and values, request
 * targets) may hold terminal control sequences. Every command shows them escaped: the window title,
 * the screen and the line an operator reads stay as they were, with or without colours.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryBroker, Saga, SagaBusinessError, SagaManager, SagaParticipant, SagaRequest } from '@saga/core';
import { SqliteEventStore } from '@saga/sqlite';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { runCli, startCli, type CliResult } from './runCli.js';

const hostile = '\u001b]0;pwned\u0007 \u001b[2J over\rwritten \u009b31m';
/** How `hostile` reads once escaped. */
const shown = '\\u001b]0;pwned\\u0007 \\u001b[2J over\\rwritten \\u009b31m';
const hostileKey = 'note\u001b[2J';

const order = new Saga('hostile_order', { version: '1' })
  .localStep()
  .onExecute((ctx) => ctx.with({ state: 'pending' }))
  .onFailure((ctx) => ctx.with({ state: 'cancelled' }))
  .remoteStep()
  .onExecute((ctx) => new SagaRequest('payment.charge', { note: ctx.get('note') ?? null }))
  .commit();

// The target is computed from the context: the `now` column of `saga list` shows it.
const waiting = new Saga('hostile_wait', { version: '1' })
  .remoteStep()
  .onExecute((ctx) => new SagaRequest(`stock.reserve${String(ctx.get('suffix'))}`, {}))
  .commit();

let dir: string;
let url: string;
let file: string;
const ids: { failed?: string; paused?: string } = {};

/** Runs one failing execution (the participant's error message carries `hostile`); returns its id. */
const runFailing = async (store: SqliteEventStore): Promise<string> => {
  const broker = new InMemoryBroker();
  const manager = new SagaManager({ store, broker, service: 'order' });
  const payment = new SagaParticipant({ broker, service: 'payment' }).handle('payment.charge', (payload) => {
    throw new SagaBusinessError(`card declined: ${String((payload as { note?: unknown } | null)?.note)}`);
  });
  await manager.setup();
  await payment.setup();
  try {
    const execution = await manager.run({ definition: order, context: { note: hostile, [hostileKey]: hostile }, raiseOnError: false });
    return execution.id;
  } finally {
    await payment.destroy();
    await manager.destroy();
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'saga-hostile-'));
  file = join(dir, 'saga.db');
  url = `sqlite:${file}`;
  const store = new SqliteEventStore({ filename: file });
  const silent = new SagaManager({ store, broker: new InMemoryBroker(), service: 'order' });
  await silent.setup();
  try {
    ids.failed = await runFailing(store);
    ids.paused = (await silent.run({ definition: waiting, context: { suffix: hostile }, pauseOnDisk: true })).id;
  } finally {
    await silent.destroy();
    await store.destroy();
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Control characters a terminal acts on; line feeds and tabs are the CLI's own layout.
// eslint-disable-next-line no-control-regex -- finding control characters is what this test is for
const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/u;
// The colour sequences the CLI writes itself when colours are on.
// eslint-disable-next-line no-control-regex -- as above
const ownColours = /\u001b\[(?:1|2|22|3[1-6]|39)m/gu;

const expectClean = (result: CliResult, colours = false): void => {
  for (const text of [result.stdout, result.stderr]) {
    const visible = colours ? text.replaceAll(ownColours, '') : text;
    expect(visible, `raw control characters in ${JSON.stringify(text)}`).not.toMatch(controls);
  }
};

const saga = (args: readonly string[], env: Record<string, string> = {}) => runCli(args, { env: { SAGA_STORE_URL: url, ...env } });

describe('values with terminal control sequences', () => {
  it('saga history shows them escaped', async () => {
    const result = await saga(['history', ids.failed ?? '']);
    expect(result.code).toBe(0);
    expectClean(result);
    expect(result.stdout.replace(/\s*│\s*/g, ' ')).toContain('\\u001b]0;pwned\\u0007');
  });

  it('saga show shows them escaped, in the error and in the context', async () => {
    const result = await saga(['show', ids.failed ?? '']);
    expect(result.code).toBe(0);
    expectClean(result);
    expect(result.stdout).toContain(`card declined: ${shown}`);
    expect(result.stdout).toContain('"note\\u001b[2J":');
  });

  it('saga replay shows them escaped in what a revision changed', async () => {
    const result = await saga(['replay', ids.failed ?? '', '--to', '0']);
    expect(result.code).toBe(0);
    expectClean(result);
  });

  it('saga list shows them escaped, in what an execution waits for and in the criteria it repeats', async () => {
    const listed = await saga(['list']);
    expect(listed.code).toBe(0);
    expectClean(listed);
    expect(listed.stdout).toContain('waiting for reply from stock.reserve\\u001b]0;pwned');
    const byContext = await saga(['list', '--context', `note=${hostile}`]);
    expect(byContext.code).toBe(0);
    expectClean(byContext);
    expect(byContext.stdout).toContain(`matching context note=${shown}`);
  });

  it('saga verify and the errors of any command show them escaped', async () => {
    expectClean(await saga(['verify', '--all']));
    const notAnId = await saga(['show', `no-such-id${hostile}`]);
    expect(notAnId.code).toBe(2);
    expectClean(notAnId);
    expect(notAnId.stderr).toContain(`'no-such-id${shown}' is not an execution id`);
  });

  it('with colours on, only the colours of the CLI itself get through', async () => {
    const result = await saga(['show', ids.failed ?? ''], { FORCE_COLOR: '1', NO_COLOR: '' });
    expect(result.stdout).toMatch(ownColours);
    expectClean(result, true);
    expect(result.stdout).toContain(shown);
  });

  it('saga history --json escapes what JSON leaves raw, and still gives the same values', async () => {
    const result = await saga(['history', ids.failed ?? '', '--json']);
    expect(result.code).toBe(0);
    expectClean(result);
    const exported = JSON.parse(result.stdout) as { execution: { context: Record<string, unknown> } };
    expect(exported.execution.context).toMatchObject({ note: hostile, [hostileKey]: hostile });
  });

  it('saga tail shows them escaped as they are appended', async () => {
    const tail = startCli(['tail', '--interval', '100'], { env: { SAGA_STORE_URL: url } });
    let stdout = '';
    let stderr = '';
    tail.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    tail.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => tail.on('close', resolve));
    onTestFinished(() => {
      if (tail.exitCode === null) tail.kill('SIGKILL');
    });
    const until = async (condition: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (stdout: ${stdout}, stderr: ${stderr})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await until(() => stderr.includes('Following'), 'the ready line');
    const store = new SqliteEventStore({ filename: file });
    try {
      await runFailing(store);
    } finally {
      await store.destroy();
    }
    await until(() => stdout.includes('SagaFailed'), 'SagaFailed');
    tail.kill('SIGINT');
    expect(await exited).toBe(0);
    expectClean({ code: 0, stdout, stderr });
    expect(stdout).toContain(shown.slice(0, 20));
  });
});
