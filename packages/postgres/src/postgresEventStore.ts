import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  ConcurrencyConflictError,
  SagaError,
  assertAppendable,
  assertExpectedRevision,
  appendLease,
  assertIndexEntry,
  assertStreamName,
  decodeStreamCursor,
  defaultLogger,
  encodeStreamCursor,
  isSagaError,
  readFromRevision,
  resolveListStreamsOptions,
  resolveReadAllOptions,
  resolveTransientRetry,
  withTransientRetry,
} from '@saga/core';
import type {
  AppendListener,
  AppendOptions,
  AppendResult,
  Clock,
  EventStore,
  ExecutionIndex,
  ExpectedRevision,
  GlobalEvent,
  GlobalPage,
  GlobalPosition,
  JsonObject,
  ListStreamsOptions,
  Logger,
  NewEvent,
  ReadAllOptions,
  ReadOptions,
  RecordedEvent,
  StreamPage,
  StreamSummary,
  TransientRetryPolicy,
  Unsubscribe,
} from '@saga/core';
import { AppendNotices } from './appendNotices.js';
import { prepared } from './preparedStatement.js';
import { appendStatement, type AppendRow } from './appendStatement.js';
import { appendBatchStatement, BatchedAppendError, type BatchAppend, type BatchResultRow } from './appendBatch.js';
import { GroupCommit, resolveGroupCommit, type GroupCommitOptions, type Outcome } from './groupCommit.js';
import { describeTarget, redactPassword } from './connectionTarget.js';
import { toRecord, type ExecutionRecord } from './executionRow.js';
import { headStatement, readAllStatement } from './globalOrder.js';
import { openPool } from './openPool.js';
import { compareGlobalPositions, decodeGlobalPosition, encodeGlobalPosition, startOfGlobalOrder, type GlobalPositionPair } from './globalPosition.js';
import { migrate, type MigrationReport } from './migrations.js';
import { postgresExecutionIndex } from './postgresExecutionIndex.js';
import { assertSchemaName, notifyChannel, quoteIdentifier } from './sqlIdentifiers.js';
import { isTransientError } from './transientErrors.js';

export interface PostgresEventStoreOptions {
  /** `postgres://user:password@host:5432/database?sslmode=…`; or give `pool`. */
  readonly connectionString?: string;
  /** Schema of the store's tables, created on `setup()` if missing. Default `'public'`. */
  readonly schema?: string;
  /**
   * Pool settings (default `max: 10`, `connectionTimeoutMillis: 5000`), or a ready `pg.Pool` that the
   * store uses but never ends (its owner does).
   */
  readonly pool?: pg.PoolConfig | pg.Pool;
  /** Sets `recordedAt`. Default: the database server's clock (`now()` of the append's transaction). */
  readonly clock?: Clock;
  /** Retries of a transient failure (lost connection, server restarting). Default 5 retries, 100 ms → 2 s. */
  readonly retry?: TransientRetryPolicy;
  /**
   * Where the store reports what it cannot throw: streams the index migration could not decode, a
   * lost LISTEN connection. Default: the core's default logger (pino at SAGA_LOG_LEVEL, silent in tests).
   */
  readonly logger?: Logger;
  /**
   * Group commit: appends (of any executions) issued while the store's round trips of appends are all
   * in flight wait and go together in the next one — one call, one transaction, one commit — each with
   * its own expected revision and its own result (a conflict fails that append alone). A lone append
   * goes at once, as one statement. `false` sends every append on its own. Default on:
   * `{ maxBatch: 64, maxWaitMs: 0, maxInFlight: 2 }` (see `GroupCommitOptions`).
   */
  readonly groupCommit?: boolean | GroupCommitOptions;
  /**
   * Other processes hear of this store's appends through NOTIFY, at most one per this many ms,
   * carried by an append's own statement: the first append after a quiet spell carries one, and the
   * appends of the next interval are carried by the first append after it (or notified alone an
   * interval later if none comes). 0 sends one per append, alone (never two in flight). Default 10 ms.
   */
  readonly notifyIntervalMs?: number;
}

