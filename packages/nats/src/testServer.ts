/**
 * Where this package's integration tests find NATS with JetStream (not exported; excluded from the
 * build): SAGA_TEST_NATS_URL, else a Testcontainers container when a container runtime answers,
 * else the suites are skipped with one line saying how to run them.
 */
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { GenericContainer, Wait, getContainerRuntimeClient } from 'testcontainers';
import type { StartedTestContainer } from 'testcontainers';
import { parseNatsUrl } from './natsConnection.js';

export interface TestServer {
  /** Set when the suites can run. */
  readonly url: string | undefined;
  /** Set when they cannot: why, and what to set. */
  readonly skip: string | undefined;
  /**
   * Prefixes unique to this spec file, so its streams never meet another run's on a shared server;
   * `stop()` deletes the streams it made.
   */
  readonly naming: { readonly subjectPrefix: string; readonly streamPrefix: string };
  stop(): Promise<void>;
}

const variable = 'SAGA_TEST_NATS_URL';
const image = 'nats:2.10-alpine';

/** Call once per spec file, at the top level (`await natsTestServer()`), and `stop()` in afterAll. */
export const natsTestServer = async (): Promise<TestServer> => {
  const run = randomUUID().replaceAll('-', '').slice(0, 10);
  const naming = { subjectPrefix: `sagatest-${run}`, streamPrefix: `SAGATEST_${run}` };
  const explicit = process.env[variable];
  if (explicit !== undefined && explicit !== '') {
    return { url: explicit, skip: undefined, naming, stop: () => deleteStreams(explicit, naming.streamPrefix) };
  }
  try {
    await getContainerRuntimeClient();
  } catch {
    const skip = `no NATS: set ${variable} (e.g. nats://127.0.0.1:4222, JetStream on) or start a container runtime for Testcontainers`;
    // One line, whatever the reporter: the suite did not run, and this is how to run it.
    console.warn(`@saga/nats integration tests skipped: ${skip}`);
    return {
      url: undefined,
      skip,
      naming,
      stop: async () => {},
    };
  }
  const container: StartedTestContainer = await new GenericContainer(image)
    .withCommand(['-js'])
    .withExposedPorts(4222)
    .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
    .withStartupTimeout(60_000)
    .start();
  return {
    url: `nats://${container.getHost()}:${container.getMappedPort(4222)}`,
    skip: undefined,
    naming,
    stop: async () => {
      await container.stop();
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
