/**
 * Where this package's integration tests find NATS with JetStream (not exported; excluded from the
 * build): `testServer` from @saga/testing on SAGA_TEST_NATS_URL, else the server on 127.0.0.1:4222,
 * plus prefixes unique to the spec file. Call it once per spec file, at the top level
 * (`await natsTestServer()`), and `stop()` in afterAll.
 */
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { GenericContainer, Wait } from 'testcontainers';
import { testServer, type TestServer } from '@saga/testing';
import { parseNatsUrl } from './natsConnection.js';

export interface NatsTestServer extends TestServer {
  /**
   * Prefixes unique to this spec file, so its streams never meet another run's on a shared server;
   * `stop()` deletes the streams it made.
   */
  readonly naming: { readonly subjectPrefix: string; readonly streamPrefix: string };
}

export const natsTestServer = async (): Promise<NatsTestServer> => {
  const run = randomUUID().replaceAll('-', '').slice(0, 10);
  const naming = { subjectPrefix: `sagatest-${run}`, streamPrefix: `SAGATEST_${run}` };
  const server = await testServer({
    name: 'NATS',
    variable: 'SAGA_TEST_NATS_URL',
    example: 'nats://127.0.0.1:4222, JetStream on',
    local: 'nats://127.0.0.1:4222',
    start: async () => {
      const container = await new GenericContainer('nats:2.10-alpine')
        .withCommand(['-js'])
        .withExposedPorts(4222)
        .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
        .withStartupTimeout(60_000)
        .start();
      return { url: `nats://${container.getHost()}:${container.getMappedPort(4222)}`, stop: () => container.stop() };
    },
  });
  return {
    ...server,
    naming,
    stop: async () => {
      // A shared server keeps what a run made; a container goes with its streams.
      if (server.source !== 'testcontainers' && server.url !== undefined) await deleteStreams(server.url, naming.streamPrefix);
      await server.stop();
    },
  };
};

const deleteStreams = async (url: string, streamPrefix: string): Promise<void> => {
  const { servers, credentials } = parseNatsUrl(url);
  const nc = await connect({ servers, ...credentials });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const stream of jsm.streams.list()) {
      if (stream.config.name.startsWith(`${streamPrefix}_`)) await jsm.streams.delete(stream.config.name);
    }
  } finally {
    await nc.close();
  }
};