export type { GroupCommitOptions } from './groupCommit.js';

interface EventRow {
  readonly revision: number;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  readonly recorded_at: Date;
}

interface AppendedRow {
  readonly last_revision: number;
  readonly recorded_at: Date;
  /** Its statement carried the NOTIFY, sent when it committed: nothing more is owed for it. */
  readonly carried?: boolean;
}

interface StoredIdRow {
  readonly revision: number;
  readonly event_id: string | null;
  readonly recorded_at: Date;
}

interface StreamRow {
  readonly stream_id: string;
  readonly global_position: string;
  readonly recorded_at: Date;
  readonly last_revision: number;
}

interface HeadRow {
  readonly head_tx: string;
  readonly head_pos: string;
}

/** A row of `readAll`: the head, and an event unless there was none. */
interface GlobalRow extends HeadRow {
  readonly tx: string | null;
  readonly pos: string | null;
  readonly stream_id: string;
  readonly revision: number;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  readonly recorded_at: Date;
}

const defaultSchema = 'public';
/** Concurrent 'any' appends race for the same next revision; the losers simply go again. */
const maxAnyAttempts = 20;

const uniqueViolation = '23505';
const untranslatableCharacter = '22P05';

/** A `listStreams` cursor holds the `global_position` (a bigint) of the first event of the page's last stream. */
const cursorStore = 'postgres';
const parseCursorPosition = (value: string): string | undefined => (/^(0|[1-9]\d{0,18})$/.test(value) && BigInt(value) <= 2n ** 63n - 1n ? value : undefined);

const sqlStateOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : undefined;


/**
 * The EventStore port on PostgreSQL: one append-only table of events, unique on (stream, revision),
 * read in a global order that a late commit cannot break, beside an execution index table. An append
 * is one statement (so one transaction) that inserts after the expected revision and writes the
 * execution's index entry; the unique key turns every lost race into `ConcurrencyConflictError`.
 * With group commit (the default), appends issued while the store's append round trips are busy go
 * together in one call of `saga_append_batch` (`appendBatch.ts`): one transaction, each append in a
 * subtransaction of its own, with its own result.
 */
export class PostgresEventStore implements EventStore {
  readonly schema: string;
  /** Host, port and database, for messages; never the credentials. */
  readonly target: string;
  readonly index: ExecutionIndex;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #clientConfig: pg.ClientConfig;
  readonly #clock: Clock | undefined;
  readonly #retry: Required<TransientRetryPolicy>;
  /** The logger given, else the default one, made when first needed. */
  #logger: Logger | undefined;
  readonly #table: string;
  readonly #notices: AppendNotices;
  /** Undefined when group commit is off. */
  readonly #group: GroupCommit<BatchAppend, AppendedRow | undefined> | undefined;
  #ready: Promise<void> | undefined;
  #destroyed = false;

