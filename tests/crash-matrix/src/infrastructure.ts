/**
 * The servers of a case as each process opens them, and what the test removes afterwards: the
 * PostgreSQL schema or SQLite file, the ledger, the NATS streams (RabbitMQ queues expire on their own).
 */
import { rmSync } from 'node:fs';
import type { Broker, EventStore } from '@saga/core';
import pg from 'pg';
import type { CaseConfig } from './caseConfig.js';

// Adapters are imported when a case needs them: a process loads one store and one broker, which
// keeps its start-up (most of a case's time) short.

export const openStore = async (config: CaseConfig): Promise<EventStore> =>
  config.store === 'postgres'
    ? new (await import('@saga/postgres')).PostgresEventStore({ connectionString: config.storeLocation, schema: config.namespace, pool: { max: 3 } })
    : new (await import('@saga/sqlite')).SqliteEventStore({ filename: config.storeLocation });

const natsNaming = (config: CaseConfig) => ({ subjectPrefix: `sagacm-${config.namespace}`, streamPrefix: `SAGACM_${config.namespace}` });

/**
 * NATS: an ack wait of 2 s instead of 30 s, so that what a killed process had pulled and not
 * acknowledged comes back to the next consumer within the case's few seconds.
 */
export const openBroker = async (config: CaseConfig, connectionName: string): Promise<Broker> =>
  config.broker === 'rabbitmq'
    ? new (await import('@saga/rabbitmq')).RabbitMqBroker({ url: config.brokerUrl, queueExpiresMs: 60_000, connectionName })
    : new (await import('@saga/nats')).NatsBroker({ url: config.brokerUrl, ...natsNaming(config), ackWaitMs: 2_000, connectionName });

/**
 * Creates the case's PostgreSQL schema before any process starts: the processes' own
 * `CREATE SCHEMA IF NOT EXISTS` can collide when run at the same moment (a unique violation in pg_namespace).
 */
export const prepareCase = async (config: CaseConfig): Promise<void> => {
  if (config.store !== 'postgres') return;
  const client = new pg.Client({ connectionString: config.storeLocation });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${config.namespace}"`);
  } finally {
    await client.end();
  }
};

export const removeCase = async (config: CaseConfig): Promise<void> => {
  rmSync(config.ledgerFile, { force: true });
  if (config.store === 'sqlite') {
    for (const file of [config.storeLocation, config.participantDbFile]) for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  } else {
    const client = new pg.Client({ connectionString: config.storeLocation });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${config.namespace}" CASCADE`);
    } finally {
      await client.end();
    }
  }
  if (config.broker === 'nats') {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const url = new URL(config.brokerUrl);
    const nc = await connect({ servers: `${url.hostname}:${url.port || '4222'}`, name: 'saga-crash-matrix-cleanup' });
    try {
      const jsm = await jetstreamManager(nc);
      const prefix = `${natsNaming(config).streamPrefix}_`;
      for await (const stream of jsm.streams.list()) if (stream.config.name.startsWith(prefix)) await jsm.streams.delete(stream.config.name);
    } finally {
      await nc.close();
    }
  }
};
