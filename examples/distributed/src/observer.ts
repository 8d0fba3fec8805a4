/**
 * The parent's view of a run, read from PostgreSQL only: how far the sagas are (cheap SQL counts),
 * each execution as the engine folds it (`manager.get` / `manager.history` of a manager that only
 * reads: it is never set up, so it consumes no replies), and the participants' tables.
 */
import { InMemoryBroker, SagaManager, SagaStatus, isAwaiting, type SagaExecution } from '@saga/core';
import { PostgresEventStore } from '@saga/postgres';
import pg from 'pg';
import { quoteIdentifier, servicesOf, type RunConfig } from './config.js';
import { createOrderSaga } from './orderSaga.js';

/** Why an execution is not done yet, or undefined when it is (ended, its transaction decided and sent). */
export const unsettled = (execution: SagaExecution): string | undefined => {
  if (execution.pendingRequest) return `waits for the reply to ${execution.pendingRequest.target} (step ${execution.pendingRequest.path})`;
  if (isAwaiting(execution)) return execution.transaction.status === 'reserving' ? 'waits for votes' : 'waits to retry a compensation';
  if (execution.phase !== 'ended') return `is still ${execution.phase === 'forward' ? 'running forward' : 'compensating'}`;
  if (execution.status !== SagaStatus.Finished && execution.status !== SagaStatus.Errored) return `ended ${execution.status}`;
  const { status, participants, notified } = execution.transaction;
  if (execution.autocommit && status === 'pending') return 'ended with its transaction neither committed nor rejected';
  // The outcome's commands are owed until TransactionNotified is stored (the execution's last write).
  if ((status === 'committed' || status === 'rejected') && participants.length > 0 && !notified) return `owes its participants the ${status === 'committed' ? 'commit' : 'reject'}`;
  return undefined;
};

export interface Progress {
  /** Executions in the store. */
  readonly started: number;
  /** Executions that completed or failed (their transaction may still be deciding). */
  readonly ended: number;
}

export class RunObserver {
  readonly store: PostgresEventStore;
  /** Reads only: `get`, `history`, `replay`. */
  readonly manager: SagaManager;
  readonly #db: pg.Pool;
  readonly #schema: string;

  constructor(readonly config: RunConfig) {
    this.store = new PostgresEventStore({ connectionString: config.postgresUrl, schema: config.schema, pool: { max: 2 } });
    const services = servicesOf(config.namespace);
    this.manager = new SagaManager({
      store: this.store,
      broker: new InMemoryBroker(),
      service: services.order,
      definitions: [createOrderSaga(services)],
      recoverOnSetup: false,
      recoveryIntervalMs: 0,
    });
    this.#db = new pg.Pool({ connectionString: config.postgresUrl, max: 2 });
    this.#schema = quoteIdentifier(config.schema);
  }

  /** Creates the event store's tables (so that the managers find them). */
  async setup(): Promise<void> {
    await this.store.setup();
  }

  async destroy(): Promise<void> {
    await this.manager.destroy();
    await this.store.destroy();
    await this.#db.end();
  }

  query<R extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.#db.query<R>(sql.replaceAll('$schema', this.#schema), values);
  }

  async progress(): Promise<Progress> {
    const { rows } = await this.query<{ started: string; ended: string }>(
      `SELECT count(*) FILTER (WHERE revision = 0) AS started,
              count(*) FILTER (WHERE type IN ('SagaCompleted', 'SagaFailed')) AS ended
         FROM $schema.saga_events`,
    );
    return { started: Number(rows[0]?.started ?? 0), ended: Number(rows[0]?.ended ?? 0) };
  }

  /** Execution ids by order id, from the first event of every stream. */
  async executionsByOrder(): Promise<Map<string, string>> {
    const { rows } = await this.query<{ order_id: string; execution_id: string }>(
      `SELECT data->'context'->>'orderId' AS order_id, data->>'executionId' AS execution_id FROM $schema.saga_events WHERE revision = 0`,
    );
    return new Map(rows.map((r) => [r.order_id, r.execution_id]));
  }

  /**
   * Waits until every execution is settled; fails after `timeoutMs` naming those that are not.
   * Each round asks PostgreSQL for every stream's last revision and folds only the streams that moved.
   */
  async waitUntilSettled(executionIds: readonly string[], timeoutMs: number, onRound?: (settled: number) => void): Promise<Map<string, SagaExecution>> {
    const deadline = Date.now() + timeoutMs;
    const settled = new Map<string, SagaExecution>();
    const seen = new Map<string, number>();
    const problems = new Map<string, string>();
    for (;;) {
      const { rows } = await this.query<{ stream_id: string; last: number }>(`SELECT stream_id, max(revision) AS last FROM $schema.saga_events GROUP BY stream_id`);
      const last = new Map(rows.map((r) => [r.stream_id, Number(r.last)]));
      for (const id of executionIds) {
        if (settled.has(id)) continue;
        const revision = last.get(`saga-${id}`);
        if (revision === undefined) {
          problems.set(id, 'is not in the store');
          continue;
        }
        if (seen.get(id) === revision) continue;
        seen.set(id, revision);
        const execution = await this.manager.get(id);
        const problem = unsettled(execution);
        if (problem === undefined) {
          settled.set(id, execution);
          problems.delete(id);
        } else problems.set(id, problem);
      }
      onRound?.(settled.size);
      if (settled.size === executionIds.length) return settled;
      if (Date.now() >= deadline) {
        const sample = [...problems].slice(0, 5).map(([id, problem]) => `${id} ${problem}`);
        throw new Error(`${executionIds.length - settled.size} of ${executionIds.length} executions did not settle within ${timeoutMs} ms: ${sample.join('; ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** What each service knows of each order: `order_state` by order id, then service kind. */
  async orderStates(): Promise<Map<string, Record<string, string>>> {
    const services = servicesOf(this.config.namespace);
    const kindOf = new Map(Object.entries(services).map(([kind, name]) => [name, kind]));
    const { rows } = await this.query<{ service: string; order_id: string; state: string }>(`SELECT service, order_id, state FROM $schema.order_state`);
    const states = new Map<string, Record<string, string>>();
    for (const row of rows) {
      const entry = states.get(row.order_id) ?? {};
      entry[kindOf.get(row.service) ?? row.service] = row.state;
      states.set(row.order_id, entry);
    }
    return states;
  }
}
