/**
 * How this package's integration tests find an EventStoreDB/KurrentDB server (not part of the
 * public API, not built into dist): `testServer` from @saga/testing on SAGA_TEST_EVENTSTOREDB_URL,
 * with a container that is insecure, in memory, and has projections off.
 *
 *   const server = await eventStoreDbTestServer();      // once per test file, at the top level
 *   eventStoreContract('…', makeStore, { skip: server.skip });
 *   afterAll(() => server.stop());
 */
import { GenericContainer, Wait } from 'testcontainers';
import { testServer, type TestServer } from '@saga/testing';

export const urlVariable = 'SAGA_TEST_EVENTSTOREDB_URL';
const imageVariable = 'SAGA_TEST_EVENTSTOREDB_IMAGE';
const defaultImage = 'eventstore/eventstore:24.10';

export const eventStoreDbTestServer = (): Promise<TestServer> =>
  testServer({
    name: 'EventStoreDB',
    variable: urlVariable,
    example: 'esdb://host:2113?tls=false',
    start: async () => {
      const container = await new GenericContainer(process.env[imageVariable] ?? defaultImage)
        .withEnvironment({
          EVENTSTORE_CLUSTER_SIZE: '1',
          EVENTSTORE_INSECURE: 'true',
          EVENTSTORE_MEM_DB: 'true',
          // Off on purpose: listing executions must work without projections.
          EVENTSTORE_RUN_PROJECTIONS: 'None',
          EVENTSTORE_START_STANDARD_PROJECTIONS: 'false',
        })
        .withExposedPorts(2113)
        .withWaitStrategy(Wait.forHealthCheck())
        .withStartupTimeout(120_000)
        .start();
      return { url: `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`, stop: () => container.stop() };
    },
  });
