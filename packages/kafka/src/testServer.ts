/**
 * Where this package's integration tests find Kafka (not exported; excluded from the build):
 * SAGA_TEST_KAFKA_BROKERS, else a Testcontainers container (KRaft, one node) when a container
 * runtime answers, else the suites are skipped with one line saying how to run them.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { GenericContainer, Wait, getContainerRuntimeClient } from 'testcontainers';
import type { StartedTestContainer } from 'testcontainers';

export interface TestServer {
  /** `kafka://…`, set when the suites can run. */
  readonly url: string | undefined;
  /** Set when they cannot: why, and what to set. */
  readonly skip: string | undefined;
  stop(): Promise<void>;
}

const variable = 'SAGA_TEST_KAFKA_BROKERS';
const image = 'apache/kafka:3.8.0';

/** Call once per spec file, at the top level (`await kafkaTestServer()`), and `stop()` in afterAll. */
export const kafkaTestServer = async (): Promise<TestServer> => {
  const explicit = process.env[variable];
  if (explicit !== undefined && explicit !== '') {
    const url = explicit.startsWith('kafka://') ? explicit : `kafka://${explicit}`;
    return { url, skip: undefined, stop: async () => {} };
  }
  let host: string;
  try {
    host = (await getContainerRuntimeClient()).info.containerRuntime.host;
  } catch {
    const skip = `no Kafka: set ${variable} (e.g. 127.0.0.1:9092) or start a container runtime for Testcontainers`;
    // One line, whatever the reporter: the suite did not run, and this is how to run it.
    console.warn(`@saga/kafka integration tests skipped: ${skip}`);
    return {
      url: undefined,
      skip,
      stop: async () => {},
    };
  }
  // Kafka tells clients where to reconnect (the advertised listener), so the host port must be
  // known before the container starts: pick a free one and bind it.
  const port = await freePort();
  const container: StartedTestContainer = await new GenericContainer(image)
    .withExposedPorts({ container: 9092, host: port })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${port}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(120_000)
    .start();
  return {
    url: `kafka://${host}:${port}`,
    skip: undefined,
    stop: async () => {
      await container.stop();
    },
  };
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