  constructor(options: PostgresEventStoreOptions) {
    if (typeof options !== 'object' || options === null || (options.connectionString === undefined && options.pool === undefined)) {
      throw new SagaError('PostgresEventStore needs a connectionString (postgres://user@host:5432/database) or a pool.');
    }
    this.schema = assertSchemaName(options.schema ?? defaultSchema);
    this.#clock = options.clock;
    this.#retry = resolveTransientRetry('PostgresEventStore', options.retry);
    this.#logger = options.logger;
    this.#table = `${quoteIdentifier(this.schema)}.saga_events`;
    const group = resolveGroupCommit(options.groupCommit);
    this.#group = group === undefined ? undefined : new GroupCommit(group, (appends) => this.#sendAppends(appends));
    const opened = openPool(options, 'saga-event-store');
    this.#pool = opened.pool;
    this.#ownsPool = opened.owned;
    this.#clientConfig = opened.config;
    this.target = describeTarget(this.#clientConfig);
    // An idle pooled connection that breaks emits 'error' on the pool; unhandled, it would end the
    // process. The next query gets a new connection. (A pool that was given is its owner's to watch.)
    const { max: _max, min: _min, idleTimeoutMillis: _idle, maxUses: _uses, ...listenConfig } = this.#clientConfig as pg.PoolConfig;
    this.#notices = new AppendNotices({
      clientConfig: { ...listenConfig, application_name: `${listenConfig.application_name ?? 'saga-event-store'} (listen)` },
      channel: notifyChannel(this.schema),
      notify: (channel, payload) => this.#pool.query('SELECT pg_notify($1, $2)', [channel, payload]),
      ...(options.notifyIntervalMs === undefined ? {} : { minIntervalMs: options.notifyIntervalMs }),
      onError: (error) =>
        this.#log().debug(
          { store: this.target, schema: this.schema, error: redactPassword(error instanceof Error ? error.message : String(error), this.#clientConfig) },
          'PostgresEventStore: append notices interrupted (readers poll meanwhile)',
        ),
    });
    this.index = postgresExecutionIndex({
      table: `${quoteIdentifier(this.schema)}.saga_executions`,
      run: async (what, operation) => {
        await this.setup();
        return this.#retrying(what, () => operation(this.#pool));
      },
      ...(this.#clock === undefined ? {} : { clock: this.#clock }),
    });
  }

  /** Connects and creates or migrates the tables (idempotent; the other methods call it when needed). */
  async setup(): Promise<void> {
    this.#assertUsable();
    this.#ready ??= this.#migrate().catch((error: unknown) => {
      this.#ready = undefined; // A later call tries again, e.g. once the server is up.
      throw error;
    });
    return this.#ready;
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await this.#notices.close();
    await this.#ready?.catch(() => undefined);
    if (this.#ownsPool) await this.#pool.end();
  }

