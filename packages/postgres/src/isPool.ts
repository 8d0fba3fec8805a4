import pg from 'pg';

/** A Pool from another copy of pg fails `instanceof`, so its shape decides. */
export const isPool = (pool: pg.PoolConfig | pg.Pool | undefined): pool is pg.Pool => {
  if (pool instanceof pg.Pool) return true;
  const candidate = pool as { connect?: unknown; query?: unknown } | undefined;
  return typeof candidate?.connect === 'function' && typeof candidate.query === 'function';
};
