import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');
const home = mkdtempSync(join(tmpdir(), 'saga-demo-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const demo = async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, SAGA_HOME: home };
  delete env.SAGA_STORE_URL;
  delete env.SAGA_BROKER_URL;
  return (await run(process.execPath, [main], { env, timeout: 60_000 })).stdout;
};

describe('pnpm demo (the built example, as a user runs it)', () => {
  it('finishes one order, compensates the declined one, and prints both histories', async () => {
    const out = await demo();
    expect(out).toMatch(/Order 1001[\s\S]*: FINISHED/);
    expect(out).toMatch(/Order 1002[\s\S]*: ERRORED \(ErrorReply: Step 2 got a 400 reply: card declined/);
    // The declined order: the stock reservation is released, then the order is cancelled, in that order.
    const declined = out.slice(out.indexOf('Order 1002'));
    expect(declined.indexOf('↩ stock.release')).toBeGreaterThan(declined.indexOf('StepFailed'));
    expect(declined).toContain('"state":"cancelled"');
    expect(out).toContain('TransactionCommitted');
    expect(out).toContain(`now holds 2 executions`);
  });

  it('keeps the first run’s executions when run again', async () => {
    const out = await demo();
    expect(out).toContain(`now holds 4 executions`);
    expect(out).toContain(join(home, 'saga.db'));
  });
});
