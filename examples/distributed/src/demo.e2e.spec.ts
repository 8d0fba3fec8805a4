/**
 * `pnpm --filter @saga/example-distributed start`, as a user runs it (from the sources, through
 * tsx's loader, so no build is needed): five processes on RabbitMQ and PostgreSQL, a few orders, one
 * line per order, and nothing left behind. Needs SAGA_TEST_POSTGRES_URL and SAGA_TEST_AMQP_URL.
 * The demo runs as a `TestChildProcess` (`node --import tsx src/run.ts`, in its own process group):
 * on a failure or a timeout, teardown ends it and the five processes it started.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { TestChildProcess, stopChildProcesses } from '@saga/testing';

const postgresUrl = process.env.SAGA_TEST_POSTGRES_URL;
const amqpUrl = process.env.SAGA_TEST_AMQP_URL;
const missing = [postgresUrl ? undefined : 'SAGA_TEST_POSTGRES_URL', amqpUrl ? undefined : 'SAGA_TEST_AMQP_URL'].filter((v) => v !== undefined);
const skipped = missing.length > 0 ? `distributed demo skipped: set ${missing.join(' and ')} (e.g. bash .ci/run)` : undefined;
if (skipped) console.warn(skipped);

const packageDir = fileURLToPath(new URL('..', import.meta.url));

(skipped ? describe.skip : describe)(skipped ?? 'the distributed demo (src/run.ts)', () => {
  afterEach(() => stopChildProcesses());

  it('runs the orders over five processes, prints each outcome, and removes its schema', { timeout: 120_000 }, async () => {
    const demo = TestChildProcess.start({
      script: join(packageDir, 'src', 'run.ts'),
      args: ['--orders', '10', '--crash'],
      cwd: packageDir,
      name: 'the distributed demo',
      env: { DISTRIBUTED_BROKER_URL: amqpUrl, DISTRIBUTED_POSTGRES_URL: postgresUrl },
    });
    const exit = await demo.waitForExit({ point: 'the end of the demo', timeoutMs: 110_000 });
    expect(exit, demo.tail()).toEqual({ code: 0, signal: null });
    const stdout = demo.tail(200); // the demo's whole output for 10 orders (stdout and stderr)
    expect(stdout).toContain('Started 3 participants and 2 managers');
    expect(stdout).toMatch(/order-0001 .* FINISHED, committed/);
    expect(stdout).toMatch(/order-0005 .* ERRORED: Step 2 got a 400 reply: card declined/);
    expect(stdout).toMatch(/order-0007 .* ERRORED: Step 3 got a 400 reply: no carrier delivers to Atlantis/);
    expect(stdout).toContain('stock released · payment refunded · shipping refused');
    expect(stdout).toMatch(/killed manager-2 \(pid \d+, SIGKILL\)/);
    expect(stdout).toContain('10 sagas settled');
    expect(stdout).toContain('Every order ended as expected, and every service agrees with its saga.');

    const schema = /schema (distributed_[0-9a-f]+)/.exec(stdout)?.[1];
    expect(schema).toBeDefined();
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      expect(rowCount, `schema ${schema} is dropped at the end`).toBe(0);
    } finally {
      await client.end();
    }
  });
});
