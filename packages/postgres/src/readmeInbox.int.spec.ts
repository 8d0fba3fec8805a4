// The README's participant-inbox example, run as written: only the database it points at (a fresh
// schema on the test server) and the package's import (this package's source) are swapped.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { quoteIdentifier } from './sqlIdentifiers.js';
import { postgresTestServer } from './testServer.js';

const server = await postgresTestServer();
const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, `.readme-inbox-${process.pid}.ts`);
afterAll(async () => {
  rmSync(script, { force: true });
  await server.stop();
});

describe.skipIf(server.skip !== undefined)('the README’s participant inbox example', () => {
  it('runs as written and prints what the README says it prints', async () => {
    const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Participant inbox')))?.[1] ?? '';
    const expected = [...code.matchAll(/console\.log\(.*\n\/\/ (.+)$/gm)].map((m) => m[1]);
    expect(expected).toHaveLength(2);
    const schema = server.freshSchema('readme');
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    await admin.end();
    const url = new URL(server.url ?? '');
    url.searchParams.set('options', `-c search_path=${schema}`);
    const swapped = code
      .replace('postgres://stock:secret@db.internal:5432/stock', url.toString())
      .replace('new PostgresInbox({ pool })', `new PostgresInbox({ pool, schema: '${schema}' })`)
      .replace("from '@saga/postgres'", "from './index.js'");
    expect(swapped).not.toBe(code);
    writeFileSync(script, swapped);
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(format(...args)));
    try {
      await import(script);
    } finally {
      log.mockRestore();
    }
    // The README shows each console.log's output in the comment line right below it.
    expect(printed).toEqual(expected);
  });
});
