// Configuration from URLs and the environment. Only what needs no adapter package is exercised here
// (memory: and the errors); loading a real adapter is I/O and belongs to the adapters' own suites.
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSagaError } from '@saga/definitions';
import { InMemoryBroker } from '../inMemory/inMemoryBroker.js';
import { InMemoryEventStore } from '../inMemory/inMemoryEventStore.js';
import { AdapterNotAvailableError } from '../errors/runErrors.js';
import { brokerFromUrl, defaultStoreUrl, redactUrl, resolveConfig, storeFromUrl } from './resolveConfig.js';

const knownStores = 'memory:, sqlite:, file:, postgres:, postgresql:, esdb:, esdb+discover:, kurrentdb:, kurrent:';
const knownBrokers = 'memory:, amqp:, amqps:, nats:, kafka:';

/** The AdapterNotAvailableError `make` rejects with, or fails the test. */
const notAvailable = async (make: () => Promise<unknown>): Promise<AdapterNotAvailableError> => {
  const error = await make().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AdapterNotAvailableError);
  expect(isSagaError(error)).toBe(true);
  return error as AdapterNotAvailableError;
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('redactUrl', () => {
  it.each([
    ['postgres://orders:s3cret@db.internal:5432/orders', 'postgres://***@db.internal:5432/orders'],
    ['amqp://guest@rabbit:5672', 'amqp://***@rabbit:5672'],
    ['esdb+discover://admin:changeit@cluster:2113?tls=false', 'esdb+discover://***@cluster:2113?tls=false'],
  ])('hides the credentials of %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });

  it.each(['nats://localhost:4222', 'sqlite:./.saga/saga.db', 'memory:', 'postgres://db/orders?user=x'])('leaves %s, which has no user info, as it is', (url) => {
    expect(redactUrl(url)).toBe(url);
  });

  it('hides a password that contains an unescaped @', () => {
    expect(redactUrl('postgres://orders:s3cret@pa55@db.internal/orders')).not.toContain('pa55');
  });

  // Hostile passwords, written the way users write them: unescaped, or in the query.
  it.each([
    ['postgres://orders:p@ss:w%rd@db.internal:5432/orders', 'postgres://***@db.internal:5432/orders'],
    ['postgres://orders:p@ss/w?rd#x@db.internal:5432/orders?sslmode=require', 'postgres://***@db.internal:5432/orders?sslmode=require'],
    ['postgres://orders:s3cr?et@db.internal/orders', 'postgres://***@db.internal/orders'],
    ['amqp://app:pa55/w0rd@rabbit:5672/%2F', 'amqp://***@rabbit:5672/%2F'],
    ['postgres://db.internal/orders?password=secret&x=1', 'postgres://db.internal/orders?password=***&x=1'],
    ['postgres://orders@db.internal:5432/orders?sslmode=require&password=s3c&ret#frag&x=1', 'postgres://***@db.internal:5432/orders?sslmode=require&password=***&x=1'],
    ['postgres://db.internal/orders?PassWord=secret', 'postgres://db.internal/orders?PassWord=***'],
    ['postgres://db.internal/orders?sslpassword=secret&pass%77ord=secret', 'postgres://db.internal/orders?sslpassword=***&pass%77ord=***'],
    ['nats://nats:4222?token=secret', 'nats://nats:4222?token=***'],
    ['kafka://k1:9092?mechanism=plain&username=app&password=secret', 'kafka://k1:9092?mechanism=plain&username=app&password=***'],
    ['postgres://orders:?password=secret&x=1@db.internal/orders', 'postgres://orders:?password=***&x=1@db.internal/orders'],
  ])('hides the password in %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });

  it.each([
    'postgres://db.internal:5432/orders?user=me@example.com&sslmode=require',
    'postgres://db.internal/orders?application_name=saga@orders',
    'sqlite:./.saga/saga@2.db',
    'sqlite:///srv/app/saga.db',
  ])('keeps %s, which holds no secret, as it is', (url) => {
    expect(redactUrl(url)).toBe(url);
  });
});

describe('storeFromUrl / brokerFromUrl', () => {
  it.each(['memory:', 'MEMORY:', 'memory://anything'])('%s gives the in-memory adapters', async (url) => {
    expect(await storeFromUrl(url)).toBeInstanceOf(InMemoryEventStore);
    expect(await brokerFromUrl(url)).toBeInstanceOf(InMemoryBroker);
  });

  it('a fresh adapter each time (managers that own them close them)', async () => {
    expect(await storeFromUrl('memory:')).not.toBe(await storeFromUrl('memory:'));
  });

  it('an unknown store scheme: AdapterNotAvailableError listing the known stores, without the password', async () => {
    const error = await notAvailable(() => storeFromUrl('redis://app:s3cret@cache:6379/0'));
    expect(error.message).toBe(`The store URL 'redis://***@cache:6379/0' has scheme redis:; known stores: ${knownStores}.`);
  });

  it('an unknown broker scheme: AdapterNotAvailableError listing the known brokers, without the password', async () => {
    const error = await notAvailable(() => brokerFromUrl('mqtt://app:s3cret@mosquitto'));
    expect(error.message).toBe(`The broker URL 'mqtt://***@mosquitto' has scheme mqtt:; known brokers: ${knownBrokers}.`);
  });

  it('names the variable the URL came from', async () => {
    expect((await notAvailable(() => storeFromUrl('redis://cache', 'SAGA_STORE_URL'))).message).toMatch(/^SAGA_STORE_URL 'redis:\/\/cache'/);
  });

  it.each([['not a url'], ['./saga.db'], ['']])('a value that is not a URL (%j): AdapterNotAvailableError with an example of one', async (url) => {
    const store = await notAvailable(() => storeFromUrl(url));
    expect(store.message).toBe(`The store URL '${url}' is not a URL; expected one of ${knownStores}, e.g. sqlite:./.saga/saga.db or postgres://host/db.`);
    const broker = await notAvailable(() => brokerFromUrl(url));
    expect(broker.message).toMatch(/is not a URL/);
  });

  it('a non-URL with credentials in it does not print them', async () => {
    const error = await notAvailable(() => storeFromUrl('//app:s3cret@db/orders'));
    expect(error.message).not.toContain('s3cret');
  });

  it('a value that is not a URL lists the known schemes', async () => {
    expect((await notAvailable(() => storeFromUrl('not a url'))).message).toContain(knownStores);
  });

  it('a URL that lost its scheme does not print its password', async () => {
    const error = await notAvailable(() => storeFromUrl('admin:hunter2@db.internal:5432/orders'));
    expect(error.message).not.toContain('hunter2');
  });
});

describe('defaultStoreUrl', () => {
  it('is SQLite under $SAGA_HOME when it is set', () => {
    vi.stubEnv('SAGA_HOME', '/srv/saga-home');
    expect(defaultStoreUrl()).toBe(`sqlite:${join('/srv/saga-home', 'saga.db')}`);
  });

  it('is SQLite under ./.saga of the working directory otherwise', () => {
    vi.stubEnv('SAGA_HOME', undefined);
    expect(defaultStoreUrl()).toBe(`sqlite:${join(process.cwd(), '.saga', 'saga.db')}`);
  });
});

describe('resolveConfig', () => {
  it('uses ready adapters as they are, and passes the other options through', async () => {
    const store = new InMemoryEventStore();
    const broker = new InMemoryBroker();
    const { options } = await resolveConfig({ store, broker, service: 'orders', replyTimeoutMs: 5 });
    expect(options).toEqual({ store, broker, service: 'orders', replyTimeoutMs: 5 });
    expect(options.store).toBe(store);
  });

  it('prefers the config’s own URL over the environment', async () => {
    vi.stubEnv('SAGA_STORE_URL', 'redis://env');
    vi.stubEnv('SAGA_BROKER_URL', 'mqtt://env');
    const { options } = await resolveConfig({ store: 'memory:', broker: 'memory:' });
    expect(options.store).toBeInstanceOf(InMemoryEventStore);
    expect(options.broker).toBeInstanceOf(InMemoryBroker);
  });

  it('falls back to SAGA_STORE_URL and SAGA_BROKER_URL, naming them in errors', async () => {
    vi.stubEnv('SAGA_STORE_URL', 'memory:');
    vi.stubEnv('SAGA_BROKER_URL', 'mqtt://broker');
    expect((await notAvailable(() => resolveConfig({}))).message).toMatch(/^SAGA_BROKER_URL 'mqtt:\/\/broker' has scheme mqtt:/);
    vi.stubEnv('SAGA_STORE_URL', 'redis://cache');
    expect((await notAvailable(() => resolveConfig({ broker: 'memory:' }))).message).toMatch(/^SAGA_STORE_URL 'redis:\/\/cache'/);
  });

  it('uses the in-process broker when no broker is configured', async () => {
    vi.stubEnv('SAGA_BROKER_URL', undefined);
    expect((await resolveConfig({ store: 'memory:' })).options.broker).toBeInstanceOf(InMemoryBroker);
  });
});

describe('loadAdapter', () => {
  it('a package that is installed nowhere: AdapterNotAvailableError naming it and the command to install it', async () => {
    const { loadAdapter } = await import('./loadAdapter.js');
    const error = await loadAdapter('@saga/no-such-adapter', "SAGA_BROKER_URL 'x://y'").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterNotAvailableError);
    expect((error as Error).message).toBe(
      "SAGA_BROKER_URL 'x://y' needs the package @saga/no-such-adapter, which is not installed here: run `pnpm add @saga/no-such-adapter` (or npm install @saga/no-such-adapter).",
    );
  });

  it('imports through the caller’s own lookup first', async () => {
    const { loadAdapter } = await import('./loadAdapter.js');
    const adapter = { createBroker: () => 'mine' };
    const loaded = await loadAdapter<typeof adapter>('@saga/no-such-adapter', 'test', async () => adapter);
    expect(loaded).toBe(adapter);
  });
});
