/**
 * A participant's inbox in its own PostgreSQL database: the handler's work and the record of its
 * reply commit in one transaction, so a participant is exactly once in effect across restarts.
 *
 *   const inbox = new PostgresInbox({ pool });                       // the pool of the service's data
 *   const participant = new SagaParticipant({ broker, service: 'stock', inbox });
 *   participant.handle('stock.reserve', async (payload, { transaction }) => {
 *     await transaction.query('UPDATE stock SET held = held + 1 WHERE sku = $1', [sku]);
 *   });
 *
 * How: the transaction first claims the slot (`INSERT … ON CONFLICT DO NOTHING` on the primary key
 * participant + slot + key). A duplicate finds it taken: if the first is still running, PostgreSQL
 * makes it wait until that one commits, then it reads the recorded reply. The run happens after a
 * savepoint, so a refusal is rolled back to it and its reply still recorded.
 */
import type pg from 'pg';
import {
  SagaError,
  defaultLogger,
  pruneOnSchedule,
  resolveInboxRetention,
  transactionSlot,
  type InboxCommand,
  type InboxReply,
  type InboxRequest,
  type InboxRetentionOptions,
  type InboxSlot,
  type InboxTransaction,
  type InboxWork,
  type JsonValue,
  type Logger,
  type ParticipantInbox,
  type ReplyEnvelope,
  type ResolvedInboxRetention,
  type TransactionAction,
} from '@saga/core';
import { describeTarget } from './connectionTarget.js';
import { migrateInbox } from './inboxMigrations.js';
import { openPool } from './openPool.js';
import { assertSchemaName, quoteIdentifier } from './sqlIdentifiers.js';

export interface PostgresInboxOptions extends InboxRetentionOptions {
  /** `postgres://user:password@host:5432/database`; or give `pool`. */
  readonly connectionString?: string;
  /**
   * Pool settings (default `max: 10`), or a ready `pg.Pool` (the one your service's data lives in)
   * that the inbox uses but never ends. Each request being handled holds one connection.
   */
  readonly pool?: pg.PoolConfig | pg.Pool;
  /** Schema of the inbox's table, created on `setup()` if missing. Default `'public'`. */
  readonly schema?: string;
  /** Where failed prunes are reported. Default: the core's default logger. */
  readonly logger?: Logger;
}

interface TransactionRecord {
  readonly action: TransactionAction;
  readonly value: boolean;
}

/** A slot found taken, then gone before it was read (pruned meanwhile): claim it again, a few times. */
const maxClaims = 3;

export class PostgresInbox implements ParticipantInbox<pg.PoolClient> {
  readonly schema: string;
  /** Host, port and database, for messages; never the credentials. */
  readonly target: string;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #table: string;
  readonly #retention: ResolvedInboxRetention;
  readonly #logger: Logger | undefined;
  #ready: Promise<void> | undefined;
  #stopPruning: (() => void) | undefined;

  constructor(options: PostgresInboxOptions) {
    if (typeof options !== 'object' || options === null || (options.connectionString === undefined && options.pool === undefined)) {
      throw new SagaError('PostgresInbox needs a connectionString (postgres://user@host:5432/database) or a pool: the database of the participant’s own data.');
    }
    this.schema = assertSchemaName(options.schema ?? 'public');
    this.#table = `${quoteIdentifier(this.schema)}.saga_participant_inbox`;
    this.#retention = resolveInboxRetention('PostgresInbox', options);
    this.#logger = options.logger;
    const opened = openPool(options, 'saga-participant-inbox');
    this.#pool = opened.pool;
    this.#ownsPool = opened.owned;
    this.target = describeTarget(opened.config);
  }

