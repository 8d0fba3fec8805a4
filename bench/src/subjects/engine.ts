/**
 * This engine as a subject: a SagaManager on one store (memory, SQLite or PostgreSQL) and one
 * broker (memory for W1/W2; memory, RabbitMQ or NATS for W3), the store wrapped in a CountingStore.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryBroker, InMemoryEventStore, SagaManager, SagaStatus, type Broker, type Saga, type EventStore, type SagaExecution } from '@saga/core';
import { SqliteEventStore } from '@saga/sqlite';
import { AdapterMissing, createBroker, createPostgresStore, createPostgresStoreWith, pgQuery, redact, withSchema } from '../adapters.js';
import { CountingStore } from '../countingStore.js';
import { postgresServerCpu } from '../cpu.js';
import type { BrokerName, StoreName } from '../options.js';
import { reasonOf } from '../runner.js';
import { orderContext, startW3Participants, w1DurableSaga, w1Saga, w2Saga, w3Saga } from '../sagas.js';
import { fanoutAnswerKeys, fanoutParallelSaga, fanoutSequenceSaga, startFanoutParticipants } from '../fanout/fanoutSagas.js';
import { isFanout } from '../fanout/fanoutComparison.js';
import { SubjectUnavailable, type SagaWorkload, type Subject } from './subject.js';

export const engineName = 'saga-engine';
const postgresSchema = 'saga_bench';

export interface EngineSubjectOptions {
  readonly store: StoreName;
  readonly broker: BrokerName;
  readonly postgresUrl: string;
  readonly amqpUrl: string;
  readonly natsUrl: string;
  /** W3 needs the participants. */
  readonly withParticipants: boolean;
  /** The fan-out needs its 10 participants, answering after this many ms. */
  readonly fanoutServiceMs?: number;
  /** PostgreSQL: the schema (emptied once per run). Default `saga_bench`. */
  readonly schema?: string;
  /** PostgreSQL: group commit set explicitly (`false` or its settings); default: the store's default. */
  readonly groupCommit?: false | { readonly maxBatch?: number; readonly maxWaitMs?: number; readonly maxInFlight?: number };
}

const postgresResets = new Map<string, Promise<void>>();

/** Drops a schema of the benchmark once per run, so every run starts from an empty table. */
const resetPostgres = (url: string, schema: string): Promise<void> => {
  let reset = postgresResets.get(schema);
  if (reset === undefined) {
    reset = pgQuery(url, [`DROP SCHEMA IF EXISTS ${schema} CASCADE`]).then(() => undefined);
    postgresResets.set(schema, reset);
  }
  return reset;
};

