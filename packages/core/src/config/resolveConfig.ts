/**
 * Turns configuration (URLs, or ready adapters) into a store and a broker.
 *
 * Order: the config's own value, then `SAGA_STORE_URL` / `SAGA_BROKER_URL`, then the embedded
 * default: SQLite in `$SAGA_HOME/saga.db` (default `./.saga/saga.db`) and the in-process broker.
 */
import { join } from 'node:path';
import type { Saga } from '@saga/definitions';
import type { Broker } from '../ports/broker.js';
import type { EventStore } from '../ports/eventStore.js';
import type { Logger } from '../ports/logger.js';
import { InMemoryBroker } from '../inMemory/inMemoryBroker.js';
import { InMemoryEventStore } from '../inMemory/inMemoryEventStore.js';
import { AdapterNotAvailableError } from '../errors/runErrors.js';
import { loadAdapter, type ImportAdapter } from './loadAdapter.js';

export interface SagaManagerConfig {
  /** A store, or its URL: `sqlite:…`, `postgres://…`, `esdb://…`, `kurrentdb://…`, `memory:`. */
  readonly store?: EventStore | string;
  /** A broker, or its URL: `memory:`, `amqp://…`, `nats://…`, `kafka://…`. */
  readonly broker?: Broker | string;
  readonly service?: string;
  readonly definitions?: readonly Saga[];
  readonly replyTimeoutMs?: number;
  readonly logger?: Logger;
}

/** Adapter packages by URL scheme. Each exports `createEventStore(url)` or `createBroker(url)`. */
const storePackages: Record<string, string> = {
  'sqlite:': '@saga/sqlite',
  'file:': '@saga/sqlite',
  'postgres:': '@saga/postgres',
  'postgresql:': '@saga/postgres',
  'esdb:': '@saga/eventstoredb',
  'esdb+discover:': '@saga/eventstoredb',
  'kurrentdb:': '@saga/eventstoredb',
  'kurrent:': '@saga/eventstoredb',
};
const brokerPackages: Record<string, string> = {
  'amqp:': '@saga/rabbitmq',
  'amqps:': '@saga/rabbitmq',
  'nats:': '@saga/nats',
  'kafka:': '@saga/kafka',
};

/** Query parameters that carry a secret: `?password=` (libpq, pg), `?token=`, `?sslpassword=`, `?secret=`, … */
const secretParameter = /pass|pwd|secret|token|key|credential|auth/i;

/**
 * The user info of a URL, hidden. It ends at the last '@' of the authority (a password may hold an
 * unescaped '@'). A password may also hold an unescaped '/', '?' or '#', which ends the authority
 * early: when the authority looks like `user:pass…` and a later '@' comes before the query's first
 * `name=`, the credentials run to that '@'. A URL that lost its scheme may still hold credentials.
 */
