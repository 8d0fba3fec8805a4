import { SagaError } from '@saga/core';
import { EventStoreDbEventStore, type EventStoreDbEventStoreOptions } from './eventStoreDbEventStore.js';
import { invalidConnectionString } from './connectionString.js';

/** Parameters the store reads from the URL; every other one is the client's and is passed on verbatim. */
const storeParameters = ['namespace', 'listTimeoutMs', 'deadlineMs', 'maxConcurrentCalls'];

/** The store's whole-number parameters (their ranges are checked by the store). */
const numberParameters = ['listTimeoutMs', 'deadlineMs', 'maxConcurrentCalls'] as const;

/** The store options a URL stands for. Exported for tests; users call `eventStoreDbEventStoreFromUrl`. */
export const parseEventStoreDbUrl = (url: string): EventStoreDbEventStoreOptions => {
  if (typeof url !== 'string' || url.trim() === '') throw invalidConnectionString(String(url), 'it is empty');
  const [base = '', query] = url.trim().split(/\?(.*)/s);
  const own = new Map<string, string>();
  const kept: string[] = [];
  for (const pair of query === undefined || query === '' ? [] : query.split('&')) {
    const [key = '', value = ''] = pair.split(/=(.*)/s);
    if (storeParameters.includes(key)) own.set(key, decodeURIComponent(value));
    else kept.push(pair);
  }
  const numbers: Partial<Record<(typeof numberParameters)[number], number>> = {};
  for (const name of numberParameters) {
    const text = own.get(name);
    if (text === undefined) continue;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 1) throw invalidConnectionString(url, `${name} must be a whole number ≥ 1, got '${text}'`);
    numbers[name] = value;
  }
  const namespace = own.get('namespace');
  if (namespace !== undefined && namespace.startsWith('$')) {
    throw new SagaError(`Invalid namespace '${namespace}' in the EventStoreDB/KurrentDB URL: it must not start with '$' (those streams are the server's).`);
  }
  return {
    connectionString: kept.length === 0 ? base : `${base}?${kept.join('&')}`,
    ...(namespace === undefined ? {} : { namespace }),
    ...numbers,
  };
};

/**
 * A store for a URL such as `SAGA_STORE_URL`: `esdb://host:2113?tls=false`,
 * `esdb+discover://cluster.example:2113`, or the same with `kurrentdb://` / `kurrent://`; with the
 * store's own `namespace`, `listTimeoutMs`, `deadlineMs` and `maxConcurrentCalls` parameters and any of the client's (tls, tlsCAFile,
 * nodePreference, defaultDeadline, …).
 */
export const eventStoreDbEventStoreFromUrl = (url: string): EventStoreDbEventStore => new EventStoreDbEventStore(parseEventStoreDbUrl(url));
