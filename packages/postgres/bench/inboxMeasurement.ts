/**
 * What the participant inbox costs on PostgreSQL: requests handled per second with a one-row effect
 * through `PostgresInbox.handleOnce`, against the same effect in a bare transaction, sequentially and
 * 16 at a time; and duplicates answered from the inbox.
 *
 *   SAGA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test pnpm --filter @saga/postgres bench:inbox   (INBOX_BENCH_N=2000 for more requests)
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { SagaResponseStatus } from '@saga/core';
import { PostgresInbox } from '../src/postgresInbox.js';

const url = process.env.SAGA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `saga_inbox_bench_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
const n = Number(process.env.INBOX_BENCH_N ?? 1_000);
const pool = new pg.Pool({ connectionString: url, max: 16 });
await pool.query(`CREATE SCHEMA ${schema}`);
await pool.query(`CREATE TABLE ${schema}.effects (key TEXT NOT NULL)`);
const inbox = new PostgresInbox({ pool, schema });
await inbox.setup();

const inParallel = async (count: number, width: number, task: (i: number) => Promise<unknown>): Promise<void> => {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) await task(next++);
  }));
};
const rate = async (label: string, width: number, task: (i: number) => Promise<unknown>): Promise<void> => {
  const started = performance.now();
  await inParallel(n, width, task);
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${label.padEnd(44)} ${String(width).padStart(2)} at once  ${Math.round(n / seconds).toLocaleString('en').padStart(7)} /s\n`);
};
const bare = async (key: string) => {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`INSERT INTO ${schema}.effects (key) VALUES ($1)`, [key]);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
};
const viaInbox = (key: string) =>
  inbox.handleOnce({ participant: 'stock', requestId: key, sagaId: 's' }, async (tx) => {
    await tx.query(`INSERT INTO ${schema}.effects (key) VALUES ($1)`, [key]);
    return { value: { sagaId: 's', requestId: key, status: SagaResponseStatus.SUCCESS, relatedServices: ['stock'], payload: { ok: true } }, keepEffects: true };
  });

try {
  for (const width of [1, 16]) {
    await rate('effect in a bare transaction', width, (i) => bare(`bare-${width}-${i}`));
    await rate('effect + record through PostgresInbox', width, (i) => viaInbox(`inbox-${width}-${i}`));
    await rate('duplicate answered from PostgresInbox', width, (i) => viaInbox(`inbox-${width}-${i}`));
  }
} finally {
  await inbox.destroy();
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.end();
}