const redactUserInfo = (url: string): string => {
  const prefix = /^([a-z][a-z0-9+.-]*:)?\/\//i.exec(url)?.[0] ?? '';
  const rest = url.slice(prefix.length);
  const authority = rest.split(/[/?#]/)[0] ?? '';
  let end = authority.lastIndexOf('@');
  if (prefix !== '' && authority.includes(':')) {
    const query = /[?&][^?&=@/]*=/.exec(rest);
    end = Math.max(end, rest.slice(0, query?.index ?? rest.length).lastIndexOf('@'));
  }
  return end < 0 ? url : `${prefix}***${rest.slice(end)}`;
};

/**
 * The values of secret query parameters, hidden. A value runs to the next `&name=`, so a password
 * holding an unescaped '&' or '#' is hidden whole.
 */
const redactSecretParameters = (url: string): string =>
  url.replace(/([?&])([^?&=]*)=((?:[^&]|&(?![^&=]*=))*)/g, (pair: string, separator: string, name: string) =>
    secretParameter.test(safeDecode(name)) ? `${separator}${name}=***` : pair,
  );

const safeDecode = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** A store or broker URL for errors, logs and reports: credentials never appear, wherever they were written. */
export const redactUrl = (url: string): string => redactSecretParameters(redactUserInfo(url));

const schemeOf = (url: string, variable: string, known: string): string => {
  const match = /^([a-z][a-z0-9+.-]*:)/i.exec(url);
  // 'user:password@host' also starts like a scheme; a real one is never followed by an '@' before a '/'.
  if (!match?.[1] || /^[^/]*@/.test(url.slice(match[1].length))) {
    throw new AdapterNotAvailableError(`${variable} '${redactUrl(url)}' is not a URL; expected one of ${known}, e.g. sqlite:./.saga/saga.db or postgres://host/db.`);
  }
  return match[1].toLowerCase();
};

export const defaultStoreUrl = (): string => `sqlite:${join(process.env.SAGA_HOME ?? join(process.cwd(), '.saga'), 'saga.db')}`;

export interface AdapterLookup {
  /** Imports adapter packages from the caller's own dependencies first (see `ImportAdapter`). */
  readonly importAdapter?: ImportAdapter;
}

export const storeFromUrl = async (url: string, variable = 'The store URL', lookup: AdapterLookup = {}): Promise<EventStore> => {
  const scheme = schemeOf(url, variable, `memory:, ${Object.keys(storePackages).join(', ')}`);
  if (scheme === 'memory:') return new InMemoryEventStore();
  const packageName = storePackages[scheme];
  if (!packageName) {
    throw new AdapterNotAvailableError(`${variable} '${redactUrl(url)}' has scheme ${scheme}; known stores: memory:, ${Object.keys(storePackages).join(', ')}.`);
  }
  const adapter = await loadAdapter<{ createEventStore?: (url: string) => EventStore }>(packageName, `${variable} '${redactUrl(url)}'`, lookup.importAdapter);
  if (!adapter.createEventStore) throw new AdapterNotAvailableError(`${packageName} does not export createEventStore(url); upgrade it to match @saga/core.`);
  return adapter.createEventStore(url);
};

export const brokerFromUrl = async (url: string, variable = 'The broker URL', lookup: AdapterLookup = {}): Promise<Broker> => {
  const scheme = schemeOf(url, variable, `memory:, ${Object.keys(brokerPackages).join(', ')}`);
  if (scheme === 'memory:') return new InMemoryBroker();
  const packageName = brokerPackages[scheme];
  if (!packageName) {
    throw new AdapterNotAvailableError(`${variable} '${redactUrl(url)}' has scheme ${scheme}; known brokers: memory:, ${Object.keys(brokerPackages).join(', ')}.`);
  }
  const adapter = await loadAdapter<{ createBroker?: (url: string) => Broker }>(packageName, `${variable} '${redactUrl(url)}'`, lookup.importAdapter);
  if (!adapter.createBroker) throw new AdapterNotAvailableError(`${packageName} does not export createBroker(url); upgrade it to match @saga/core.`);
  return adapter.createBroker(url);
};

export const resolveConfig = async (config: SagaManagerConfig) => {
  const store =
    typeof config.store === 'object'
      ? config.store
      : config.store !== undefined
        ? await storeFromUrl(config.store)
        : process.env.SAGA_STORE_URL
          ? await storeFromUrl(process.env.SAGA_STORE_URL, 'SAGA_STORE_URL')
          : await storeFromUrl(defaultStoreUrl(), 'The embedded default store');
  const broker =
    typeof config.broker === 'object'
      ? config.broker
      : config.broker !== undefined
        ? await brokerFromUrl(config.broker)
        : process.env.SAGA_BROKER_URL
          ? await brokerFromUrl(process.env.SAGA_BROKER_URL, 'SAGA_BROKER_URL')
          : new InMemoryBroker();
  return {
    options: {
      store,
      broker,
      ...(config.service !== undefined ? { service: config.service } : {}),
      ...(config.definitions !== undefined ? { definitions: config.definitions } : {}),
      ...(config.replyTimeoutMs !== undefined ? { replyTimeoutMs: config.replyTimeoutMs } : {}),
      ...(config.logger !== undefined ? { logger: config.logger } : {}),
    },
  };
};
