/**
 * The server adapters (@saga/postgres, @saga/rabbitmq, @saga/nats) are loaded only here, only when
 * a workload needs them, and by a specifier TypeScript does not follow: the harness builds and runs
 * before they exist, and the cases that need one are skipped with the reason.
 */
import { createRequire } from 'node:module';
import type { Broker, EventStore } from '@saga/core';
import { reasonOf } from './runner.js';

/** An adapter that cannot be used: `built: false` when it is simply not built yet (its cases are skipped). */
export class AdapterMissing extends Error {
  constructor(
    message: string,
    readonly built = false,
  ) {
    super(message);
  }
}

const isNotFound = (error: unknown): boolean =>
  error instanceof Error && ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND', 'ERR_PACKAGE_PATH_NOT_EXPORTED'].includes((error as NodeJS.ErrnoException).code ?? '');

/** Imports a workspace adapter, or throws `AdapterMissing` saying it is not built yet. */
export const loadAdapter = async <T>(packageName: string): Promise<T> => {
  const specifier: string = packageName;
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    if (isNotFound(error)) {
      throw new AdapterMissing(`${packageName} is not built yet (no dist/; build it with \`pnpm --filter ${packageName} build\`)`);
    }
    throw new AdapterMissing(`${packageName} is built but failed to load: ${reasonOf(error)}`, true);
  }
};

interface StoreModule {
  readonly createEventStore?: (url: string) => EventStore;
}
interface BrokerModule {
  readonly createBroker?: (url: string) => Broker;
}

export const createPostgresStore = async (url: string): Promise<EventStore> => {
  const adapter = await loadAdapter<StoreModule>('@saga/postgres');
  if (typeof adapter.createEventStore !== 'function') throw new AdapterMissing('@saga/postgres does not export createEventStore(url) yet');
  return adapter.createEventStore(url);
};

interface PostgresModule {
  readonly PostgresEventStore?: new (options: { connectionString: string; schema: string; groupCommit?: unknown }) => EventStore;
}

/**
 * A PostgreSQL store with group commit set explicitly (`false`, or `{ maxBatch, maxWaitMs, maxInFlight }`),
 * for the A/B measurement of group commit (`groupCommitAB.ts`); other cases take the URL's defaults.
 */
export const createPostgresStoreWith = async (url: string, schema: string, groupCommit: unknown): Promise<EventStore> => {
  const adapter = await loadAdapter<PostgresModule>('@saga/postgres');
  if (typeof adapter.PostgresEventStore !== 'function') throw new AdapterMissing('@saga/postgres does not export PostgresEventStore');
  return new adapter.PostgresEventStore({ connectionString: url, schema, groupCommit });
};

export const createBroker = async (name: 'rabbitmq' | 'nats', url: string): Promise<Broker> => {
  const packageName = `@saga/${name}`;
  const adapter = await loadAdapter<BrokerModule>(packageName);
  if (typeof adapter.createBroker !== 'function') throw new AdapterMissing(`${packageName} does not export createBroker(url) yet`);
  return adapter.createBroker(url);
};

/** The few calls of node-postgres the harness needs (resetting schemas, reading the server version). */
export interface PgClient {
  connect(): Promise<void>;
  query(text: string): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}
type PgModule = { Client: new (config: { connectionString: string; connectionTimeoutMillis?: number }) => PgClient };

/**
 * node-postgres as @saga/postgres itself resolves it (the bench has no dependency of its own on
 * it). `from`: a package.json whose dependencies hold `pg` instead (the peers' folder).
 */
export const loadPg = async (from?: string): Promise<PgModule> => {
  let base = from;
  if (base === undefined) {
    try {
      base = createRequire(import.meta.url).resolve('@saga/postgres/package.json');
    } catch (error) {
      throw new AdapterMissing(`@saga/postgres is not installed: ${reasonOf(error)}`);
    }
  }
  const pg = createRequire(base)('pg') as PgModule | { default: PgModule };
  return 'Client' in pg ? pg : pg.default;
};

/** Runs statements on a fresh connection (closed afterwards); returns the last result's rows. */
export const pgQuery = async (url: string, statements: readonly string[], from?: string): Promise<Record<string, unknown>[]> => {
  const { Client } = await loadPg(from);
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    let rows: Record<string, unknown>[] = [];
    for (const statement of statements) rows = (await client.query(statement)).rows;
    return rows;
  } finally {
    await client.end();
  }
};

/** The URL with `?schema=` set (the store's own parameter). */
export const withSchema = (url: string, schema: string): string => {
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
};

/** The URL without credentials, for the report. */
export const redact = (url: string): string => url.replace(/\/\/([^@/]*)@/, (_match, user: string) => `//${user.split(':')[0] ?? ''}@`);
