/**
 * Restate (@restatedev/restate-server 1.7 + @restatedev/restate-sdk 1.17) as a subject. The server
 * is a separate process (its own RocksDB log and state; it does not use PostgreSQL), bound to
 * loopback with telemetry off, with a temporary data directory. The service runs in this process
 * behind `http2Handler()` on loopback; each saga is one call through the server's HTTP ingress.
 * W1: a handler with three `ctx.run` steps. W2: two steps, a third that throws a TerminalError,
 * then the two compensations as `ctx.run` steps in reverse order (Restate's saga pattern).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processCpu } from '../cpu.js';
import { resultsDir } from '../paths.js';
import { reasonOf } from '../runner.js';
import { orderContext } from '../sagas.js';
import { ensurePeerPackages, loadPeer, peerRequire } from './peersInstall.js';
import { SubjectUnavailable, type Subject } from './subject.js';

type Json = Record<string, unknown>;

interface RestateContext {
  run<T>(name: string, action: () => Promise<T>): Promise<T>;
}
interface RestateSdk {
  service(definition: { name: string; handlers: Record<string, (ctx: RestateContext, input: Json) => Promise<Json>> }): unknown;
  endpoint(): { bind(service: unknown): { http2Handler(): (request: http2.Http2ServerRequest, response: http2.Http2ServerResponse) => void } };
  TerminalError: new (message: string) => Error;
}

export const restateServerPackage = '@restatedev/restate-server';
export const restateSdkPackage = '@restatedev/restate-sdk';
const serviceName = 'SagaBench';

/** The SDK calls Promise.withResolvers, which Node 20 lacks. */
const polyfillWithResolvers = (): void => {
  const promise = Promise as unknown as { withResolvers?: unknown };
  if (typeof promise.withResolvers === 'function') return;
  promise.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const created = new Promise<T>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    return { promise: created, resolve, reject };
  };
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

const post = async (url: string, body: unknown): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Retries `attempt` until it returns true, or fails with the last reason after `timeoutMs`. */
const waitFor = async (what: string, timeoutMs: number, attempt: () => Promise<true | string>, exited: () => string | undefined): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const gone = exited();
    if (gone) throw new Error(`restate-server exited (${gone}) while waiting for ${what}`);
    try {
      const outcome = await attempt();
      if (outcome === true) return;
      last = outcome;
    } catch (error) {
      last = reasonOf(error);
    }
    await sleep(200);
  }
  throw new Error(`${what} did not succeed within ${timeoutMs / 1_000} s (last: ${last})`);
};

