/**
 * Scale: what recovery, sweeps, listings and reads cost on a store that holds N executions (10k,
 * 100k, 1M), almost all finished, 1,000 waiting for a reply with a timer due in an hour. They should
 * cost what the open executions cost, not what the history holds: flat from 10k to 1M.
 *
 * The store is filled through the port, not by running sagas: one real W1 (finished) and one real
 * W3 left waiting (no participant answers; reply timeout one hour) are run once on the in-memory
 * store, and their histories are the templates; each execution is the template under a new id,
 * appended in one `append` with its index entry (`indexEntryOf(fold(template))` with the new id),
 * in parallel batches. On PostgreSQL, when N is large, the same rows are written by multi-row
 * `INSERT … SELECT` on the server (generate_series over the templates) into the store's own tables,
 * which is what the appends would have written; the report says which path ran and how long it took.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeHistory,
  fold,
  indexEntryOf,
  InMemoryBroker,
  InMemoryEventStore,
  SagaManager,
  SagaStatus,
  type EventStore,
  type RecordedEvent,
} from '@saga/core';
import { SqliteEventStore } from '@saga/sqlite';
import { AdapterMissing, createPostgresStore, loadPg, pgQuery, redact, withSchema } from '../adapters.js';
import { CountingStore } from '../countingStore.js';
import { processCpuMs } from '../cpu.js';
import type { ScaleCaseResult } from '../results.js';
import { reasonOf, runPool } from '../runner.js';
import { orderContext, w1Saga, w3Saga } from '../sagas.js';
import { summarize } from '../stats.js';
import { batches, entryFor, eventsFor, scaleExecutionId, type ExecutionKind, type Template } from './scaleData.js';

export const scaleService = 'sagabench-order';
/** The open executions, whatever N. */
export const openExecutions = 1_000;
const hourMs = 3_600_000;

export interface ScaleTemplates {
  readonly finished: Template;
  readonly open: Template;
}

const templateOf = (events: readonly RecordedEvent[]): Template => {
  const execution = fold(decodeHistory(events));
  return { executionId: execution.id, events, entry: indexEntryOf(execution) };
};

/** One finished W1 and one W3 waiting for its first reply (timer due in an hour), on the in-memory store. */
export const recordScaleTemplates = async (): Promise<ScaleTemplates> => {
  const store = new InMemoryEventStore();
  const broker = new InMemoryBroker();
  const manager = new SagaManager({ store, broker, service: scaleService, replyTimeoutMs: hourMs, recoveryIntervalMs: 0 });
  await manager.setup();
  try {
    const finished = await manager.run({ definition: w1Saga, context: orderContext(0), returnExecution: false });
    // Nobody handles W3's requests here: it stops at the first step, waiting for a reply.
    const open = await manager.run({ definition: w3Saga, context: orderContext(1), pauseOnDisk: true, returnExecution: false });
    const [finishedEvents, openEvents] = await Promise.all([store.read(`saga-${finished}`), store.read(`saga-${open}`)]);
    const templates = { finished: templateOf(finishedEvents), open: templateOf(openEvents) };
    if (templates.finished.entry.open || !templates.open.entry.open || templates.open.entry.nextDueAt === null) {
      throw new Error(`the templates are not one finished and one open execution with a timer (${templates.finished.entry.status}, ${templates.open.entry.status})`);
    }
    return templates;
  } finally {
    await manager.destroy();
    await broker.destroy();
    await store.destroy();
  }
};

export interface ScaleStore {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh, empty store for `executions` (its own file or schema). */
  open(executions: number): Promise<{ store: EventStore; where: string }>;
  /** The same file or schema again, through a new store object (as a process that starts opens it). */
  reopen(executions: number): Promise<EventStore>;
  /** Removes what `open` made. */
  cleanup(executions: number): Promise<void>;
  /** Writes the executions by multi-row SQL instead of appends; undefined when the store has none. */
  bulk?: (executions: number, templates: ScaleTemplates, log: (line: string) => void) => Promise<number>;
}

