/**
 * The servers every process of a run talks to: the broker (RabbitMQ or NATS, chosen by URL), and
 * the run's PostgreSQL schema, which holds the saga events (PostgresEventStore's tables) and the
 * participants' own tables. `createRunSchema` and `removeRun` are the parent's; the rest is shared.
 */
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { brokerFromUrl, type Broker } from '@saga/core';
import { NatsBroker } from '@saga/nats';
import { RabbitMqBroker } from '@saga/rabbitmq';
import pg from 'pg';
import { quoteIdentifier, type RunConfig } from './config.js';

/** NATS: streams of a run share this prefix (one stream per service, plus its dead letters). */
const natsNaming = (config: RunConfig) => ({ subjectPrefix: `sagaex-${config.namespace}`, streamPrefix: `SAGAEX_${config.namespace}` });

/**
 * The broker for `config.brokerUrl`. Both adapters get settings for a throwaway run:
 * - RabbitMQ: queues expire a minute after their last consumer left (the run's names are unique, so
 *   nothing else would ever delete them);
 * - NATS: the run's own stream prefix (`removeRun` deletes those streams), and an ack wait of 10 s
 *   instead of 30 s: a reply that a killed manager had pulled comes back to the group after it.
 *   It must stay well below the reply timeout: on JetStream a request published again with the
 *   same id is dropped by the stream's duplicate window, so that redelivery is the reply's only
 *   way back.
 */
export const connectBroker = async (config: RunConfig, connectionName: string): Promise<Broker> => {
  const scheme = new URL(config.brokerUrl).protocol;
  if (scheme === 'amqp:' || scheme === 'amqps:') return new RabbitMqBroker({ url: config.brokerUrl, queueExpiresMs: 60_000, connectionName });
  if (scheme === 'nats:') return new NatsBroker({ url: config.brokerUrl, ...natsNaming(config), ackWaitMs: 10_000, connectionName });
  return brokerFromUrl(config.brokerUrl, 'DISTRIBUTED_BROKER_URL');
};

export const brokerName = (url: string): string => {
  const scheme = new URL(url).protocol;
  return scheme.startsWith('amqp') ? 'RabbitMQ' : scheme === 'nats:' ? 'NATS JetStream' : scheme.replace(':', '');
};

export const withClient = async <T>(config: RunConfig, use: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: config.postgresUrl });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
};

/**
 * The participants' tables. No unique key on `deliveries` or `effects`: a request handled twice
 * would show as two rows. `processed_requests` is the participants' idempotency ledger (one row per
 * service and request id, holding the reply); an effect is applied in the transaction that inserts
 * its ledger row, so it happens once per request id however often the request arrives.
 */
export const participantTablesSql = (schema: string): string => {
  const s = quoteIdentifier(schema);
  return `
    CREATE SCHEMA IF NOT EXISTS ${s};
    -- Every request message a participant received from the broker (before any de-duplication).
    CREATE TABLE IF NOT EXISTS ${s}.deliveries (
      id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      service TEXT NOT NULL, topic TEXT NOT NULL, message_id TEXT NOT NULL, request_id TEXT, saga_id TEXT,
      delivery_count INTEGER NOT NULL, pid INTEGER NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp());
    -- Every run of a handler: applied = it did the work; false = the ledger already had the request.
    CREATE TABLE IF NOT EXISTS ${s}.effects (
      id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      service TEXT NOT NULL, target TEXT NOT NULL, request_id TEXT NOT NULL, saga_id TEXT NOT NULL, order_id TEXT,
      purpose TEXT NOT NULL, applied BOOLEAN NOT NULL, outcome TEXT NOT NULL, pid INTEGER NOT NULL,
      at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp());
    CREATE TABLE IF NOT EXISTS ${s}.processed_requests (
      service TEXT NOT NULL, request_id TEXT NOT NULL, outcome JSONB,
      at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (service, request_id));
    -- What each service knows of each order (reserved / released, charged / declined / refunded, …).
    CREATE TABLE IF NOT EXISTS ${s}.order_state (
      service TEXT NOT NULL, order_id TEXT NOT NULL, state TEXT NOT NULL,
      updated_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (service, order_id));
    -- The commit protocol's hooks as they were called.
    CREATE TABLE IF NOT EXISTS ${s}.transaction_hooks (
      id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      service TEXT NOT NULL, saga_id TEXT NOT NULL, hook TEXT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp());
  `;
};

/** Creates the run's schema with the participants' tables (the event store adds its own on setup). */
export const createRunSchema = (config: RunConfig): Promise<void> => withClient(config, async (client) => void (await client.query(participantTablesSql(config.schema))));

/** Drops the run's schema and deletes what the run left on the broker (NATS streams; RabbitMQ queues expire). */
export const removeRun = async (config: RunConfig): Promise<void> => {
  await withClient(config, async (client) => void (await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(config.schema)} CASCADE`)));
  if (new URL(config.brokerUrl).protocol === 'nats:') await deleteNatsStreams(config);
};

const deleteNatsStreams = async (config: RunConfig): Promise<void> => {
  const servers: string[] = [];
  let credentials: { user?: string; pass?: string; token?: string } = {};
  for (const part of config.brokerUrl.split(',')) {
    const url = new URL(/^[a-z]+:\/\//i.test(part) ? part : `nats://${part}`);
    servers.push(`${url.hostname}:${url.port || '4222'}`);
    if (url.username !== '' && Object.keys(credentials).length === 0) {
      credentials = url.password === '' ? { token: decodeURIComponent(url.username) } : { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) };
    }
  }
  const nc = await connect({ servers, ...credentials, name: 'saga-example-cleanup' });
  try {
    const jsm = await jetstreamManager(nc);
    const prefix = `${natsNaming(config).streamPrefix}_`;
    for await (const stream of jsm.streams.list()) {
      if (stream.config.name.startsWith(prefix)) await jsm.streams.delete(stream.config.name);
    }
  } finally {
    await nc.close();
  }
};
