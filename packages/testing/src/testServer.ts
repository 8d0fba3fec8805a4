/**
 * Where an integration suite finds its server, in this order: the URL in an environment variable
 * when it is set; else the server answering on its default local port, when `local` names one (said
 * in one line); else a container started with Testcontainers when a container runtime (Docker,
 * Podman) answers; else nowhere, and the suites are skipped with one line naming the variable to set.
 * Call it once per spec file, at the top level:
 *
 *   const server = await testServer({
 *     name: 'PostgreSQL',
 *     variable: 'MY_APP_TEST_POSTGRES_URL',
 *     example: 'postgres://user@host:5432/database',
 *     local: 'postgres://postgres@127.0.0.1:5432/test',
 *     start: async () => {
 *       const container = await new PostgreSqlContainer('postgres:16-alpine').start();
 *       return { url: container.getConnectionUri(), stop: () => container.stop() };
 *     },
 *   });
 *   eventStoreContract('my store', makeStore, { skip: server.skip });
 *   afterAll(() => server.stop());
 */

import { connect } from 'node:net';

export interface TestServerOptions {
  /** What the server is, for the skip line: `'PostgreSQL'`. */
  readonly name: string;
  /** The environment variable that holds the server's URL. */
  readonly variable: string;
  /** A value of `variable`, for the skip line: `'postgres://user@host:5432/database'`. */
  readonly example: string;
  /**
   * The URL of a server on its default local port (`'postgres://postgres@127.0.0.1:5432/test'`),
   * used when `variable` is unset and something accepts a connection on that host and port.
   */
  readonly local?: string;
  /** Starts a container; `host` is where the container runtime publishes its ports. */
  readonly start: (runtime: { readonly host: string }) => Promise<StartedTestServer>;
}

export interface StartedTestServer {
  readonly url: string;
  stop(): Promise<unknown>;
}

export interface TestServer {
  /** The server's URL; undefined when the suites are skipped. */
  readonly url: string | undefined;
  /** Why the suites are skipped, naming the variable to set; undefined when they run. */
  readonly skip: string | undefined;
  /** Where the server came from: `'local'` is the server found on the default local port. */
  readonly source: 'environment' | 'local' | 'testcontainers' | 'none';
  /** Stops the container if one was started; a server of the environment or the local one is left as it is. */
  stop(): Promise<void>;
}

/** Whether something accepts a TCP connection at `url`'s host and port within `timeoutMs`. */
const answers = (url: string, timeoutMs = 500): Promise<boolean> => {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve(false);
  }
  const port = Number(target.port);
  if (!Number.isInteger(port) || port <= 0) return Promise.resolve(false);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
};

/** The URL with its password masked, for the line that says which server is used. */
const withoutPassword = (url: string): string => {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
};

export const testServer = async (options: TestServerOptions): Promise<TestServer> => {
  const explicit = process.env[options.variable]?.trim();
  if (explicit) return { url: explicit, skip: undefined, source: 'environment', stop: async () => undefined };
  if (options.local !== undefined && (await answers(options.local))) {
    // One line: the suite runs on a server nobody named, and this is how to choose another.
    console.warn(`integration tests use the ${options.name} on its default local port: ${withoutPassword(options.local)} (${options.variable} is unset)`);
    return { url: options.local, skip: undefined, source: 'local', stop: async () => undefined };
  }
  const skipped = (why: string): TestServer => {
    const skip = `no ${options.name}: set ${options.variable} (e.g. ${options.example}) or ${why}`;
    // One line, whatever the reporter: the suite did not run, and this is how to run it.
    console.warn(`integration tests skipped: ${skip}`);
    return { url: undefined, skip, source: 'none', stop: async () => undefined };
  };
  // Loaded only here, and optional: a suite whose server is named or local never loads Testcontainers.
  const testcontainers = await import('testcontainers').catch(() => undefined);
  if (testcontainers === undefined) return skipped('install testcontainers@^11 (the 11.x line runs on Node 20) and start a container runtime');
  let host: string;
  try {
    // Throws when no container runtime answers.
    host = (await testcontainers.getContainerRuntimeClient()).info.containerRuntime.host;
  } catch {
    return skipped('start a container runtime for Testcontainers');
  }
  const started = await options.start({ host });
  return {
    url: started.url,
    skip: undefined,
    source: 'testcontainers',
    stop: async () => {
      await started.stop();
    },
  };
};
