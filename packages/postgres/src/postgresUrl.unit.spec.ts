import { describe, expect, it } from 'vitest';
import { createEventStore } from './index.js';
import { PostgresEventStore } from './postgresEventStore.js';
import { parsePostgresUrl, postgresEventStoreFromUrl } from './postgresUrl.js';

describe('postgres:// URLs', () => {
  it('passes the connection to the driver and takes schema and poolSize for the store', () => {
    expect(parsePostgresUrl('postgres://saga:pw@db.internal:6432/orders?schema=sagas&poolSize=20&sslmode=require')).toEqual({
      connectionString: 'postgres://saga:pw@db.internal:6432/orders?sslmode=require',
      schema: 'sagas',
      pool: { max: 20 },
    });
    expect(parsePostgresUrl('postgresql://localhost/test')).toEqual({ connectionString: 'postgresql://localhost/test' });
    expect(parsePostgresUrl('postgres://localhost/test?groupCommit=off')).toEqual({ connectionString: 'postgres://localhost/test', groupCommit: false });
    expect(parsePostgresUrl('postgres://localhost/test?groupCommit=on')).toEqual({ connectionString: 'postgres://localhost/test', groupCommit: true });
  });

  it('rejects what it cannot use, saying what to write and never showing the password', () => {
    const attempts = [
      ['mysql://root:hunter2@localhost/db', /scheme is mysql:/],
      ['postgres://root:hunter2@localhost/db?poolSize=0', /poolSize must be a whole number ≥ 1, got '0'/],
      ['postgres://root:hunter2@localhost/db?poolSize=ten', /poolSize must be a whole number/],
      ['postgres://root:hunter2@localhost/db?schema=', /schema is empty/],
      ['postgres://root:hunter2@localhost/db?groupCommit=maybe', /groupCommit is on or off, got 'maybe'/],
      ['', /it is empty/],
      ['not a url', /it is not a URL/],
    ] as const;
    for (const [url, reason] of attempts) {
      const error = (() => {
        try {
          parsePostgresUrl(url);
        } catch (e) {
          return e as Error;
        }
        throw new Error(`${url} was accepted`);
      })();
      expect(error.message).toMatch(reason);
      expect(error.message).toMatch(/postgres:\/\/user:password@host:5432\/database/);
      expect(error.message).not.toContain('hunter2');
    }
  });

  // Passwords as users write them: unescaped, or as ?password= (which the driver reads too).
  it.each([
    ['postgres://root:hunter2/x@localhost/db', /it is not a URL/],
    ['postgres://root:hun?ter2@localhost/db', /it is not a URL/],
    ['postgres://root:hun#ter2@localhost/db', /it is not a URL/],
    ['postgres://root:hunter2@x:y%@localhost:5432/db?poolSize=0', /poolSize must be/],
    ['postgres://root@localhost/db?password=hunter2&x=1&poolSize=0', /poolSize must be/],
    ['postgres://root@localhost/db?sslmode=require&password=hunter2&poolSize=0', /poolSize must be/],
    ['mysql://root@localhost/db?password=hunter2&x=1', /scheme is mysql:/],
  ])('rejects %s without showing its password', (url, reason) => {
    expect(() => parsePostgresUrl(url)).toThrow(reason);
    expect(() => parsePostgresUrl(url)).not.toThrow(/hunter2|hun\?|hun#|x:y%/);
  });

  it('builds a store without connecting (the first use connects); createEventStore is the same function', async () => {
    expect(createEventStore).toBe(postgresEventStoreFromUrl);
    const store = createEventStore('postgres://saga@db.example:5433/orders?schema=audit');
    expect(store).toBeInstanceOf(PostgresEventStore);
    expect(store.schema).toBe('audit');
    expect(store.target).toBe('db.example:5433/orders');
    await store.destroy();
  });

  it('refuses a store with neither a connection string nor a pool, and a bad schema name', () => {
    expect(() => new PostgresEventStore({})).toThrow(/needs a connectionString/);
    expect(() => new PostgresEventStore({ connectionString: 'postgres://localhost/db', schema: 'x'.repeat(64) })).toThrow(/Invalid PostgreSQL schema name/);
    expect(() => new PostgresEventStore({ connectionString: 'postgres://localhost/db', retry: { retries: -1 } })).toThrow(/retry.retries must be a whole number/);
  });
});
