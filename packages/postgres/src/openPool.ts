/**
 * The pool a store or an inbox works on: the caller's own `pg.Pool` (used, never ended), or one it
 * makes from a connection string and pool settings (owned: ended with it).
 */
import pg from 'pg';
import { isPool } from './isPool.js';

const defaultPool = { max: 10, connectionTimeoutMillis: 5_000 } as const;

export interface OpenedPool {
  readonly pool: pg.Pool;
  /** Whether this code made the pool, and so ends it. */
  readonly owned: boolean;
  /** The settings it connects with (for describing the target without its password). */
  readonly config: pg.PoolConfig;
}

export const openPool = (options: { readonly connectionString?: string; readonly pool?: pg.PoolConfig | pg.Pool }, applicationName: string): OpenedPool => {
  if (isPool(options.pool)) return { pool: options.pool, owned: false, config: { ...options.pool.options } };
  const config: pg.PoolConfig = {
    ...defaultPool,
    application_name: applicationName,
    ...options.pool,
    ...(options.connectionString === undefined ? {} : { connectionString: options.connectionString }),
  };
  const pool = new pg.Pool(config);
  // An idle connection that breaks emits 'error' on the pool; unhandled, it would end the process.
  pool.on('error', () => undefined);
  return { pool, owned: true, config };
};
