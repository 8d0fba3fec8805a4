/**
 * How this package's integration tests find an EventStoreDB/KurrentDB server (not part of the
 * public API, not built into dist): SAGA_TEST_EVENTSTOREDB_URL, else a Testcontainers container
 * (insecure, in memory, projections off) when a container runtime answers, else the suites are
 * skipped with one line saying what to set.
 *
 *   const server = await eventStoreDbTestServer();      // once per test file, at the top level
 *   eventStoreContract('…', makeStore, { skip: server.skip });
 *   afterAll(() => server.stop());
 */
import { GenericContainer, Wait, getContainerRuntimeClient } from 'testcontainers';

export const urlVariable = 'SAGA_TEST_EVENTSTOREDB_URL';
const imageVariable = 'SAGA_TEST_EVENTSTOREDB_IMAGE';
const defaultImage = 'eventstore/eventstore:24.10';

export interface EventStoreDbTestServer {
  /** The connection string; undefined when the suites are skipped. */
  readonly url: string | undefined;
  /** Why the suites are skipped, naming the variable to set; undefined when they run. */
  readonly skip: string | undefined;
  /** Where the server came from. */
  readonly source: 'environment' | 'testcontainers' | 'none';
  /** Stops the container if one was started. Streams written to a server of the environment stay. */
  stop(): Promise<void>;
}

export const eventStoreDbTestServer = async (): Promise<EventStoreDbTestServer> => {
  const explicit = process.env[urlVariable]?.trim();
  if (explicit) return { url: explicit, skip: undefined, source: 'environment', stop: async () => undefined };
  try {
    // Throws when no Docker/Podman answers; asked once per test file.
    await getContainerRuntimeClient();
  } catch {
    const skip = `no EventStoreDB: set ${urlVariable}=esdb://host:2113?tls=false, or start a container runtime for Testcontainers`;
    console.warn(`[@saga/eventstoredb] integration tests skipped: ${skip}`);
    return { url: undefined, skip, source: 'none', stop: async () => undefined };
  }
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
  return {
    url: `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`,
    skip: undefined,
    source: 'testcontainers',
    stop: async () => {
      await container.stop();
    },
  };
};
