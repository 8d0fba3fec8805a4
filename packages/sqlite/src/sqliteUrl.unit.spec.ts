import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSagaError } from '@saga/core';
import { createEventStore, sqliteEventStoreFromUrl, SqliteEventStore } from './index.js';
import { parseSqliteUrl } from './sqliteUrl.js';

describe('parseSqliteUrl', () => {
  it.each([
    ['sqlite:///var/lib/saga/events.db', '/var/lib/saga/events.db'],
    ['sqlite:///tmp/with%20space/ü.db', '/tmp/with space/ü.db'],
    ['sqlite:data/events.db', 'data/events.db'],
    ['sqlite:./events.db', './events.db'],
    ['sqlite:/abs/events.db', '/abs/events.db'],
    ['sqlite::memory:', ':memory:'],
    ['sqlite://:memory:', ':memory:'],
    ['file::memory:', ':memory:'],
    ['file:///var/lib/saga/events.db', '/var/lib/saga/events.db'],
    ['file:relative/events.db', 'relative/events.db'],
  ])('%s → %s', (url, filename) => {
    expect(parseSqliteUrl(url)).toEqual({ filename });
  });

  it('reads busyTimeoutMs from the query', () => {
    expect(parseSqliteUrl('sqlite:///a/b.db?busyTimeoutMs=0')).toEqual({ filename: '/a/b.db', busyTimeoutMs: 0 });
    expect(parseSqliteUrl('sqlite::memory:?busyTimeoutMs=10')).toEqual({ filename: ':memory:', busyTimeoutMs: 10 });
  });

  it.each([
    ['postgres://localhost/saga', /not a sqlite: or file: URL/],
    ['/plain/path.db', /not a sqlite: or file: URL/],
    ['sqlite://host/path.db', /'host' is read as a host name/],
    ['sqlite:', /names no file/],
    ['', /empty/],
    ['sqlite:///a.db?poll=1', /unknown parameter 'poll'/],
    ['sqlite:///a.db?busyTimeoutMs=soon', /busyTimeoutMs must be a number/],
    ['sqlite:///a.db?watchPollMs=200', /watchPollMs is no longer a store setting.*remove it/],
    ['sqlite:///bad%zz.db', /malformed %-escape/],
  ])('rejects %s with a message saying what to use', (url, reason) => {
    let caught: unknown;
    try {
      parseSqliteUrl(url);
    } catch (error) {
      caught = error;
    }
    expect(isSagaError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(reason);
    expect((caught as Error).message).toMatch(/use sqlite:\/\/\/absolute\/path\.db/);
  });
});

describe('sqliteEventStoreFromUrl / createEventStore', () => {
  it('builds a store without opening the file (that happens in setup)', () => {
    const store = sqliteEventStoreFromUrl('sqlite:does/not/exist/yet.db');
    expect(store).toBeInstanceOf(SqliteEventStore);
    expect(store.filename).toBe('does/not/exist/yet.db');
    expect(resolve(store.filename)).toBe(resolve('does/not/exist/yet.db'));
  });

  it('is exported under the conventional adapter name', () => {
    expect(createEventStore).toBe(sqliteEventStoreFromUrl);
  });

  it('rejects invalid options at construction', () => {
    expect(() => new SqliteEventStore({ filename: ':memory:', busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs must be a number ≥ 0/);
  });
});