  /** Creates or migrates the inbox table (idempotent) and starts pruning by the retention. */
  async setup(): Promise<void> {
    this.#ready ??= (async () => {
      const client = await this.#pool.connect();
      try {
        await migrateInbox(client, this.schema);
      } finally {
        client.release();
      }
    })().catch((error: unknown) => {
      this.#ready = undefined; // A later call tries again, e.g. once the server is up.
      throw error;
    });
    await this.#ready;
    this.#stopPruning ??= pruneOnSchedule(`PostgresInbox ${this.target} ${this.schema}`, (olderThan) => this.prune(olderThan), this.#retention, this.#logger ?? defaultLogger());
  }

  async destroy(): Promise<void> {
    this.#stopPruning?.();
    this.#stopPruning = undefined;
    await this.#ready?.catch(() => undefined);
    this.#ready = undefined;
    if (this.#ownsPool && !this.#pool.ended) await this.#pool.end();
  }

  async handleOnce(request: InboxRequest, run: (transaction: pg.PoolClient) => Promise<InboxWork<ReplyEnvelope>>): Promise<InboxReply> {
    const { record, duplicate } = await this.#once('request', request.participant, request.requestId, request.sagaId, run);
    return { reply: record as unknown as ReplyEnvelope, duplicate };
  }

  async transactionOnce(command: InboxCommand, run: (transaction: pg.PoolClient) => Promise<InboxWork<boolean>>): Promise<InboxTransaction> {
    const { record, duplicate } = await this.#once(transactionSlot(command.action), command.participant, command.sagaId, command.sagaId, async (client) => {
      const work = await run(client);
      const value: TransactionRecord = { action: command.action, value: work.value };
      return { value, keepEffects: work.keepEffects };
    });
    const recorded = record as unknown as TransactionRecord;
    return { action: recorded.action, value: recorded.value, duplicate };
  }

  async prune(olderThan: Date): Promise<number> {
    await this.setup();
    const result = await this.#pool.query(`DELETE FROM ${this.#table} WHERE recorded_at < $1`, [olderThan]);
    return result.rowCount ?? 0;
  }

  async #once<T extends object>(
    slot: InboxSlot,
    participant: string,
    key: string,
    sagaId: string,
    run: (client: pg.PoolClient) => Promise<InboxWork<T>>,
  ): Promise<{ record: JsonValue; duplicate: boolean }> {
    await this.setup();
    for (let claim = 1; ; claim += 1) {
      const client = await this.#pool.connect();
      let broken = false;
      try {
        // Statements go in threes and twos, one round trip each: a multi-statement query takes no
        // parameters, so values are escaped by the driver's own escapeLiteral.
        const [p, s, k, id] = [participant, slot, key, sagaId].map((value) => client.escapeLiteral(value));
        const where = `participant = ${p} AND slot = ${s} AND key = ${k}`;
        // Claim first: a concurrent duplicate blocks on the primary key until this one commits.
        const opened = (await client.query(
          `BEGIN; INSERT INTO ${this.#table} (participant, slot, key, saga_id) VALUES (${p}, ${s}, ${k}, ${id}) ON CONFLICT DO NOTHING; SAVEPOINT saga_inbox_run`,
        )) as unknown as pg.QueryResult[];
        if (opened[1]?.rowCount === 1) {
          const work = await run(client);
          // A refusal keeps none of the run's work; the record is written either way, then committed.
          const undo = work.keepEffects ? '' : 'ROLLBACK TO SAVEPOINT saga_inbox_run; ';
          await client.query(`${undo}UPDATE ${this.#table} SET record = ${client.escapeLiteral(JSON.stringify(work.value))}::jsonb WHERE ${where}; COMMIT`);
          return { record: work.value as unknown as JsonValue, duplicate: false };
        }
        // Taken by a committed transaction (one still running would have made the INSERT wait).
        const found = (await client.query(`ROLLBACK; SELECT record FROM ${this.#table} WHERE ${where}`)) as unknown as pg.QueryResult<{ record: JsonValue }>[];
        const row = found[1]?.rows[0];
        if (row !== undefined && row.record !== null) return { record: row.record, duplicate: true };
        if (claim >= maxClaims) {
          throw new SagaError(`PostgresInbox: the ${slot} record '${key}' of '${participant}' kept disappearing while being read (pruned meanwhile?); the delivery will be retried.`);
        }
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true; // A connection that cannot roll back is not given back to the pool.
        });
        throw error;
      } finally {
        client.release(broken);
      }
    }
  }
}
