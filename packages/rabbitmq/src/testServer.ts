/**
 * Where this package's integration tests find RabbitMQ (not exported; excluded from the build):
 * `testServer` from @saga/testing on SAGA_TEST_AMQP_URL, else the server on 127.0.0.1:5672 (guest).
 * Call it once per spec file, at the top level (`await amqpTestServer()`), and `stop()` in afterAll.
 */
import { GenericContainer, Wait } from 'testcontainers';
import { testServer, type TestServer } from '@saga/testing';

export const amqpTestServer = (): Promise<TestServer> =>
  testServer({
    name: 'RabbitMQ',
    variable: 'SAGA_TEST_AMQP_URL',
    example: 'amqp://guest:guest@127.0.0.1:5672',
    local: 'amqp://guest:guest@127.0.0.1:5672',
    start: async () => {
      const container = await new GenericContainer('rabbitmq:3.13-alpine')
        .withExposedPorts(5672)
        .withWaitStrategy(Wait.forLogMessage(/Server startup complete/))
        .withStartupTimeout(120_000)
        .start();
      return { url: `amqp://guest:guest@${container.getHost()}:${container.getMappedPort(5672)}`, stop: () => container.stop() };
    },
  });
