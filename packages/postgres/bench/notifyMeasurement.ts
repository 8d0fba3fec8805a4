/**
 * What a NOTIFY per append costs, to choose how the store tells other processes about appends.
 *
 *   SAGA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test pnpm --filter @saga/postgres bench:notify
 *
 * Workload (as the engine appends): `streams` streams, each grown by `appendsPerStream` appends of 3
 * events (~250 bytes of JSON each) with the execution's index entry, every append expecting the
 * stream's last revision; `concurrency` workers share a pool. One other connection LISTENs on the
 * schema's channel throughout, as a process with a running StoreFeed does. Variants:
 *
 * - `in-transaction`: `pg_notify(channel, '')` inside the append's statement (payload-less);
 * - `after-commit`:   the store's way: no NOTIFY in the append; `AppendNotices` sends one after the
 *                     append resolved, in a transaction of its own, coalesced (one in flight per store);
 * - `none`:           no NOTIFY at all (other processes learn on their next poll, every 1 s).
 *
 * Also measured: how long after an append is acknowledged the listening connection hears of it.
 * Each variant writes to a schema of its own, dropped afterwards; variants alternate within a round.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ExecutionIndexEntry } from '@saga/core';
import { AppendNotices } from '../src/appendNotices.js';
import { appendStatement, type AppendRow } from '../src/appendStatement.js';
import { toRecord } from '../src/executionRow.js';
import { migrate } from '../src/migrations.js';
import { notifyChannel, quoteIdentifier } from '../src/sqlIdentifiers.js';

const url = process.env.SAGA_TEST_POSTGRES_URL;
if (!url) {
  console.error('Set SAGA_TEST_POSTGRES_URL=postgres://user@host:5432/db to run the NOTIFY measurement.');
  process.exit(0);
}

const streams = Number(process.env.BENCH_STREAMS ?? 200);
const appendsPerStream = Number(process.env.BENCH_APPENDS_PER_STREAM ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const concurrencies = (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map(Number);
const poolSize = Number(process.env.BENCH_POOL ?? 20);

const variants = ['in-transaction', 'after-commit', 'none'] as const;
type Variant = (typeof variants)[number];

interface Result {
  readonly appendsPerSecond: number;
  /** Milliseconds from an append's acknowledgement to the notice that covers it, per append. */
  readonly latencies: number[];
}

const rowsFor = (stream: string, append: number): AppendRow[] =>
  Array.from({ length: 3 }, (_, i) => ({
    id: randomUUID(),
    type: i === 0 ? 'StepFinished' : 'RequestSent',
    data: { path: String(append), requestId: randomUUID(), target: 'stock.reserve', payload: { sku: 'A1', quantity: append, note: 'x'.repeat(80) } },
    metadata: { executionId: stream, $correlationId: stream },
  }));

const entryFor = (stream: string, revision: number, startedAt: string): ExecutionIndexEntry => ({
  executionId: stream.slice('saga-'.length),
  service: 'order',
  definitionName: 'bench',
  definitionVersion: '1',
  status: 'running',
  phase: 'forward',
  open: true,
  startedAt,
  updatedAt: new Date().toISOString(),
  user: null,
  nextDueAt: null,
  waitingFor: 'reply from stock.reserve',
  revision,
});

const withClient = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
};

const measure = async (variant: Variant, concurrency: number): Promise<Result> => {
  const schema = `bench_notify_${randomUUID().slice(0, 8)}`;
  const channel = notifyChannel(schema);
  await withClient(async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    await migrate(client, schema);
  });
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  await listener.query(`LISTEN ${quoteIdentifier(channel)}`);
  // The latency of a notice: from an append's acknowledgement to the arrival of the first notice sent
  // after its commit (in-transaction: its own; after-commit: the first NOTIFY sent after it resolved).
  // Every NOTIFY carries a sequence number; when each was sent and heard is recorded.
  const sentAt: number[] = [];
  const heardAt = new Map<number, number>();
  listener.on('notification', (message) => {
    const seq = Number(message.payload?.split(':').at(-1));
    if (Number.isInteger(seq)) heardAt.set(seq, performance.now());
  });
  const acknowledgements: Array<{ readonly at: number; readonly seq?: number }> = [];
  const notices = new AppendNotices({
    clientConfig: {},
    channel,
    notify: (c, payload) => pool.query('SELECT pg_notify($1, $2)', [c, `${payload}:${sentAt.push(performance.now()) - 1}`]),
  });
  const names = Array.from({ length: streams }, (_, i) => `saga-bench-${i}`);
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let index = next++; index < names.length; index = next++) {
      const stream = names[index] as string;
      const startedAt = new Date().toISOString();
      for (let append = 0; append < appendsPerStream; append += 1) {
        const expected = append === 0 ? 'no_stream' : append * 3 - 1;
        const seq = variant === 'in-transaction' ? sentAt.push(performance.now()) - 1 : undefined;
        const statement = appendStatement({
          schema,
          stream,
          eventsJson: JSON.stringify(rowsFor(stream, append)),
          expected,
          recordedAt: null,
          index: toRecord(entryFor(stream, append * 3 + 2, startedAt)),
          // Payload-less but for the sequence number of the measurement.
          ...(seq === undefined ? {} : { notify: { channel, payload: `:${seq}` } }),
        });
        if ((await pool.query(statement.text, [...statement.values])).rowCount !== 1) throw new Error(`append ${append} of ${stream} wrote nothing`);
        acknowledgements.push(seq === undefined ? { at: performance.now() } : { at: performance.now(), seq });
        if (variant === 'after-commit') notices.appended();
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  await notices.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const latencies: number[] = [];
  for (const { at, seq } of acknowledgements) {
    // After-commit: the first NOTIFY sent once the append had resolved.
    const covering = seq ?? sentAt.findIndex((sent) => sent >= at);
    const heard = heardAt.get(covering);
    if (variant !== 'none' && heard !== undefined) latencies.push(Math.max(0, heard - at));
  }
  await listener.end();
  await pool.end();
  await withClient((client) => client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`));
  return { appendsPerSecond: (streams * appendsPerStream) / seconds, latencies };
};

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const percentile = (values: readonly number[], p: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? Number.NaN;

const main = async (): Promise<void> => {
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`${streams * appendsPerStream} appends of 3 events + index entry per run; median of ${rounds} runs after one warm-up; pool of ${poolSize}.`);
  out('variant          concurrency  appends/s (median)  runs                  notice latency ms (median / p95)');
  for (const concurrency of concurrencies) {
    const rates = new Map<Variant, number[]>();
    const latencies = new Map<Variant, number[]>();
    for (let round = 0; round < rounds + 1; round += 1) {
      for (const variant of variants) {
        const result = await measure(variant, concurrency);
        if (round === 0) continue; // warm-up
        rates.set(variant, [...(rates.get(variant) ?? []), result.appendsPerSecond]);
        latencies.set(variant, [...(latencies.get(variant) ?? []), ...result.latencies]);
      }
    }
    for (const variant of variants) {
      const r = rates.get(variant) ?? [];
      const l = latencies.get(variant) ?? [];
      const latency = variant === 'none' ? 'next poll (≤ 1000)' : `${median(l).toFixed(1)} / ${percentile(l, 0.95).toFixed(1)}`;
      out(
        `${variant.padEnd(16)} ${String(concurrency).padEnd(12)} ${median(r).toFixed(0).padStart(18)}  ${r.map((v) => v.toFixed(0)).join(', ').padEnd(20)}  ${latency}`,
      );
    }
  }
};

await main();
