import { SagaError, redactUrl } from '@saga/core';
import { PostgresEventStore, type PostgresEventStoreOptions } from './postgresEventStore.js';

/** Parameters the store reads from the URL; every other one is the driver's (sslmode, application_name, …). */
const storeParameters = ['schema', 'poolSize'] as const;

const accepted = 'use postgres://user:password@host:5432/database (or postgresql://…), optionally with ?schema=saga&poolSize=10';

const invalid = (url: string, why: string): SagaError => new SagaError(`Invalid PostgreSQL store URL '${redactUrl(url)}': ${why}; ${accepted}.`);

/** The store options a `postgres://` URL stands for. Exported for tests; users call `postgresEventStoreFromUrl`. */
export const parsePostgresUrl = (url: string): PostgresEventStoreOptions => {
  if (typeof url !== 'string' || url.trim() === '') throw invalid(String(url), 'it is empty');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(url, 'it is not a URL');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') throw invalid(url, `the scheme is ${parsed.protocol}`);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  const poolSizeText = parsed.searchParams.get('poolSize') ?? undefined;
  for (const name of storeParameters) parsed.searchParams.delete(name);
  let poolSize: number | undefined;
  if (poolSizeText !== undefined) {
    poolSize = Number(poolSizeText);
    if (!Number.isSafeInteger(poolSize) || poolSize < 1) throw invalid(url, `poolSize must be a whole number ≥ 1, got '${poolSizeText}'`);
  }
  if (schema !== undefined && schema.trim() === '') throw invalid(url, 'schema is empty');
  return {
    connectionString: parsed.toString(),
    ...(schema === undefined ? {} : { schema }),
    ...(poolSize === undefined ? {} : { pool: { max: poolSize } }),
  };
};

/**
 * A store for a URL such as `SAGA_STORE_URL`: `postgres://user:password@host:5432/database`, with
 * the store's own `schema` and `poolSize` parameters and any of the driver's (`sslmode`, …).
 */
export const postgresEventStoreFromUrl = (url: string): PostgresEventStore => new PostgresEventStore(parsePostgresUrl(url));
