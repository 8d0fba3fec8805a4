/**
 * What every process of one run shares: where PostgreSQL and the broker are, the run's schema and
 * namespace, and the manager's timing. The parent passes it to its children in the environment
 * (`configToEnv`), and each child reads it back (`configFromEnv`), so a process can also be started
 * by hand with the same variables.
 */
import { randomUUID } from 'node:crypto';

export interface RunConfig {
  /** The PostgreSQL server (its events and the participants' tables go into `schema`). */
  readonly postgresUrl: string;
  /** A schema of this run only: created on setup, dropped at the end. */
  readonly schema: string;
  /** `amqp://…` (RabbitMQ) or `nats://…` (NATS JetStream). */
  readonly brokerUrl: string;
  /** Suffix of every service name (so topics and queues), so runs on a shared broker never meet. */
  readonly namespace: string;
  /** How long a remote step waits for its reply before it is compensated. */
  readonly replyTimeoutMs: number;
  /** How often a manager looks for timers of executions it did not load itself (a dead peer's). */
  readonly recoveryIntervalMs: number;
  /** How long a participant's handler works on a request (its call to a bank, a warehouse…), at most. */
  readonly workMs: number;
}

export const defaults = {
  postgresUrl: 'postgres://postgres@127.0.0.1:5432/test',
  amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
  natsUrl: 'nats://127.0.0.1:4222',
  replyTimeoutMs: 20_000,
  recoveryIntervalMs: 1_000,
  workMs: 100,
} as const;

const variables = {
  postgresUrl: 'DISTRIBUTED_POSTGRES_URL',
  schema: 'DISTRIBUTED_SCHEMA',
  brokerUrl: 'DISTRIBUTED_BROKER_URL',
  namespace: 'DISTRIBUTED_NAMESPACE',
  replyTimeoutMs: 'DISTRIBUTED_REPLY_TIMEOUT_MS',
  recoveryIntervalMs: 'DISTRIBUTED_RECOVERY_INTERVAL_MS',
  workMs: 'DISTRIBUTED_WORK_MS',
} as const satisfies Record<keyof RunConfig, string>;

/** A new run: a random id names its schema and namespace. */
export const newRunConfig = (options: Partial<RunConfig> & Pick<RunConfig, 'brokerUrl'>): RunConfig => {
  const id = randomUUID().replaceAll('-', '').slice(0, 8);
  return {
    postgresUrl: defaults.postgresUrl,
    schema: `distributed_${id}`,
    namespace: id,
    replyTimeoutMs: defaults.replyTimeoutMs,
    recoveryIntervalMs: defaults.recoveryIntervalMs,
    workMs: defaults.workMs,
    ...options,
  };
};

export const configToEnv = (config: RunConfig): Record<string, string> =>
  Object.fromEntries(Object.entries(variables).map(([key, name]) => [name, String(config[key as keyof RunConfig])]));

export const configFromEnv = (env: NodeJS.ProcessEnv = process.env): RunConfig => {
  const read = (key: keyof RunConfig): string => {
    const value = env[variables[key]];
    if (value === undefined || value === '') throw new Error(`${variables[key]} is not set: start this process through src/run.ts, or set ${Object.values(variables).join(', ')}.`);
    return value;
  };
  const number = (key: 'replyTimeoutMs' | 'recoveryIntervalMs' | 'workMs'): number => {
    const value = Number(read(key));
    if (!Number.isFinite(value) || value < 0) throw new Error(`${variables[key]} must be a number of milliseconds, not '${read(key)}'.`);
    return value;
  };
  return {
    postgresUrl: read('postgresUrl'),
    schema: read('schema'),
    brokerUrl: read('brokerUrl'),
    namespace: read('namespace'),
    replyTimeoutMs: number('replyTimeoutMs'),
    recoveryIntervalMs: number('recoveryIntervalMs'),
    workMs: number('workMs'),
  };
};

/** The event store's URL: the server, this run's schema, and a small pool (five processes share the server). */
export const storeUrl = (config: RunConfig, poolSize = 4): string => {
  const url = new URL(config.postgresUrl);
  url.searchParams.set('schema', config.schema);
  url.searchParams.set('poolSize', String(poolSize));
  return url.toString();
};

/** The services of a run; their names carry the namespace (`stock-1a2b3c4d`). */
export interface Services {
  readonly order: string;
  readonly stock: string;
  readonly payment: string;
  readonly shipping: string;
}

export const participantKinds = ['stock', 'payment', 'shipping'] as const;
export type ParticipantKind = (typeof participantKinds)[number];

export const servicesOf = (namespace: string): Services => {
  const name = (base: string): string => (namespace === '' ? base : `${base}-${namespace}`);
  return { order: name('order'), stock: name('stock'), payment: name('payment'), shipping: name('shipping') };
};

/** Quotes a PostgreSQL identifier (schema names come from configuration). */
export const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;
