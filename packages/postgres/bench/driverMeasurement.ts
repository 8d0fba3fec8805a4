/**
 * Measures appends/s of `pg` and `postgres` (postgres.js) on the same workload, to choose the driver.
 *
 *   SAGA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test pnpm --filter @saga/postgres bench
 *
 * Workload: `streams` streams, each grown by `appendsPerStream` appends of 3 events (~250 bytes of
 * JSON each, like an engine decision), every append expecting the stream's last revision; `concurrency`
 * workers share a pool of 10 connections. Each driver runs the store's append in two shapes: the one
 * statement the store sends, and the same append as an explicit BEGIN / INSERT / NOTIFY / COMMIT
 * transaction. Each driver writes to a schema of its own, dropped afterwards.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import postgres from 'postgres';
import { appendStatement, type AppendRow } from '../src/appendStatement.js';
import { migrate } from '../src/migrations.js';
import { notifyChannel, quoteIdentifier } from '../src/sqlIdentifiers.js';

const url = process.env.SAGA_TEST_POSTGRES_URL;
if (!url) {
  console.error('Set SAGA_TEST_POSTGRES_URL=postgres://user@host:5432/db to run the driver measurement.');
  process.exit(0);
}

const streams = Number(process.env.BENCH_STREAMS ?? 200);
const appendsPerStream = Number(process.env.BENCH_APPENDS_PER_STREAM ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const poolSize = 10;

type Execute = (text: string, values: readonly unknown[]) => Promise<number>;
type Transaction = (schema: string, stream: string, rows: readonly AppendRow[], expected: number | 'no_stream') => Promise<void>;

interface Driver {
  readonly name: string;
  readonly statement: Execute;
  readonly transaction: Transaction;
  close(): Promise<void>;
}

const rowsFor = (stream: string, append: number): AppendRow[] =>
  Array.from({ length: 3 }, (_, i) => ({
    id: randomUUID(),
    type: i === 0 ? 'StepFinished' : 'RequestSent',
    data: { path: String(append), requestId: randomUUID(), target: 'stock.reserve', payload: { sku: 'A1', quantity: append, note: 'x'.repeat(80) } },
    metadata: { executionId: stream, $correlationId: stream },
  }));

const insertSql = (schema: string): string => `
  INSERT INTO ${quoteIdentifier(schema)}.saga_events (stream_id, revision, event_id, type, data, metadata, recorded_at)
  SELECT $1, $3::integer + e.n::integer, e.value->>'id', e.value->>'type', e.value->'data', e.value->'metadata', now()
  FROM jsonb_array_elements($2::text::jsonb) WITH ORDINALITY AS e(value, n)
  WHERE $3::integer < 0 OR EXISTS (SELECT 1 FROM ${quoteIdentifier(schema)}.saga_events WHERE stream_id = $1 AND revision = $3::integer)`;

const pgDriver = (): Driver => {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  return {
    name: 'pg 8',
    statement: async (text, values) => (await pool.query(text, [...values])).rowCount ?? 0,
    transaction: async (schema, stream, rows, expected) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const first = expected === 'no_stream' ? -1 : expected;
        await client.query(insertSql(schema), [stream, JSON.stringify(rows), first]);
        await client.query('SELECT pg_notify($1, $2)', [notifyChannel(schema), JSON.stringify({ stream, lastRevision: first + rows.length })]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
};

const postgresJsDriver = (): Driver => {
  const sql = postgres(url, { max: poolSize, onnotice: () => undefined });
  type UnsafeParameters = Parameters<typeof sql.unsafe>[1];
  return {
    name: 'postgres 3.4',
    statement: async (text, values) => (await sql.unsafe(text, values as UnsafeParameters)).count,
    transaction: async (schema, stream, rows, expected) => {
      await sql.begin(async (tx) => {
        const first = expected === 'no_stream' ? -1 : expected;
        await tx.unsafe(insertSql(schema), [stream, JSON.stringify(rows), first]);
        await tx.unsafe('SELECT pg_notify($1, $2)', [notifyChannel(schema), JSON.stringify({ stream, lastRevision: first + rows.length })]);
      });
    },
    close: () => sql.end(),
  };
};

const prepare = async (schema: string): Promise<void> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    await migrate(client, schema);
  } finally {
    await client.end();
  }
};

const drop = async (schema: string): Promise<void> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  await client.end();
};

/** Appends/s for one driver, shape and concurrency: every stream grown to `appendsPerStream` appends. */
const measure = async (driver: Driver, shape: 'statement' | 'transaction', concurrency: number): Promise<number> => {
  const schema = `bench_${shape}_${randomUUID().slice(0, 8)}`;
  await prepare(schema);
  const names = Array.from({ length: streams }, (_, i) => `saga-bench-${i}`);
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    for (let index = next++; index < names.length; index = next++) {
      const stream = names[index] as string;
      for (let append = 0; append < appendsPerStream; append += 1) {
        const expected = append === 0 ? 'no_stream' : append * 3 - 1;
        const rows = rowsFor(stream, append);
        if (shape === 'statement') {
          const statement = appendStatement({
            schema,
            stream,
            eventsJson: JSON.stringify(rows),
            expected,
            recordedAt: null,
            // As the store sent it when the drivers were compared: a NOTIFY in the append's statement.
            notify: { channel: notifyChannel(schema), payload: JSON.stringify({ stream, lastRevision: expected === 'no_stream' ? 2 : expected + 3 }) },
          });
          if ((await driver.statement(statement.text, statement.values)) !== 1) throw new Error(`append ${append} of ${stream} wrote nothing`);
        } else {
          await driver.transaction(schema, stream, rows, expected);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await drop(schema);
  return (streams * appendsPerStream) / seconds;
};

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const main = async (): Promise<void> => {
  const results: Array<{ driver: string; shape: string; concurrency: number; appendsPerSecond: number[] }> = [];
  for (const shape of ['statement', 'transaction'] as const) {
    for (const concurrency of [1, 8]) {
      const perDriver = new Map<string, number[]>();
      // Drivers alternate within each round, so drift of the machine affects both alike.
      for (let round = 0; round < rounds + 1; round += 1) {
        for (const make of [pgDriver, postgresJsDriver]) {
          const driver = make();
          const rate = await measure(driver, shape, concurrency);
          await driver.close();
          if (round === 0) continue; // warm-up
          perDriver.set(driver.name, [...(perDriver.get(driver.name) ?? []), rate]);
        }
      }
      for (const [driver, rates] of perDriver) results.push({ driver, shape, concurrency, appendsPerSecond: rates });
    }
  }
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`${streams * appendsPerStream} appends of 3 events per run; median of ${rounds} runs after one warm-up; pool of ${poolSize}.`);
  out('driver        shape        concurrency  appends/s (median)  runs');
  for (const r of results) {
    out(
      `${r.driver.padEnd(13)} ${r.shape.padEnd(12)} ${String(r.concurrency).padEnd(12)} ${median(r.appendsPerSecond).toFixed(0).padStart(18)}  ${r.appendsPerSecond.map((v) => v.toFixed(0)).join(', ')}`,
    );
  }
};

await main();
