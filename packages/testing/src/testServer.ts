/**
 * Where an integration suite finds its server: the URL in an environment variable when it is set,
 * else a container started with Testcontainers when a container runtime (Docker, Podman) answers,
 * else nowhere, and the suites are skipped with one line naming the variable to set. Call it once per
 * spec file, at the top level:
 *
 *   const server = await testServer({
 *     name: 'PostgreSQL',
 *     variable: 'MY_APP_TEST_POSTGRES_URL',
 *     example: 'postgres://user@host:5432/database',
 *     start: async () => {
 *       const container = await new PostgreSqlContainer('postgres:16-alpine').start();
 *       return { url: container.getConnectionUri(), stop: () => container.stop() };
 *     },
 *   });
 *   eventStoreContract('my store', makeStore, { skip: server.skip });
 *   afterAll(() => server.stop());
 */

export interface TestServerOptions {
  /** What the server is, for the skip line: `'PostgreSQL'`. */
  readonly name: string;
  /** The environment variable that holds the server's URL. */
  readonly variable: string;
  /** A value of `variable`, for the skip line: `'postgres://user@host:5432/database'`. */
  readonly example: string;
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
  /** Where the server came from. */
  readonly source: 'environment' | 'testcontainers' | 'none';
  /** Stops the container if one was started; a server of the environment is left as it is. */
  stop(): Promise<void>;
}

export const testServer = async (options: TestServerOptions): Promise<TestServer> => {
  const explicit = process.env[options.variable]?.trim();
  if (explicit) return { url: explicit, skip: undefined, source: 'environment', stop: async () => undefined };
  // Loaded only here: a suite whose server comes from the environment never loads Testcontainers.
  const { getContainerRuntimeClient } = await import('testcontainers');
  let host: string;
  try {
    // Throws when no container runtime answers.
    host = (await getContainerRuntimeClient()).info.containerRuntime.host;
  } catch {
    const skip = `no ${options.name}: set ${options.variable} (e.g. ${options.example}) or start a container runtime for Testcontainers`;
    // One line, whatever the reporter: the suite did not run, and this is how to run it.
    console.warn(`integration tests skipped: ${skip}`);
    return { url: undefined, skip, source: 'none', stop: async () => undefined };
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