export const openRestateSubject = async (options: { readonly log: (line: string) => void }): Promise<Subject> => {
  try {
    await ensurePeerPackages([restateServerPackage, restateSdkPackage], options.log);
  } catch (error) {
    throw new SubjectUnavailable(`peer unavailable: install failed: ${reasonOf(error)}`);
  }
  let binary: string;
  let sdk: RestateSdk;
  try {
    binary = peerRequire.resolve(`@restatedev/restate-server-${process.platform}-${process.arch}/bin/restate-server`);
    polyfillWithResolvers();
    process.env.RESTATE_LOGGING ??= 'ERROR'; // The SDK logs every invocation at INFO otherwise.
    sdk = loadPeer<RestateSdk>(restateSdkPackage);
  } catch (error) {
    throw new SubjectUnavailable(`peer unavailable: Restate does not load on ${process.platform}-${process.arch}: ${reasonOf(error)}`);
  }

  const step = <T extends Json>(ctx: RestateContext, name: string, value: T) => ctx.run(name, async () => value);
  const service = sdk.service({
    name: serviceName,
    handlers: {
      w1: async (ctx, input) => {
        let context = input;
        context = { ...context, ...(await step(ctx, 'reserve', { reserved: true })) };
        context = { ...context, ...(await step(ctx, 'charge', { charged: true })) };
        context = { ...context, ...(await step(ctx, 'ship', { shipped: true })) };
        return { status: 'finished', context };
      },
      w2: async (ctx, input) => {
        let context = input;
        const done: string[] = [];
        try {
          context = { ...context, ...(await step(ctx, 'reserve', { reserved: true })) };
          done.push('reserve');
          context = { ...context, ...(await step(ctx, 'charge', { charged: true })) };
          done.push('charge');
          await ctx.run('ship', async () => {
            throw new sdk.TerminalError('shipping declined');
          });
          return { status: 'finished', context };
        } catch (error) {
          if (!(error instanceof sdk.TerminalError)) throw error;
          for (const name of done.reverse()) {
            context = { ...context, ...(await step(ctx, `undo_${name}`, name === 'charge' ? { charged: false } : { reserved: false })) };
          }
          return { status: 'compensated', context, error: error.message };
        }
      },
    },
  });

  const [ingressPort, adminPort, fabricPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'saga-bench-restate-'));
  const config = join(dataDir, 'restate.toml');
  writeFileSync(
    config,
    [
      'bind-ip = "127.0.0.1"',
      `bind-port = ${fabricPort}`,
      'listen-mode = "tcp"',
      'disable-telemetry = true',
      `base-dir = "${join(dataDir, 'data')}"`,
      'node-name = "saga-bench"',
      'log-filter = "warn"',
      'log-disable-ansi-codes = true',
      '',
      '[admin]',
      `bind-port = ${adminPort}`,
      '',
      '[ingress]',
      `bind-port = ${ingressPort}`,
      '',
    ].join('\n'),
  );

  // The server's own log goes to a file beside the results, not the table.
  const logPath = join(resultsDir, 'restate-server.log');
  const log = createWriteStream(logPath);
  let server: ChildProcess | undefined;
  let exitReason: string | undefined;
  const endpointServer = http2.createServer(sdk.endpoint().bind(service).http2Handler());

  const close = async (): Promise<void> => {
    // The server first: it holds HTTP/2 sessions to the endpoint open, which would keep close() waiting.
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise<void>((resolve) => server?.once('exit', () => resolve()));
      server.kill('SIGTERM');
      const forced = setTimeout(() => server?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(forced);
    }
    await Promise.race([new Promise<void>((resolve) => endpointServer.close(() => resolve())), sleep(2_000)]);
    log.end();
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const endpointPort = await new Promise<number>((resolve, reject) => {
      endpointServer.once('error', reject);
      endpointServer.listen(0, '127.0.0.1', () => resolve((endpointServer.address() as AddressInfo).port));
    });
    server = spawn(binary, ['--config-file', config, '--no-logo'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DO_NOT_TRACK: '1' } });
    server.stdout?.pipe(log, { end: false });
    server.stderr?.pipe(log, { end: false });
    server.on('error', (error) => (exitReason = error.message));
    server.on('exit', (code, signal) => (exitReason ??= signal ?? `exit ${code}`));
    const killOnExit = () => server?.kill('SIGKILL');
    process.once('exit', killOnExit);

    const admin = `http://127.0.0.1:${adminPort}`;
    const ingress = `http://127.0.0.1:${ingressPort}`;
    await waitFor('the admin API health check', 60_000, async () => ((await fetch(`${admin}/health`)).ok ? true : 'not healthy'), () => exitReason);
    await waitFor(
      'registering the service endpoint',
      30_000,
      async () => {
        const response = await post(`${admin}/deployments`, { uri: `http://127.0.0.1:${endpointPort}`, force: true });
        return response.ok ? true : `HTTP ${response.status}: ${(await response.text()).slice(0, 160)}`;
      },
      () => exitReason,
    );
    // Healthy is not ready: wait for a first call that goes all the way through.
    await waitFor(
      'a first successful call',
      60_000,
      async () => {
        const response = await post(`${ingress}/${serviceName}/w1`, orderContext(0));
        return response.ok ? true : `HTTP ${response.status}: ${(await response.text()).slice(0, 160)}`;
      },
      () => exitReason,
    );

    const pid = server.pid;
    return {
      engine: 'restate',
      store: 'restate',
      ...(pid !== undefined ? { serverCpu: processCpu('the restate-server process', pid) } : {}),
      runner(workload) {
        // W1-durable is this engine's W1 with durable steps; Restate's W1 already journals each step.
        if (workload !== 'W1' && workload !== 'W2') throw new Error('Restate runs W1 and W2 only');
        const url = `${ingress}/${serviceName}/${workload === 'W1' ? 'w1' : 'w2'}`;
        const expected = workload === 'W1' ? 'finished' : 'compensated';
        return async (index) => {
          const response = await post(url, orderContext(index));
          if (!response.ok) throw new Error(`Restate ${workload} call failed: HTTP ${response.status} ${(await response.text()).slice(0, 160)}`);
          const result = (await response.json()) as { status?: string };
          if (result.status !== expected) throw new Error(`Restate ${workload} returned ${String(result.status)}, expected ${expected}`);
        };
      },
      async close() {
        process.removeListener('exit', killOnExit);
        await close();
      },
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw new SubjectUnavailable(`peer unavailable: Restate did not start: ${reasonOf(error)} (server log: bench/results/restate-server.log)`);
  }
};