const kindsOf = (total: number): { kind: ExecutionKind; count: number }[] => {
  const open = Math.min(openExecutions, total);
  return [
    { kind: 'open', count: open },
    { kind: 'finished', count: total - open },
  ];
};

/** Through the port: one append per execution (its events and its index entry), `inFlight` at a time. */
const generateThroughPort = async (store: EventStore, total: number, templates: ScaleTemplates, inFlight: number, log: (line: string) => void): Promise<number> => {
  let events = 0;
  let done = 0;
  let lastLog = performance.now();
  for (const { kind, count } of kindsOf(total)) {
    const template = templates[kind];
    for (const [from, to] of batches(count, 10_000)) {
      await runPool(to - from, inFlight, async (offset) => {
        const id = scaleExecutionId(kind, from + offset);
        await store.append(`saga-${id}`, eventsFor(template, id), 'no_stream', { index: entryFor(template, id) });
      });
      events += (to - from) * template.events.length;
      done += to - from;
      if (performance.now() - lastLog > 10_000) {
        log(`    … ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} executions`);
        lastLog = performance.now();
      }
    }
  }
  return events;
};

export const sqliteScaleStore = (): ScaleStore => {
  const dirs = new Map<number, string>();
  return {
    name: 'sqlite',
    async open(executions) {
      const dir = mkdtempSync(join(tmpdir(), `saga-bench-scale-${executions}-`));
      dirs.set(executions, dir);
      const filename = join(dir, 'saga.db');
      return { store: new SqliteEventStore({ filename }), where: filename };
    },
    async reopen(executions) {
      return new SqliteEventStore({ filename: join(dirs.get(executions) ?? '.', 'saga.db') });
    },
    async cleanup(executions) {
      const dir = dirs.get(executions);
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
};

const schemaFor = (executions: number): string => `saga_bench_scale_${executions}`;

/** The columns the bulk path writes: the store's own tables (schema version 2 of @saga/postgres). */
const bulkEventsSql = (schema: string): string => `
  WITH ids AS (SELECT md5($1 || '-' || n)::uuid::text AS id, n FROM generate_series($2::int, $3::int - 1) AS n)
  INSERT INTO ${schema}.saga_events (stream_id, revision, event_id, type, data, metadata, recorded_at)
  SELECT 'saga-' || ids.id, t.revision, NULL, t.type,
         replace(t.data::text, $4, ids.id)::jsonb, replace(t.metadata::text, $4, ids.id)::jsonb, t.recorded_at
  FROM ids CROSS JOIN jsonb_to_recordset($5::jsonb) AS t(revision int, type text, data jsonb, metadata jsonb, recorded_at timestamptz)
  ORDER BY ids.n, t.revision`;

const bulkIndexSql = (schema: string): string => `
  WITH ids AS (SELECT md5($1 || '-' || n)::uuid::text AS id FROM generate_series($2::int, $3::int - 1) AS n)
  INSERT INTO ${schema}.saga_executions
    (execution_id, service, definition_name, definition_version, status, phase, open, started_at, updated_at, user_name, next_due_at, waiting_for, revision)
  SELECT ids.id, e.service, e."definitionName", e."definitionVersion", e.status, e.phase, e.open, e."startedAt", e."updatedAt", e."user",
         e."nextDueAt", e."waitingFor", e.revision
  FROM ids CROSS JOIN jsonb_to_record($4::jsonb) AS e(service text, "definitionName" text, "definitionVersion" text, status text, phase text, open boolean,
       "startedAt" timestamptz, "updatedAt" timestamptz, "user" text, "nextDueAt" timestamptz, "waitingFor" text, revision bigint)`;

export const postgresScaleStore = (url: string): ScaleStore => ({
  name: 'postgres',
  async open(executions) {
    const schema = schemaFor(executions);
    await pgQuery(url, [`DROP SCHEMA IF EXISTS ${schema} CASCADE`]);
    return { store: await createPostgresStore(withSchema(url, schema)), where: `${redact(url)} schema ${schema}` };
  },
  reopen: (executions) => createPostgresStore(withSchema(url, schemaFor(executions))),
  async cleanup(executions) {
    await pgQuery(url, [`DROP SCHEMA IF EXISTS ${schemaFor(executions)} CASCADE`]);
  },
  async bulk(executions, templates, log) {
    const schema = schemaFor(executions);
    const { Client } = await loadPg();
    // Two connections, each writing its own batches: one statement per batch, its own transaction.
    const clients = [new Client({ connectionString: url }), new Client({ connectionString: url })];
    await Promise.all(clients.map((client) => client.connect()));
    let events = 0;
    let done = 0;
    let lastLog = performance.now();
    try {
      const work: { kind: ExecutionKind; from: number; to: number }[] = [];
      for (const { kind, count } of kindsOf(executions)) for (const [from, to] of batches(count, 20_000)) work.push({ kind, from, to });
      let next = 0;
      const query = (client: (typeof clients)[number], text: string, values: unknown[]) =>
        (client as unknown as { query(text: string, values: unknown[]): Promise<unknown> }).query(text, values);
      await Promise.all(
        clients.map(async (client) => {
          while (next < work.length) {
            const item = work[next] as (typeof work)[number];
            next += 1;
            const template = templates[item.kind];
            const rows = template.events.map(({ revision, type, data, metadata, recordedAt }) => ({ revision, type, data, metadata, recorded_at: recordedAt }));
            await query(client, 'BEGIN', []);
            await query(client, bulkEventsSql(schema), [item.kind, item.from, item.to, template.executionId, JSON.stringify(rows)]);
            await query(client, bulkIndexSql(schema), [item.kind, item.from, item.to, JSON.stringify(template.entry)]);
            await query(client, 'COMMIT', []);
            events += (item.to - item.from) * template.events.length;
            done += item.to - item.from;
            if (performance.now() - lastLog > 10_000) {
              log(`    … ${done.toLocaleString('en-US')} / ${executions.toLocaleString('en-US')} executions`);
              lastLog = performance.now();
            }
          }
        }),
      );
      // As autovacuum would, eventually: statistics for the planner.
      await query(clients[0] as (typeof clients)[number], `ANALYZE ${schema}.saga_events`, []);
      await query(clients[0] as (typeof clients)[number], `ANALYZE ${schema}.saga_executions`, []);
    } finally {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    }
    return events;
  },
});

export interface ScaleOptions {
  readonly log: (line: string) => void;
  /** Writes through the port below this many executions, by multi-row SQL from it on (when the store has it). */
  readonly bulkFrom: number;
  /** Repetitions of list and get. */
  readonly repeats: number;
}

const timed = async <T>(body: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = performance.now();
  const value = await body();
  return { value, ms: performance.now() - started };
};

/** Fills a fresh store with `executions` executions and measures setup, sweep, list and get on it. */
export const measureScale = async (scaleStore: ScaleStore, executions: number, templates: ScaleTemplates, options: ScaleOptions): Promise<ScaleCaseResult> => {
  const { log } = options;
  const id = `scale/${scaleStore.name}/${executions}`;
  const open = Math.min(openExecutions, executions);
  const base = { kind: 'scale' as const, id, store: scaleStore.name, executions, open };
  try {
    // 1. Fill it.
    const { store: filling, where } = await scaleStore.open(executions);
    let generation: ScaleCaseResult['generation'];
    try {
      await filling.setup();
      const started = performance.now();
      const cpuBefore = processCpuMs();
      let method: 'port' | 'sql' = 'port';
      let events: number;
      if (scaleStore.bulk && executions >= options.bulkFrom) {
        method = 'sql';
        events = await scaleStore.bulk(executions, templates, log);
      } else {
        events = await generateThroughPort(filling, executions, templates, scaleStore.name === 'postgres' ? 32 : 64, log);
      }
      generation = { method, wallMs: performance.now() - started, events };
      log(
        `  ${id}: ${executions.toLocaleString('en-US')} executions (${events.toLocaleString('en-US')} events) written ${method === 'sql' ? 'by multi-row SQL' : 'through append'} ` +
          `in ${(generation.wallMs / 1_000).toFixed(1)} s (${((processCpuMs() - cpuBefore) / 1_000).toFixed(1)} s CPU here) into ${where}`,
      );
    } finally {
      await filling.destroy();
    }

    // 2. Unmeasured: the same recovery once, with leases that expire at once, so that the figure
    //    below is of this process warmed up (JIT, connections' first statements), not of its first call.
    {
      const warm = await scaleStore.reopen(executions);
      const warmBroker = new InMemoryBroker();
      const warmManager = new SagaManager({ store: warm, broker: warmBroker, service: scaleService, definitions: [w1Saga, w3Saga], replyTimeoutMs: hourMs, recoverOnSetup: false, leaseMs: 1, workerId: `scale-warm-${executions}` });
      try {
        await warmManager.setup();
        await warmManager.recover();
      } finally {
        await warmManager.destroy();
        await warmBroker.destroy();
        await warm.destroy();
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    // 3. A new manager on it, as a process that starts: setup() and its recovery.
    const counting = new CountingStore(await scaleStore.reopen(executions));
    const broker = new InMemoryBroker();
    const manager = new SagaManager({
      store: counting,
      broker,
      service: scaleService,
      definitions: [w1Saga, w3Saga],
      replyTimeoutMs: hourMs,
      recoverOnSetup: false,
      workerId: `scale-${executions}`,
    });
    try {
      const setup = await timed(async () => {
        await manager.setup();
        return manager.recover();
      });
      const setupCalls = { reads: counting.reads, claims: counting.indexClaims, queries: counting.indexQueries, readAlls: counting.readAlls };
      log(
        `  ${id}: setup() with recovery ${setup.ms.toFixed(0)} ms: ${setup.value.scanned} claimed, ${setup.value.recovered} re-armed, ` +
          `${setup.value.republished} re-published, ${setup.value.skipped.length} skipped; ${setupCalls.reads} stream reads, ${setupCalls.claims} claims`,
      );

      const sweep = await timed(() => manager.worker.sweep());
      log(`  ${id}: worker.sweep() ${sweep.ms.toFixed(1)} ms, ${sweep.value.scanned} claimed`);

      const listStatus = templates.open.entry.status;
      const listTimes: number[] = [];
      let listed = 0;
      for (let round = 0; round < options.repeats; round += 1) {
        const list = await timed(() => manager.list({ status: listStatus }));
        listTimes.push(list.ms);
        listed = list.value.entries.length;
      }
      const getTimes: number[] = [];
      const finishedCount = executions - open;
      for (let round = 0; round < options.repeats && finishedCount > 0; round += 1) {
        // Finished executions this manager never loaded: a stream read and a fold each.
        const target = scaleExecutionId('finished', (round * 7_919) % finishedCount);
        const get = await timed(() => manager.get(target));
        if (get.value.status !== SagaStatus.Finished) throw new Error(`get(${target}) found it ${get.value.status}, expected finished`);
        getTimes.push(get.ms);
      }
      const result: ScaleCaseResult = {
        ...base,
        status: 'ok',
        generation,
        setupMs: setup.ms,
        setupCalls,
        claimed: setup.value.scanned,
        recovered: setup.value.recovered,
        sweepMs: sweep.ms,
        sweepScanned: sweep.value.scanned,
        listStatus,
        listMs: summarize(listTimes),
        listed,
        getMs: summarize(getTimes),
      };
      log(`  ${id}: list({ status: '${listStatus}' }) ${summarize(listTimes).median.toFixed(1)} ms (${listed} entries); get(id) ${summarize(getTimes).median.toFixed(2)} ms`);
      return result;
    } finally {
      await manager.destroy();
      await broker.destroy();
      await counting.destroy();
    }
  } catch (error) {
    const status = error instanceof AdapterMissing && !error.built ? 'skipped' : 'unavailable';
    log(`  ${id}: ${status}: ${reasonOf(error)}`);
    return { ...base, status, reason: reasonOf(error) };
  } finally {
    await scaleStore.cleanup(executions).catch(() => undefined);
  }
};
