/**
 * Store URLs with hostile passwords (an unescaped '@', ':' and '%'; or ?password= in the query, which
 * the driver reads too) are printed by `saga verify` and `saga list`, in connection errors, and in
 * the HTML report: always without the password. On the real PostgreSQL; skipped, with one line
 * saying why, without SAGA_TEST_POSTGRES_URL.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryBroker, Saga, SagaManager } from '@saga/core';
import { PostgresEventStore } from '@saga/postgres';
import { runCli } from './runCli.js';

const serverUrl = process.env.SAGA_TEST_POSTGRES_URL;
// The driver of @saga/postgres, to drop the schema afterwards (the CLI itself does not depend on it).
const pg = createRequire(createRequire(import.meta.url).resolve('@saga/postgres'))('pg') as {
  Client: new (config: { connectionString?: string }) => { connect(): Promise<unknown>; query(sql: string): Promise<unknown>; end(): Promise<unknown> };
};
const schema = `saga_cli_secret_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const secret = /s3cr|x%y/;

/** The server's URL with a hostile password, in the user info or in the query. */
const withPassword = (where: 'user info' | 'query'): string => {
  const url = new URL(serverUrl ?? 'postgres://localhost/test');
  const base = `${url.protocol}//${decodeURIComponent(url.username)}${where === 'user info' ? ':s3cr@t:x%y' : ''}@${url.host}${url.pathname}`;
  return where === 'user info' ? `${base}?schema=${schema}` : `${base}?password=s3cr3t&x=1&schema=${schema}`;
};

describe.skipIf(serverUrl === undefined)(
  serverUrl === undefined ? 'store URLs with passwords — skipped: set SAGA_TEST_POSTGRES_URL' : 'store URLs with passwords',
  () => {
    let dir: string;
    let id: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'saga-cli-secret-'));
      const store = new PostgresEventStore({ connectionString: serverUrl ?? '', schema });
      const manager = new SagaManager({ store, broker: new InMemoryBroker(), service: 'order' });
      await manager.setup();
      try {
        const saga = new Saga('secret_url').localStep().onExecute((context) => context).commit();
        id = (await manager.run({ definition: saga, context: { n: 1 } })).id;
      } finally {
        await manager.destroy();
      }
    }, 60_000);

    afterAll(async () => {
      rmSync(dir, { recursive: true, force: true });
      const db = new pg.Client({ connectionString: serverUrl });
      await db.connect();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.end();
    });

    it.each(['user info', 'query'] as const)('saga verify, list and report never show a password given in the %s', async (where) => {
      const url = withPassword(where);
      const verify = await runCli(['verify', '--all', '--store', url]);
      expect(verify.code, verify.stderr).toBe(0);
      expect(verify.stdout).toContain('1 execution');
      expect(verify.stdout + verify.stderr).not.toMatch(secret);

      const list = await runCli(['list'], { env: { SAGA_STORE_URL: url } });
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout + list.stderr).not.toMatch(secret);

      const file = join(dir, `${where.replace(' ', '-')}.html`);
      const report = await runCli(['report', id, '--html', file, '--store', url]);
      expect(report.code, report.stderr).toBe(0);
      const html = readFileSync(file, 'utf8');
      expect(html).toContain(`${new URL(serverUrl ?? '').host}`);
      expect(html + report.stdout + report.stderr).not.toMatch(secret);
    });

    it.each(['user info', 'query'] as const)('a store that cannot be reached is named without a password given in the %s', async (where) => {
      const url = withPassword(where).replace(new URL(serverUrl ?? '').host, '127.0.0.1:1');
      const result = await runCli(['verify', '--all', '--store', url]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('127.0.0.1:1');
      expect(result.stdout + result.stderr).not.toMatch(secret);
    });

    it('a URL the driver cannot parse (an unescaped / or ? in the password) is refused without it', async () => {
      for (const password of ['s3cr/et', 's3cr?et']) {
        const result = await runCli(['verify', '--all', '--store', `postgres://postgres:${password}@127.0.0.1:1/test`]);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/Invalid PostgreSQL store URL/);
        expect(result.stdout + result.stderr).not.toMatch(secret);
      }
    });
  },
);
