import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  ConcurrencyConflictError,
  SagaError,
  assertAppendable,
  assertExpectedRevision,
  assertStreamName,
  isSagaError,
  readFromRevision,
  resolveListStreamsOptions,
  resolveTransientRetry,
  withTransientRetry,
} from '@saga/core';
import type {
  AppendResult,
  Clock,
  EventStore,
  ExpectedRevision,
  JsonObject,
  ListStreamsOptions,
  NewEvent,
  ReadOptions,
  RecordedEvent,
  StreamListener,
  StreamPage,
  StreamSummary,
  TransientRetryPolicy,
  Unsubscribe,
} from '@saga/core';
import { appendStatement, type AppendRow } from './appendStatement.js';
import { describeTarget, redactPassword } from './connectionTarget.js';
import { migrate } from './migrations.js';
import { assertSchemaName, notifyChannel, quoteIdentifier } from './sqlIdentifiers.js';
import { decodeCursor, encodeCursor } from './streamCursor.js';
import { StreamWatchers } from './streamWatchers.js';
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
}

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

const defaultSchema = 'public';
const defaultPool = { max: 10, connectionTimeoutMillis: 5_000 } as const;
/** Concurrent 'any' appends race for the same next revision; the losers simply go again. */
const maxAnyAttempts = 20;

const uniqueViolation = '23505';
const untranslatableCharacter = '22P05';

const sqlStateOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : undefined;

/** A Pool from another copy of pg fails `instanceof`, so its shape decides. */
const isPool = (pool: pg.PoolConfig | pg.Pool | undefined): pool is pg.Pool => {
  if (pool instanceof pg.Pool) return true;
  const candidate = pool as { connect?: unknown; query?: unknown } | undefined;
  return typeof candidate?.connect === 'function' && typeof candidate.query === 'function';
};

/**
 * The EventStore port on PostgreSQL: one append-only table of events, unique on (stream, revision).
 * An append is one statement (so one transaction) that inserts after the expected revision and
 * NOTIFYs watchers; the unique key turns every lost race into `ConcurrencyConflictError`.
 */
export class PostgresEventStore implements EventStore {
  readonly schema: string;
  /** Host, port and database, for messages; never the credentials. */
  readonly target: string;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #clientConfig: pg.ClientConfig;
  readonly #clock: Clock | undefined;
  readonly #retry: Required<TransientRetryPolicy>;
  readonly #table: string;
  readonly #channel: string;
  readonly #watchers: StreamWatchers;
  #ready: Promise<void> | undefined;
  #destroyed = false;

  constructor(options: PostgresEventStoreOptions) {
    if (typeof options !== 'object' || options === null || (options.connectionString === undefined && options.pool === undefined)) {
      throw new SagaError('PostgresEventStore needs a connectionString (postgres://user@host:5432/database) or a pool.');
    }
    this.schema = assertSchemaName(options.schema ?? defaultSchema);
    this.#clock = options.clock;
    this.#retry = resolveTransientRetry('PostgresEventStore', options.retry);
    this.#table = `${quoteIdentifier(this.schema)}.saga_events`;
    this.#channel = notifyChannel(this.schema);
    if (isPool(options.pool)) {
      this.#pool = options.pool;
      this.#ownsPool = false;
      this.#clientConfig = { ...options.pool.options };
    } else {
      const config: pg.PoolConfig = {
        ...defaultPool,
        application_name: 'saga-event-store',
        ...options.pool,
        ...(options.connectionString === undefined ? {} : { connectionString: options.connectionString }),
      };
      this.#pool = new pg.Pool(config);
      this.#ownsPool = true;
      this.#clientConfig = config;
    }
    this.target = describeTarget(this.#clientConfig);
    // An idle pooled connection that breaks emits 'error' on the pool; unhandled, it would end the
    // process. The next query gets a new connection. (A pool that was given is its owner's to watch.)
    if (this.#ownsPool) this.#pool.on('error', () => undefined);
    const { max: _max, min: _min, idleTimeoutMillis: _idle, maxUses: _uses, ...listenConfig } = this.#clientConfig as pg.PoolConfig;
    this.#watchers = new StreamWatchers({
      clientConfig: { ...listenConfig, application_name: `${listenConfig.application_name ?? 'saga-event-store'} (listen)` },
      channel: this.#channel,
      lastRevisions: (streams) => this.#lastRevisions(streams),
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
    await this.#watchers.close();
    await this.#ready?.catch(() => undefined);
    if (this.#ownsPool) await this.#pool.end();
  }

  async append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    assertAppendable(stream, events);
    // The column is an int4: the revision after the expected one must fit too.
    assertExpectedRevision(stream, expectedRevision, 2 ** 31 - 1);
    const rows = events.map(toRow);
    const eventsJson = serialize(stream, rows);
    await this.setup();
    // Fixed before the first attempt: a retry after a lost reply is recognised by these ids.
    const recordedAt = this.#clock?.now().toISOString() ?? null;
    const result = await this.#retrying(`append to '${stream}'`, () => this.#appendOnce(stream, rows, eventsJson, expectedRevision, recordedAt));
    this.#watchers.notify(stream, result.lastRevision);
    return result;
  }

  async read(stream: string, options: ReadOptions = {}): Promise<readonly RecordedEvent[]> {
    assertStreamName(stream);
    const fromRevision = readFromRevision(stream, options);
    await this.setup();
    const result = await this.#retrying(`read '${stream}'`, () =>
      this.#pool.query<EventRow>(
        `SELECT revision, type, data, metadata, recorded_at FROM ${this.#table} WHERE stream_id = $1 AND revision >= $2 ORDER BY revision`,
        [stream, Math.min(fromRevision, 2 ** 31 - 1)],
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
    const after = options.after === undefined ? '0' : decodeCursor(options.after);
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
    return result.rows.length > limit && last !== undefined ? { streams, nextCursor: encodeCursor(last.global_position) } : { streams };
  }

  watch(stream: string, listener: StreamListener): Unsubscribe {
    this.#assertUsable();
    assertStreamName(stream);
    return this.#watchers.watch(stream, listener);
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
          "or SAGA_STORE_URL when the store comes from the environment (SAGA_TEST_POSTGRES_URL for this repository's tests).",
        { cause: error },
      );
    }
    try {
      await migrate(client, this.schema);
    } finally {
      client.release();
    }
  }

  async #appendOnce(
    stream: string,
    rows: readonly AppendRow[],
    eventsJson: string,
    expected: ExpectedRevision,
    recordedAt: string | null,
  ): Promise<AppendResult> {
    for (let attempt = 1; ; attempt += 1) {
      const statement = appendStatement(this.schema, this.#channel, stream, eventsJson, expected, recordedAt);
      try {
        const result = await this.#pool.query<AppendedRow>(statement.text, [...statement.values]);
        const row = result.rows[0];
        if (row !== undefined) return { lastRevision: row.last_revision, recordedAt: row.recorded_at.toISOString() };
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
        if (stored !== undefined) return stored;
        throw new ConcurrencyConflictError(stream, expected, await this.#lastRevision(stream));
      }
    }
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

  async #lastRevisions(streams: readonly string[]): Promise<ReadonlyMap<string, number>> {
    await this.setup();
    const result = await this.#pool.query<{ stream_id: string; last: number }>(
      `SELECT stream_id, max(revision) AS last FROM ${this.#table} WHERE stream_id = ANY($1::text[]) GROUP BY stream_id`,
      [streams],
    );
    return new Map(result.rows.map((row) => [row.stream_id, row.last]));
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
          'the store comes from the environment (SAGA_TEST_POSTGRES_URL for this repository\'s tests).',
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
