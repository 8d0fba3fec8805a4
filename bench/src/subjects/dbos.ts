/**
 * DBOS Transact (@dbos-inc/dbos-sdk 5.x) as a subject: a library in this process that checkpoints
 * every step in its system database on the same PostgreSQL server. W1 is a workflow of three
 * steps; W2 runs two steps, a third that throws, then the two compensating steps in reverse order
 * (the saga pattern as DBOS documents it: try/catch around durable steps).
 */
import { pgQuery, redact } from '../adapters.js';
import { postgresServerCpu } from '../cpu.js';
import { reasonOf } from '../runner.js';
import { orderContext } from '../sagas.js';
import { ensurePeerPackages, loadPeer, peerRequire } from './peersInstall.js';
import { SubjectUnavailable, type Subject } from './subject.js';

type Json = Record<string, unknown>;

/** The part of the DBOS API the benchmark uses (its types live outside the workspace). */
interface DbosApi {
  setConfig(config: { name: string; systemDatabaseUrl: string; logLevel?: string }): void;
  registerWorkflow<A extends unknown[], R>(fn: (...args: A) => Promise<R>, config: { name: string }): (...args: A) => Promise<R>;
  runStep<R>(fn: () => Promise<R>, config: { name: string }): Promise<R>;
  launch(): Promise<void>;
  shutdown(): Promise<void>;
}

export const dbosPackage = '@dbos-inc/dbos-sdk';
const systemDatabase = 'saga_bench_dbos';

const databaseUrl = (serverUrl: string, database: string): string => {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  url.search = '';
  return url.toString();
};

export const openDbosSubject = async (options: { readonly postgresUrl: string; readonly log: (line: string) => void }): Promise<Subject> => {
  try {
    await ensurePeerPackages([dbosPackage], options.log);
  } catch (error) {
    throw new SubjectUnavailable(`peer unavailable: install failed: ${reasonOf(error)}`);
  }
  let DBOS: DbosApi;
  try {
    ({ DBOS } = loadPeer<{ DBOS: DbosApi }>(dbosPackage));
  } catch (error) {
    throw new SubjectUnavailable(`peer unavailable: ${dbosPackage} does not load: ${reasonOf(error)}`);
  }
  // A fresh system database each run (DBOS creates it on launch), so every run starts empty.
  try {
    await pgQuery(options.postgresUrl, [`DROP DATABASE IF EXISTS ${systemDatabase} WITH (FORCE)`], peerRequire.resolve(dbosPackage));
  } catch (error) {
    throw new SubjectUnavailable(`peer unavailable: PostgreSQL at ${redact(options.postgresUrl)}: ${reasonOf(error)}`);
  }

  const step = <T extends Json>(name: string, value: T) => DBOS.runStep(async () => value, { name });
  const w1 = DBOS.registerWorkflow(
    async (input: Json) => {
      let context = input;
      context = { ...context, ...(await step('reserve', { reserved: true })) };
      context = { ...context, ...(await step('charge', { charged: true })) };
      context = { ...context, ...(await step('ship', { shipped: true })) };
      return { status: 'finished', context };
    },
    { name: 'bench_w1_three_local' },
  );
  const w2 = DBOS.registerWorkflow(
    async (input: Json) => {
      let context = input;
      const done: string[] = [];
      try {
        context = { ...context, ...(await step('reserve', { reserved: true })) };
        done.push('reserve');
        context = { ...context, ...(await step('charge', { charged: true })) };
        done.push('charge');
        await DBOS.runStep(
          async () => {
            throw new Error('shipping declined');
          },
          { name: 'ship' },
        );
        return { status: 'finished', context };
      } catch (error) {
        for (const name of done.reverse()) {
          context = { ...context, ...(await step(`undo_${name}`, name === 'charge' ? { charged: false } : { reserved: false })) };
        }
        return { status: 'compensated', context, error: error instanceof Error ? error.message : String(error) };
      }
    },
    { name: 'bench_w2_compensation' },
  );

  try {
    DBOS.setConfig({ name: 'saga-bench', systemDatabaseUrl: databaseUrl(options.postgresUrl, systemDatabase), logLevel: 'error' });
    await DBOS.launch();
  } catch (error) {
    await DBOS.shutdown().catch(() => undefined);
    throw new SubjectUnavailable(`peer unavailable: DBOS.launch failed: ${reasonOf(error)}`);
  }

  return {
    engine: 'dbos',
    store: 'postgres',
    serverCpu: postgresServerCpu(options.postgresUrl),
    runner(workload) {
      // W1-durable is this engine's W1 with durable steps; DBOS's W1 already checkpoints each step.
      if (workload !== 'W1' && workload !== 'W2') throw new Error('DBOS runs W1 and W2 only');
      const [workflow, expected] = workload === 'W1' ? [w1, 'finished'] : [w2, 'compensated'];
      return async (index) => {
        const result = await workflow(orderContext(index));
        if (result.status !== expected) throw new Error(`DBOS ${workload} workflow returned ${result.status}, expected ${expected}`);
      };
    },
    async close() {
      await DBOS.shutdown();
    },
  };
};
