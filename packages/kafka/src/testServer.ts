/**
 * Where this package's integration tests find Kafka (not exported; excluded from the build):
 * `testServer` from @saga/testing on SAGA_TEST_KAFKA_BROKERS (`host:port,…`, or a kafka:// URL),
 * with a one-node KRaft container. Call it once per spec file, at the top level
 * (`await kafkaTestServer()`), and `stop()` in afterAll.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { StartedTestContainer } from 'testcontainers';
import { testServer, type TestServer } from '@saga/testing';

/** The image the real-server tests run on (KRaft, one node). */
export const kafkaImage = 'apache/kafka:4.0.0';

export interface KafkaTestServer extends TestServer {
  /** Restarts the broker, same port (only when the container is ours, not a server named by the variable). */
  readonly restart: (() => Promise<void>) | undefined;
}

export const kafkaTestServer = async (): Promise<KafkaTestServer> => {
  let started: StartedTestContainer | undefined;
  const server = await testServer({
    name: 'Kafka',
    variable: 'SAGA_TEST_KAFKA_BROKERS',
    example: '127.0.0.1:9092',
    start: async ({ host }) => {
      // Loaded here only: with SAGA_TEST_KAFKA_BROKERS set, nothing of Testcontainers is loaded.
      const { GenericContainer, Wait } = await import('testcontainers');
      // Kafka tells clients where to reconnect (the advertised listener), so the host port must be
      // known before the container starts: pick a free one and bind it.
      const port = await freePort();
      const container = await new GenericContainer(kafkaImage)
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
      started = container;
      return { url: `kafka://${host}:${port}`, stop: () => container.stop() };
    },
  });
  const restart = started === undefined ? undefined : async (): Promise<void> => void (await started?.restart());
  // The variable may list brokers without the scheme.
  const url = server.url === undefined || server.url.startsWith('kafka://') ? server.url : `kafka://${server.url}`;
  return { url, skip: server.skip, source: server.source, stop: () => server.stop(), restart };
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
