/**
 * Where this package's integration tests find RabbitMQ (not exported; excluded from the build):
 * SAGA_TEST_AMQP_URL, else a Testcontainers container when a container runtime answers, else the
 * suites are skipped with one line saying how to run them.
 */
import { GenericContainer, Wait, getContainerRuntimeClient } from 'testcontainers';
import type { StartedTestContainer } from 'testcontainers';

export interface TestServer {
  /** Set when the suites can run. */
  readonly url: string | undefined;
  /** Set when they cannot: why, and what to set. */
  readonly skip: string | undefined;
  stop(): Promise<void>;
}

const variable = 'SAGA_TEST_AMQP_URL';
const image = 'rabbitmq:3.13-alpine';

/** Call once per spec file, at the top level (`await amqpTestServer()`), and `stop()` in afterAll. */
export const amqpTestServer = async (): Promise<TestServer> => {
  const explicit = process.env[variable];
  if (explicit !== undefined && explicit !== '') return { url: explicit, skip: undefined, stop: async () => {} };
  try {
    await getContainerRuntimeClient();
  } catch {
    const skip = `no RabbitMQ: set ${variable} (e.g. amqp://guest:guest@127.0.0.1:5672) or start a container runtime for Testcontainers`;
    // One line, whatever the reporter: the suite did not run, and this is how to run it.
    console.warn(`@saga/rabbitmq integration tests skipped: ${skip}`);
    return {
      url: undefined,
      skip,
      stop: async () => {},
    };
  }
  const container: StartedTestContainer = await new GenericContainer(image)
    .withExposedPorts(5672)
    .withWaitStrategy(Wait.forLogMessage(/Server startup complete/))
    .withStartupTimeout(120_000)
    .start();
  return {
    url: `amqp://guest:guest@${container.getHost()}:${container.getMappedPort(5672)}`,
    skip: undefined,
    stop: async () => {
      await container.stop();
    },
  };
};
