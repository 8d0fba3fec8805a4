import { fileURLToPath } from 'node:url';
import { SagaError } from '@saga/core';
import { SqliteEventStore } from './sqliteEventStore.js';
import type { SqliteEventStoreOptions } from './sqliteEventStore.js';

const accepted =
  'use sqlite:///absolute/path.db, sqlite:relative/path.db, sqlite::memory:, file:///absolute/path.db or file:relative/path.db ' +
  '(optionally followed by ?busyTimeoutMs=5000)';

const numericParameters = ['busyTimeoutMs'] as const;
type NumericParameter = (typeof numericParameters)[number];

const invalid = (url: string, why: string): SagaError => new SagaError(`Invalid SQLite store URL '${url}': ${why}; ${accepted}.`);

const decodePath = (url: string, path: string): string => {
  try {
    return decodeURIComponent(path);
  } catch {
    throw invalid(url, `the path '${path}' has a malformed %-escape`);
  }
};

const filenameOf = (url: string, location: string): string => {
  if (location === 'sqlite::memory:' || location === 'file::memory:' || location === 'sqlite://:memory:') return ':memory:';
  if (location.startsWith('sqlite://')) {
    const rest = location.slice('sqlite://'.length);
    if (!rest.startsWith('/')) {
      throw invalid(url, `'${rest.split('/')[0] ?? ''}' is read as a host name, and SQLite files have no host`);
    }
    // sqlite:///C:/data/saga.db on Windows: the drive letter follows the third slash.
    return decodePath(url, /^\/[A-Za-z]:\//.test(rest) ? rest.slice(1) : rest);
  }
  if (location.startsWith('file://')) {
    try {
      return fileURLToPath(location);
    } catch (error) {
      throw invalid(url, (error as Error).message);
    }
  }
  for (const scheme of ['sqlite:', 'file:']) {
    if (location.startsWith(scheme)) {
      const rest = location.slice(scheme.length);
      if (rest === '') throw invalid(url, 'it names no file');
      return decodePath(url, rest);
    }
  }
  throw invalid(url, 'it is not a sqlite: or file: URL');
};

/** The store options a SQLite URL stands for. Exported for tests; users call `sqliteEventStoreFromUrl`. */
export const parseSqliteUrl = (url: string): SqliteEventStoreOptions => {
  if (typeof url !== 'string' || url.trim() === '') throw invalid(String(url), 'it is empty');
  const queryAt = url.indexOf('?');
  const location = queryAt === -1 ? url : url.slice(0, queryAt);
  const filename = filenameOf(url, location);
  const numbers: Partial<Record<NumericParameter, number>> = {};
  if (queryAt !== -1) {
    for (const [key, raw] of new URLSearchParams(url.slice(queryAt + 1))) {
      if (key === 'watchPollMs') {
        throw invalid(
          url,
          'watchPollMs is no longer a store setting (the store no longer watches streams; the engine\'s store feed polls for appends of other processes): remove it',
        );
      }
      if (!(numericParameters as readonly string[]).includes(key)) {
        throw invalid(url, `unknown parameter '${key}' (known: ${numericParameters.join(', ')})`);
      }
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value) || value < 0) throw invalid(url, `${key} must be a number ≥ 0, got '${raw}'`);
      numbers[key as NumericParameter] = value;
    }
  }
  return { filename, ...numbers };
};

/**
 * A store for a URL such as `SAGA_STORE_URL`: `sqlite:///var/lib/app/saga.db` (absolute),
 * `sqlite:data/saga.db` (relative to the working directory), `sqlite::memory:`, or a `file:` URL.
 */
export const sqliteEventStoreFromUrl = (url: string): SqliteEventStore => new SqliteEventStore(parseSqliteUrl(url));
