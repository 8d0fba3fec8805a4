/**
 * What every process of one matrix case shares, passed from the test to its children in the
 * environment: where the store and the broker are, the case's namespace (so cases never meet on a
 * shared server), the point a process halts at, and the manager's timing.
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type StoreKind = 'postgres' | 'sqlite';
export type BrokerKind = 'rabbitmq' | 'nats';

export interface CaseConfig {
  readonly store: StoreKind;
  /** PostgreSQL: the server's URL (events go to `namespace`'s schema). SQLite: the database file. */
  readonly storeLocation: string;
  readonly broker: BrokerKind;
  readonly brokerUrl: string;
  /** Suffix of every service name, schema and stream prefix of the case. */
  readonly namespace: string;
  /**
   * `durable`: the participants keep their replies and hooks in `PostgresInbox` / `SqliteInbox`
   * (exactly once in effect across their restarts); `none`: the in-memory default (forgotten on restart).
   */
  readonly inbox: 'none' | 'durable';
  /** The participants' own records without a durable inbox (participantLedger.ts). */
  readonly ledgerFile: string;
  /** SQLite: the participants' own database (their inbox and their records). */
  readonly participantDbFile: string;
  readonly replyTimeoutMs: number;
}

export const newCaseConfig = (options: Omit<CaseConfig, 'namespace' | 'ledgerFile' | 'participantDbFile' | 'storeLocation'> & { readonly postgresUrl: string }): CaseConfig => {
  const namespace = `cm${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const dir = join(tmpdir(), 'saga-crash-matrix');
  return {
    store: options.store,
    storeLocation: options.store === 'postgres' ? options.postgresUrl : join(dir, `${namespace}.sqlite`),
    broker: options.broker,
    inbox: options.inbox,
    brokerUrl: options.brokerUrl,
    namespace,
    ledgerFile: join(dir, `${namespace}.ledger.jsonl`),
    participantDbFile: join(dir, `${namespace}.participants.sqlite`),
    replyTimeoutMs: options.replyTimeoutMs,
  };
};

const variable = 'SAGA_CRASH_MATRIX_CASE';

export const caseToEnv = (config: CaseConfig): Record<string, string> => ({ [variable]: JSON.stringify(config) });

export const caseFromEnv = (env: NodeJS.ProcessEnv = process.env): CaseConfig => {
  const raw = env[variable];
  if (raw === undefined || raw === '') throw new Error(`${variable} is not set: this process is started by the crash matrix (crashMatrix.e2e.spec.ts), which passes the case in it.`);
  return JSON.parse(raw) as CaseConfig;
};

/** The services of a case; their names carry the namespace. */
export const servicesOf = (namespace: string) =>
  ({ order: `order-${namespace}`, stock: `stock-${namespace}`, payment: `payment-${namespace}`, shipping: `shipping-${namespace}` }) as const;

export type Services = ReturnType<typeof servicesOf>;