const openStore = async (options: EngineSubjectOptions): Promise<{ store: EventStore; cleanup: () => void }> => {
  switch (options.store) {
    case 'memory':
      return { store: new InMemoryEventStore(), cleanup: () => undefined };
    case 'sqlite': {
      // A file, as users run it (WAL, synchronous=NORMAL): not ':memory:'.
      const dir = mkdtempSync(join(tmpdir(), 'saga-bench-sqlite-'));
      return { store: new SqliteEventStore({ filename: join(dir, 'saga.db') }), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    }
    case 'postgres': {
      const schema = options.schema ?? postgresSchema;
      const store =
        options.groupCommit === undefined
          ? await createPostgresStore(withSchema(options.postgresUrl, schema))
          : await createPostgresStoreWith(options.postgresUrl, schema, options.groupCommit);
      try {
        await resetPostgres(options.postgresUrl, schema);
      } catch (error) {
        throw new SubjectUnavailable(`PostgreSQL at ${redact(options.postgresUrl)} is unreachable: ${reasonOf(error)}`);
      }
      return { store, cleanup: () => undefined };
    }
  }
};

const openBroker = async (options: EngineSubjectOptions): Promise<Broker> => {
  switch (options.broker) {
    case 'memory':
      return new InMemoryBroker();
    case 'rabbitmq':
      return createBroker('rabbitmq', options.amqpUrl);
    case 'nats':
      return createBroker('nats', options.natsUrl);
  }
};

/** What each workload must end as; a run that ends otherwise stops its case with the reason. */
const expected: Record<SagaWorkload, string> = {
  W1: 'finished',
  'W1-durable': 'finished',
  W2: 'errored, with 2 steps compensated',
  W3: 'finished, its transaction committed',
  'W3-no2pc': 'finished, no vote asked (transaction pending: autocommit off)',
  'F10-parallel': 'finished with all 10 answers, no vote asked (autocommit off)',
  'F10-sequence': 'finished with all 10 answers, no vote asked (autocommit off)',
};

const expect = (execution: SagaExecution, workload: SagaWorkload): void => {
  const ok =
    workload === 'W2'
      ? execution.status === SagaStatus.Errored && execution.compensation.done.length === 2 && execution.compensation.failed === undefined
      : execution.status === SagaStatus.Finished &&
        (workload === 'W1' ||
          workload === 'W1-durable' ||
          (workload === 'W3' && execution.transaction.status === 'committed') ||
          (workload === 'W3-no2pc' && execution.transaction.status === 'pending' && execution.transaction.votes.length === 0) ||
          (isFanout(workload) && execution.transaction.votes.length === 0 && fanoutAnswerKeys.every((key) => execution.context[key] !== undefined)));
  if (!ok) {
    throw new Error(
      `${workload} execution ${execution.id} ended ${execution.status} (transaction ${execution.transaction.status})` +
        `${execution.error ? ` (${execution.error.name}: ${execution.error.message})` : ''}; the benchmark expected ${expected[workload]}.`,
    );
  }
};

const sagaOf: Record<SagaWorkload, Saga> = {
  W1: w1Saga,
  'W1-durable': w1DurableSaga,
  W2: w2Saga,
  W3: w3Saga,
  'W3-no2pc': w3Saga,
  'F10-parallel': fanoutParallelSaga,
  'F10-sequence': fanoutSequenceSaga,
};

export const openEngineSubject = async (options: EngineSubjectOptions): Promise<Subject> => {
  let opened: { store: EventStore; cleanup: () => void };
  let broker: Broker;
  try {
    opened = await openStore(options);
    broker = await openBroker(options);
  } catch (error) {
    if (error instanceof SubjectUnavailable) throw error;
    if (error instanceof AdapterMissing) throw error.built ? new SubjectUnavailable(error.message) : new SubjectUnavailable(error.message, 'skipped');
    throw new SubjectUnavailable(reasonOf(error));
  }
  const counting = new CountingStore(opened.store);
  const manager = new SagaManager({ store: counting, broker, service: 'sagabench-order', definitions: [w1Saga, w1DurableSaga, w2Saga, w3Saga, fanoutParallelSaga, fanoutSequenceSaga] });
  let participants: { destroy(): Promise<void> } | undefined;
  let fanoutParticipants: { destroy(): Promise<void> } | undefined;
  const setupStarted = performance.now();
  try {
    await manager.setup();
    if (options.withParticipants) participants = await startW3Participants(broker);
    if (options.fanoutServiceMs !== undefined) fanoutParticipants = await startFanoutParticipants(broker, options.fanoutServiceMs);
  } catch (error) {
    await manager.destroy().catch(() => undefined);
    await Promise.allSettled([broker.destroy(), counting.destroy()]);
    opened.cleanup();
    const where = options.store === 'postgres' ? ` (PostgreSQL ${redact(options.postgresUrl)})` : '';
    const via = options.broker === 'rabbitmq' ? ` (RabbitMQ ${redact(options.amqpUrl)})` : options.broker === 'nats' ? ` (NATS ${options.natsUrl})` : '';
    throw new SubjectUnavailable(`setup failed${where}${via}: ${reasonOf(error)}`);
  }
  const setupMs = performance.now() - setupStarted;
  counting.reset();

  return {
    engine: engineName,
    store: options.store,
    broker: options.broker,
    counting,
    setupMs,
    ...(options.store === 'postgres' ? { serverCpu: postgresServerCpu(options.postgresUrl) } : {}),
    runner(workload) {
      const definition = sagaOf[workload];
      // W3-no2pc: the same saga, its participants not asked to vote when it ends (autocommit off). The
      // fan-out too: a vote round trip, the same on both sides, would only blur the ratio.
      const autocommit = workload !== 'W3-no2pc' && !isFanout(workload);
      return async (index) => {
        const execution = await manager.run({ definition, context: orderContext(index), raiseOnError: false, autocommit });
        expect(execution, workload);
      };
    },
    async sweep() {
      return (await manager.recover({ republish: false })).scanned;
    },
    async close() {
      await participants?.destroy();
      await fanoutParticipants?.destroy();
      await manager.destroy();
      await broker.destroy();
      await counting.destroy();
      opened.cleanup();
    },
  };
};
