/**
 * Measures what one synchronous commit costs on the run's PostgreSQL, before the rounds: committed
 * one-row INSERTs in sequence over one connection (autocommit: each is its own transaction, so each
 * waits for its WAL flush under `synchronous_commit = on`), and SELECT 1 for the round trip alone.
 * The table lives in a scratch schema, dropped afterwards. commitFloor.ts turns it into each
 * sequential ratio's ceiling.
 */
import { loadPg } from './adapters.js';
import type { CommitLatency } from './results.js';
import { quantile } from './stats.js';

const schema = 'saga_bench_commit_floor';

const timed = async (count: number, statement: () => Promise<unknown>): Promise<number[]> => {
  const times: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    await statement();
    times.push(performance.now() - started);
  }
  return times;
};

const medianAndP90 = (times: readonly number[]): { median: number; p90: number } => ({ median: quantile(times, 0.5), p90: quantile(times, 0.9) });

export const measureCommitLatency = async (url: string, { commits = 1_000, warmup = 100 }: { commits?: number; warmup?: number } = {}): Promise<CommitLatency> => {
  const { Client } = await loadPg();
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`CREATE TABLE ${schema}.commits (id bigserial PRIMARY KEY, payload text NOT NULL)`);
    const insert = (): Promise<unknown> => client.query(`INSERT INTO ${schema}.commits (payload) VALUES ('x')`);
    const select = (): Promise<unknown> => client.query('SELECT 1');
    await timed(warmup, insert);
    const commitTimes = await timed(commits, insert);
    await timed(warmup, select);
    const roundTrips = await timed(commits, select);
    return { commits, warmup, commitMs: medianAndP90(commitTimes), roundTripMs: medianAndP90(roundTrips) };
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client.end();
  }
};