  async append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision, options: AppendOptions = {}): Promise<AppendResult> {
    assertAppendable(stream, events);
    // The column is an int4: the revision after the expected one must fit too.
    assertExpectedRevision(stream, expectedRevision, 2 ** 31 - 1);
    if (options.index !== undefined) assertIndexEntry(options.index);
    const rows = events.map(toRow);
    const eventsJson = serialize(stream, rows);
    const index = options.index === undefined ? undefined : toRecord(options.index);
    const lease = appendLease(options);
    await this.setup();
    // Fixed before the first attempt: a retry after a lost reply is recognised by these ids.
    const recordedAt = this.#clock?.now().toISOString() ?? null;
    const { result, carried } = await this.#retrying(`append to '${stream}'`, () => this.#appendOnce(stream, rows, eventsJson, expectedRevision, recordedAt, index, lease));
    this.#notices.appended(carried);
    return result;
  }

  async read(stream: string, options: ReadOptions = {}): Promise<readonly RecordedEvent[]> {
    assertStreamName(stream);
    const fromRevision = readFromRevision(stream, options);
    await this.setup();
    const result = await this.#retrying(`read '${stream}'`, () =>
      this.#pool.query<EventRow>(
        prepared(`SELECT revision, type, data, metadata, recorded_at FROM ${this.#table} WHERE stream_id = $1 AND revision >= $2 ORDER BY revision`, [
          stream,
          Math.min(fromRevision, 2 ** 31 - 1),
        ]),
      ),
    );
    return result.rows.map((row) => ({
      stream,
      revision: row.revision,
      type: row.type,
      data: row.data,
      metadata: row.metadata,
      recordedAt: row.recorded_at.toISOString(),
    }));
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<StreamPage> {
    const { prefix, limit } = resolveListStreamsOptions(options);
    const after = options.after === undefined ? '0' : decodeStreamCursor(cursorStore, options.after, parseCursorPosition);
    await this.setup();
    // One row more than asked tells whether another page follows.
    const result = await this.#retrying('list streams', () =>
      this.#pool.query<StreamRow>(
        `SELECT e.stream_id, e.global_position::text AS global_position, e.recorded_at,
                (SELECT max(x.revision) FROM ${this.#table} x WHERE x.stream_id = e.stream_id) AS last_revision
         FROM ${this.#table} e
         WHERE e.revision = 0 AND e.global_position > $1::bigint AND starts_with(e.stream_id, $2)
         ORDER BY e.global_position
         LIMIT $3`,
        [after, prefix, limit + 1],
      ),
    );
    const rows = result.rows.slice(0, limit);
    const streams = rows.map((row): StreamSummary => ({ stream: row.stream_id, lastRevision: row.last_revision, createdAt: row.recorded_at.toISOString() }));
    const last = rows.at(-1);
    return result.rows.length > limit && last !== undefined ? { streams, nextCursor: encodeStreamCursor(cursorStore, last.global_position) } : { streams };
  }

  async readAll(options: ReadAllOptions = {}): Promise<GlobalPage> {
    const { prefix, limit, after } = resolveReadAllOptions(options);
    const from = after === undefined ? startOfGlobalOrder : decodeGlobalPosition(after);
    await this.setup();
    const statement = readAllStatement(this.#table, from, prefix, limit);
    const result = await this.#retrying('read the global order', () => this.#pool.query<GlobalRow>(prepared(statement.text, statement.values)));
    const first = result.rows[0];
    const head: GlobalPositionPair = first === undefined ? startOfGlobalOrder : { transactionId: first.head_tx, position: first.head_pos };
    if (after !== undefined && compareGlobalPositions(from, head) > 0) {
      throw new SagaError(
        `PostgresEventStore: position ${after} is past the end of the store (its last is ${first === undefined ? 'none: it is empty' : encodeGlobalPosition(head)}). ` +
          'Was the store restored from an older backup, or is this position from another store? Start from the beginning by omitting it.',
      );
    }
    const events: GlobalEvent[] = [];
    for (const row of result.rows) {
      if (row.tx === null || row.pos === null) continue;
      events.push({
        stream: row.stream_id,
        revision: row.revision,
        type: row.type,
        data: row.data,
        metadata: row.metadata,
        recordedAt: row.recorded_at.toISOString(),
        position: encodeGlobalPosition({ transactionId: row.tx, position: row.pos }),
      });
    }
    // A full page continues after its last event; a short one read everything visible, up to the head
    // (rows of other prefixes included), in the same snapshot.
    if (events.length === limit) return { events, position: (events.at(-1) as GlobalEvent).position };
    if (first === undefined) return after === undefined ? { events } : { events, position: after };
    return { events, position: encodeGlobalPosition(head) };
  }

  async headPosition(): Promise<GlobalPosition | undefined> {
    await this.setup();
    const statement = headStatement(this.#table);
    const result = await this.#retrying('read the head of the global order', () => this.#pool.query<HeadRow>(statement.text, [...statement.values]));
    const row = result.rows[0];
    return row === undefined ? undefined : encodeGlobalPosition({ transactionId: row.head_tx, position: row.head_pos });
  }

  onAppended(listener: AppendListener): Unsubscribe {
    this.#assertUsable();
    if (typeof listener !== 'function') throw new SagaError('onAppended needs a function to call.');
    return this.#notices.add(listener);
  }

  async #migrate(): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.#retrying('connect', () => this.#pool.connect());
    } catch (error) {
      if (isSagaError(error)) throw error;
      // Refused credentials, a database that does not exist, a host name that does not resolve.
      const reason = redactPassword(error instanceof Error ? error.message : String(error), this.#clientConfig);
      throw new SagaError(
        `Cannot connect to PostgreSQL at ${this.target}: ${reason}. Check the connection string: the \`connectionString\` option, ` +
          'or SAGA_STORE_URL when the store comes from the environment.',
        { cause: error },
      );
    }
    let report: MigrationReport;
    try {
      report = await migrate(client, this.schema);
    } finally {
      client.release();
    }
    this.#reportMigration(report);
  }

  #reportMigration(report: MigrationReport): void {
    const { rebuild } = report;
    if (rebuild === undefined) return;
    const fields = { store: this.target, schema: this.schema, indexed: rebuild.indexed, skipped: rebuild.skipped.length };
    if (rebuild.skipped.length === 0) {
      this.#log().info(fields, 'PostgresEventStore: execution index built from the existing streams');
      return;
    }
    // Not fatal: those streams get no index entry; `saga verify --all` reports them as well.
    this.#log().warn(
      { ...fields, streams: rebuild.skipped.slice(0, 20) },
      `PostgresEventStore: ${rebuild.skipped.length} stream(s) could not be decoded and have no execution index entry; run \`saga verify --all\` to see them`,
    );
  }

  #log(): Logger {
    this.#logger ??= defaultLogger();
    return this.#logger;
  }

  async #appendOnce(
    stream: string,
    rows: readonly AppendRow[],
    eventsJson: string,
    expected: ExpectedRevision,
    recordedAt: string | null,
    index: ExecutionRecord | undefined,
    lease: AppendOptions['lease'],
  ): Promise<{ readonly result: AppendResult; readonly carried: boolean }> {
    for (let attempt = 1; ; attempt += 1) {
      const append: BatchAppend = {
        stream,
        eventsJson,
        expected,
        recordedAt,
        ...(index === undefined ? {} : { index }),
        ...(lease === undefined ? {} : { lease }),
      };
      try {
        const row = await (this.#group === undefined ? this.#appendAlone(append) : this.#group.submit(append));
        if (row !== undefined) return { result: { lastRevision: row.last_revision, recordedAt: row.recorded_at.toISOString() }, carried: row.carried === true };
        // No row: the stream has no event at the expected revision (it is behind, or does not exist).
        throw new ConcurrencyConflictError(stream, expected, await this.#lastRevision(stream));
      } catch (error) {
        if (sqlStateOf(error) === untranslatableCharacter) {
          throw new SagaError(
            `Cannot append to stream '${stream}': ${(error as Error).message}. PostgreSQL jsonb cannot store the character \\u0000; remove it from the event's data or metadata.`,
            { cause: error },
          );
        }
        if (sqlStateOf(error) !== uniqueViolation) throw error;
        if (expected === 'any' && attempt < maxAnyAttempts) continue;
        const stored = await this.#alreadyStored(stream, rows, expected);
        if (stored !== undefined) return { result: stored, carried: false };
        throw new ConcurrencyConflictError(stream, expected, await this.#lastRevision(stream));
      }
    }
  }

  /**
   * One append as one statement: its row, or none when the stream has no event at the expected
   * revision. When a NOTIFY is due it carries it (sent by its commit, only if it wrote its events).
   */
  async #appendAlone(append: BatchAppend): Promise<AppendedRow | undefined> {
    const carried = this.#notices.carry();
    let row: AppendedRow | undefined;
    try {
      const statement = appendStatement({ schema: this.schema, ...append, ...(carried === undefined ? {} : { notify: carried.notice }) });
      row = (await this.#pool.query<AppendedRow>(prepared(statement.text, statement.values))).rows[0];
      return row === undefined || carried === undefined ? row : { last_revision: row.last_revision, recorded_at: row.recorded_at, carried: true };
    } finally {
      carried?.settle(row !== undefined);
    }
  }

  /**
   * A batch of group commit: alone, the one-append statement; else one call of `saga_append_batch`,
   * whose row for each append becomes what the one-append statement would have given (a row, no row,
   * or its error with the SQLSTATE), so `#appendOnce` treats both alike.
   */
  async #sendAppends(appends: readonly BatchAppend[]): Promise<readonly Outcome<AppendedRow | undefined>[]> {
    if (appends.length === 1) {
      try {
        return [{ ok: true, value: await this.#appendAlone(appends[0] as BatchAppend) }];
      } catch (error) {
        return [{ ok: false, error }];
      }
    }
    const carried = this.#notices.carry();
    let result: pg.QueryResult<BatchResultRow> | undefined;
    try {
      const statement = appendBatchStatement(this.schema, appends, carried?.notice);
      result = await this.#pool.query<BatchResultRow>(prepared(statement.text, statement.values));
    } finally {
      carried?.settle(result !== undefined);
    }
    const byItem = new Map(result.rows.map((row) => [row.item, row]));
    return appends.map((_, index): Outcome<AppendedRow | undefined> => {
      const row = byItem.get(index + 1);
      if (row === undefined) return { ok: false, error: new SagaError('PostgresEventStore: saga_append_batch returned no row for an append (this is a bug).') };
      if (row.error_code !== null) return { ok: false, error: new BatchedAppendError(row.error_message ?? row.error_code, row.error_code) };
      if (row.last_revision === null || row.recorded_at === null) return { ok: true, value: undefined };
      return { ok: true, value: { last_revision: row.last_revision, recorded_at: row.recorded_at, ...(carried === undefined ? {} : { carried: true }) } };
    });
  }

  /** What group commit sent so far: round trips of appends, the appends in them, the largest batch (zeros when it is off). */
  get groupCommitStats(): { readonly batches: number; readonly items: number; readonly largest: number } {
    return { ...(this.#group?.sent ?? { batches: 0, items: 0, largest: 0 }) };
  }

  /**
   * The result of an earlier attempt of this very append, when the events at its revisions carry its
   * event ids: its reply was lost (or another writer appended the same events), and nothing is
   * written twice.
   */
  async #alreadyStored(stream: string, rows: readonly AppendRow[], expected: ExpectedRevision): Promise<AppendResult | undefined> {
    if (expected === 'any') return undefined;
    const first = expected === 'no_stream' ? 0 : expected + 1;
    const result = await this.#pool.query<StoredIdRow>(
      `SELECT revision, event_id, recorded_at FROM ${this.#table} WHERE stream_id = $1 AND revision BETWEEN $2 AND $3 ORDER BY revision`,
      [stream, first, first + rows.length - 1],
    );
    if (result.rows.length !== rows.length || result.rows.some((row, index) => row.event_id !== rows[index]?.id)) return undefined;
    const last = result.rows.at(-1);
    return last === undefined ? undefined : { lastRevision: last.revision, recordedAt: last.recorded_at.toISOString() };
  }

  async #lastRevision(stream: string): Promise<number | 'no_stream'> {
    const result = await this.#pool.query<{ last: number | null }>(`SELECT max(revision) AS last FROM ${this.#table} WHERE stream_id = $1`, [stream]);
    return result.rows[0]?.last ?? 'no_stream';
  }

  /** Runs a query with the retry policy; a failure that outlasts it names the server, not the credentials. */
  async #retrying<T>(what: string, operation: () => Promise<T>): Promise<T> {
    this.#assertUsable();
    try {
      return await withTransientRetry(operation, this.#retry, isTransientError);
    } catch (error) {
      if (this.#destroyed) throw new SagaError(`Cannot ${what}: this PostgresEventStore was destroyed meanwhile.`, { cause: error });
      if (!isTransientError(error)) throw error;
      const reason = redactPassword(error instanceof Error ? error.message || error.name : String(error), this.#clientConfig);
      throw new SagaError(
        `Cannot ${what}: PostgreSQL at ${this.target} is unreachable (${reason}) after ${this.#retry.retries + 1} attempts. ` +
          'Is the server running, and is the connection string right? It is the `connectionString` option, or SAGA_STORE_URL when ' +
          'the store comes from the environment.',
        { cause: error },
      );
    }
  }

  #assertUsable(): void {
    if (this.#destroyed) throw new SagaError('This PostgresEventStore was destroyed: create a new one (its events stay in the database).');
  }
}

/** An id for every event, so a retried append can recognise its own rows. */
const toRow = (event: NewEvent): AppendRow => ({ id: event.id ?? randomUUID(), type: event.type, data: event.data, metadata: event.metadata ?? {} });

const serialize = (stream: string, rows: readonly AppendRow[]): string => {
  try {
    return JSON.stringify(rows);
  } catch (error) {
    throw new SagaError(`Cannot append to stream '${stream}': an event is not JSON (${(error as Error).message}).`, { cause: error });
  }
};
