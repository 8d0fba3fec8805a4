/**
 * How this package's integration tests find an EventStoreDB/KurrentDB server (not part of the
 * public API, not built into dist): `testServer` from @saga/testing on SAGA_TEST_EVENTSTOREDB_URL,
 * else a container that is insecure, in memory, has projections off and takes appends of up to
 * `containerMaxAppendSize`.
 *
 *   const server = await eventStoreDbTestServer();      // once per test file, at the top level
 *   eventStoreContract('…', makeStore, { skip: server.skip });
 *   afterAll(() => server.stop());
 *
 * `startEventStoreDbContainer` starts further containers for the tests that need one of their own
 * (the image's default settings; a restart).
 */
import { createServer, type AddressInfo } from 'node:net';
import { testServer, type TestServer } from '@saga/testing';

export const urlVariable = 'SAGA_TEST_EVENTSTOREDB_URL';
const imageVariable = 'SAGA_TEST_EVENTSTOREDB_IMAGE';
const defaultImage = 'eventstore/eventstore:24.10';

/**
 * The MaxAppendSize of the test container (and of the stand-in that plays it in the unit suites): the
 * contract suite appends about 1.2 MB in one append, over the 1 MiB default of servers up to 24.10.
 */
export const containerMaxAppendSize = 4 * 1024 * 1024;

export interface EventStoreDbContainerOptions {
  /** The server's MaxAppendSize in bytes; the image's default when undefined. */
  readonly maxAppendSize?: number;
  /** Data on disk (kept across a restart) and a fixed host port (so the URL stays valid after one). */
  readonly restartable?: boolean;
}

export interface EventStoreDbContainer {
  readonly url: string;
  /** Stops and starts the container (its data kept when `restartable`). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A free port on this host, for a container whose port must survive a restart. */
const freePort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};

export const startEventStoreDbContainer = async (options: EventStoreDbContainerOptions = {}): Promise<EventStoreDbContainer> => {
  // Loaded here only: the unit suites import this file's constants without a container runtime.
  const { GenericContainer, Wait } = await import('testcontainers');
  const hostPort = options.restartable === true ? await freePort() : undefined;
  const container = await new GenericContainer(process.env[imageVariable] ?? defaultImage)
    .withEnvironment({
      EVENTSTORE_CLUSTER_SIZE: '1',
      EVENTSTORE_INSECURE: 'true',
      EVENTSTORE_MEM_DB: options.restartable === true ? 'false' : 'true',
      // Off on purpose: listing executions must work without projections.
      EVENTSTORE_RUN_PROJECTIONS: 'None',
      EVENTSTORE_START_STANDARD_PROJECTIONS: 'false',
      ...(options.maxAppendSize === undefined ? {} : { EVENTSTORE_MAX_APPEND_SIZE: String(options.maxAppendSize) }),
    })
    .withExposedPorts(hostPort === undefined ? 2113 : { container: 2113, host: hostPort })
    .withWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(120_000)
    .start();
  return {
    url: `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`,
    restart: () => container.restart(),
    stop: async () => {
      await container.stop();
    },
  };
};

export const eventStoreDbTestServer = (): Promise<TestServer> =>
  testServer({
    name: 'EventStoreDB',
    variable: urlVariable,
    example: 'esdb://host:2113?tls=false',
    start: async () => {
      const container = await startEventStoreDbContainer({ maxAppendSize: containerMaxAppendSize });
      return { url: container.url, stop: () => container.stop() };
    },
  });
