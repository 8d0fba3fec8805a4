import { SagaError, redactUrl } from '@saga/core';
import { PostgresEventStore, type PostgresEventStoreOptions } from './postgresEventStore.js';

/** Parameters the store reads from the URL; every other one is the driver's (sslmode, application_name, …). */
const storeParameters = ['schema', 'poolSize', 'groupCommit'] as const;

const accepted = 'use postgres://user:password@host:5432/database (or postgresql://…), optionally with ?schema=saga&poolSize=10&groupCommit=off';

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
  const groupCommitText = parsed.searchParams.get('groupCommit') ?? undefined;
  for (const name of storeParameters) parsed.searchParams.delete(name);
  let poolSize: number | undefined;
  if (poolSizeText !== undefined) {
    poolSize = Number(poolSizeText);
    if (!Number.isSafeInteger(poolSize) || poolSize < 1) throw invalid(url, `poolSize must be a whole number ≥ 1, got '${poolSizeText}'`);
  }
  if (schema !== undefined && schema.trim() === '') throw invalid(url, 'schema is empty');
  if (groupCommitText !== undefined && groupCommitText !== 'on' && groupCommitText !== 'off') throw invalid(url, `groupCommit is on or off, got '${groupCommitText}'`);
  return {
    connectionString: parsed.toString(),
    ...(schema === undefined ? {} : { schema }),
    ...(poolSize === undefined ? {} : { pool: { max: poolSize } }),
    ...(groupCommitText === undefined ? {} : { groupCommit: groupCommitText === 'on' }),
  };
};

/**
 * A store for a URL such as `SAGA_STORE_URL`: `postgres://user:password@host:5432/database`, with
 * the store's own `schema`, `poolSize` and `groupCommit` (on, the default, or off) parameters and any of the driver's (`sslmode`, …).
 */
export const postgresEventStoreFromUrl = (url: string): PostgresEventStore => new PostgresEventStore(parsePostgresUrl(url));
