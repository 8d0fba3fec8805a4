/**
 * A store URL with a password (in the user info, or `?password=` in the query) never shows in the
 * console: not in its pages, its JSON, its error answers, the downloaded report, nor its output. On
 * the real PostgreSQL; skipped, with one line saying why, without SAGA_TEST_POSTGRES_URL.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryBroker, Saga, SagaManager } from '@saga/core';
import { PostgresEventStore } from '@saga/postgres';
import { startConsole } from './consoleProcess.js';

const serverUrl = process.env.SAGA_TEST_POSTGRES_URL;
const pg = createRequire(createRequire(import.meta.url).resolve('@saga/postgres'))('pg') as {
  Client: new (config: { connectionString?: string }) => { connect(): Promise<unknown>; query(sql: string): Promise<unknown>; end(): Promise<unknown> };
};
const schema = `saga_ui_secret_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const secret = /s3cr|x%y/;

const withPassword = (where: 'user info' | 'query'): string => {
  const url = new URL(serverUrl ?? 'postgres://localhost/test');
  const base = `${url.protocol}//${decodeURIComponent(url.username)}${where === 'user info' ? ':s3cr@t:x%y' : ''}@${url.host}${url.pathname}`;
  return where === 'user info' ? `${base}?schema=${schema}` : `${base}?password=s3cr3t&x=1&schema=${schema}`;
};

describe.skipIf(serverUrl === undefined)(serverUrl === undefined ? 'saga ui and store passwords — skipped: set SAGA_TEST_POSTGRES_URL' : 'saga ui and store passwords', () => {
  let id: string;

  beforeAll(async () => {
    const store = new PostgresEventStore({ connectionString: serverUrl ?? '', schema });
    const manager = new SagaManager({ store, broker: new InMemoryBroker(), service: 'order' });
    await manager.setup();
    try {
      const saga = new Saga('secret_url').localStep().onExecute((context) => context).commit();
      id = (await manager.run({ definition: saga, context: { n: 1 } })).id;
    } finally {
      await manager.destroy();
      await store.destroy();
    }
  }, 60_000);

  afterAll(async () => {
    const db = new pg.Client({ connectionString: serverUrl });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.end();
  });

  it.each(['user info', 'query'] as const)('no page, endpoint, error or output shows a password given in the %s', async (where) => {
    const ui = await startConsole(['--allow-actions'], { SAGA_STORE_URL: withPassword(where) });
    try {
      const paths = [
        '/',
        '/api/executions',
        '/api/counts',
        `/executions/${id}`,
        `/api/executions/${id}`,
        `/api/executions/${id}/view?upTo=0`,
        `/executions/${id}/report.html`,
        `/api/executions/${id}/actions/fork?fromRevision=0`,
        '/executions/no-such-execution',
        '/api/executions/no-such-execution',
        '/api/executions?status=bogus',
      ];
      let seen = '';
      for (const path of paths) {
        const response = await fetch(`${ui.origin}${path}`);
        seen += await response.text();
      }
      expect(seen).toContain(new URL(serverUrl ?? '').host);
      expect(seen).toContain('No execution no-such-execution in the store postgres://');
      expect(seen).not.toMatch(secret);
      expect(ui.stdout() + ui.stderr()).not.toMatch(secret);
    } finally {
      await ui.stop();
    }
  });
});
