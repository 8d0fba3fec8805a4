/**
 * `pnpm --filter @saga/example-distributed start`: the order saga across five processes.
 *
 *   tsx src/run.ts [--orders 20] [--crash] [--keep] [--broker amqp://…|nats://…] [--postgres postgres://…]
 *
 * Starts three participant processes (stock, payment, shipping) and two order managers on
 * RabbitMQ (or NATS) and PostgreSQL, runs the orders (spread over both managers), prints what became
 * of each, and stops everything. `--crash` kills one manager with SIGKILL once a third of the sagas
 * have ended and starts it again. The run gets a schema and service names of its own; both are
 * removed at the end (`--keep` keeps the schema to look at).
 */
import { redactUrl, summarizeEvent, type SagaEvent } from '@saga/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Cluster } from './cluster.js';
import { defaults, newRunConfig, servicesOf } from './config.js';
import { brokerName, createRunSchema, removeRun } from './infrastructure.js';
import { RunObserver } from './observer.js';
import { expectedOutcome, makeOrders } from './orders.js';
import { describeStates, outcomeOf, stateProblem, type Outcome } from './outcomes.js';
import { runScenario } from './scenario.js';

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string', default: '20' },
    crash: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    broker: { type: 'string', default: process.env.DISTRIBUTED_BROKER_URL ?? process.env.SAGA_TEST_AMQP_URL ?? defaults.amqpUrl },
    postgres: { type: 'string', default: process.env.DISTRIBUTED_POSTGRES_URL ?? process.env.SAGA_TEST_POSTGRES_URL ?? defaults.postgresUrl },
  },
});
const count = Number(args.orders);
if (!Number.isInteger(count) || count < 1) throw new Error(`--orders must be a positive whole number, not '${args.orders}'`);

const config = newRunConfig({ brokerUrl: args.broker, postgresUrl: args.postgres });
const services = servicesOf(config.namespace);
const broker = brokerName(config.brokerUrl);
const logDir = mkdtempSync(join(tmpdir(), 'saga-distributed-'));

const bar = (label: string, width: number): string => `── ${label} `.padEnd(width, '─');
console.log(`The order saga across processes: ${count} orders on ${broker} (${redactUrl(config.brokerUrl)}) and PostgreSQL (${redactUrl(config.postgresUrl)})
Process logs: ${logDir} (kept if something fails)

  manager-1 ──┐${' '.repeat(22)}┌── stock      ${services.stock}.reserve / .release
              ├${bar(broker, 22)}┼── payment    ${services.payment}.charge / .refund
  manager-2 ──┘${' '.repeat(22)}└── shipping   ${services.shipping}.schedule / .cancel
      │${' '.repeat(34)}│
      └${bar('PostgreSQL', 34)}┘  schema ${config.schema}

  managers: service ${services.order}, one reply queue shared by both; their events in saga_events
  participants: deliveries, effects, processed_requests (idempotency ledger), order_state
`);

const observer = new RunObserver(config);
const cluster = new Cluster({ config, logDir });
let failed = false;
let cleaning: Promise<void> | undefined;
/** Stops every process, then drops the run's schema (and its NATS streams): once, however the run ends. */
const cleanUp = (): Promise<void> =>
  (cleaning ??= (async () => {
    await cluster.stop();
    await observer.destroy().catch(() => undefined);
    if (args.keep) console.log(`Kept schema ${config.schema} and the process logs.`);
    else {
      await removeRun(config);
      if (!failed) rmSync(logDir, { recursive: true, force: true });
    }
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the processes and removing the run's schema…`);
    failed = true;
    void cleanUp().finally(() => process.exit(130));
  });
}
try {
  await createRunSchema(config);
  await observer.setup();
  await cluster.start();
  console.log(`Started 3 participants and 2 managers (pids ${['stock', 'payment', 'shipping', ...cluster.managerNames].map((n) => cluster.pid(n)).join(', ')}).`);

  const orders = makeOrders(count);
  const report = await runScenario(cluster, observer, {
    orders,
    window: 50,
    ...(args.crash ? { crash: { victim: 'manager-2', afterEnded: Math.ceil(count / 3), restart: true } } : {}),
    settleTimeoutMs: config.replyTimeoutMs * 3,
    log: (line) => console.log(`  … ${line}`),
  });

  const states = await observer.orderStates();
  const tally = new Map<Outcome, number>();
  console.log(`\n${'order'.padEnd(11)} ${'amount'.padStart(8)}  ${'to'.padEnd(9)} ${'started by'.padEnd(10)}  outcome`);
  for (const order of orders) {
    const executionId = report.executions.get(order.orderId) ?? '';
    const execution = report.settled.get(executionId);
    if (!execution) continue;
    const outcome = outcomeOf(execution);
    tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
    const orderStates = states.get(order.orderId) ?? {};
    const disagreement = stateProblem(outcome, orderStates);
    const unexpected = outcome !== expectedOutcome(order) ? ` (expected ${expectedOutcome(order)})` : '';
    if (disagreement || (unexpected && outcome !== 'timed-out')) failed = true;
    const what = execution.status === 'finished' ? `FINISHED, ${execution.transaction.status}` : `ERRORED: ${execution.error?.message ?? '?'}`;
    console.log(
      `${order.orderId.padEnd(11)} ${order.amount.toFixed(2).padStart(8)}  ${order.destination.padEnd(9)} ${(cluster.starts.get(order.orderId)?.manager ?? '?').padEnd(10)}  ${what}${unexpected}`,
    );
    console.log(`${' '.repeat(43)}${describeStates(orderStates)}${disagreement ? `  ✗ ${disagreement}` : ''}`);
  }

  // One compensated saga in full: what each process did, in the order it was recorded.
  const compensated = orders.find((o) => expectedOutcome(o) === 'undeliverable');
  const compensatedId = compensated ? report.executions.get(compensated.orderId) : undefined;
  if (compensated && compensatedId) {
    console.log(`\nHistory of ${compensated.orderId} (refused at shipping, so refunded and released in reverse order):`);
    for (const entry of await observer.manager.history(compensatedId)) {
      const { step, summary } = summarizeEvent({ type: entry.type, data: entry.data } as SagaEvent);
      console.log(`  ${String(entry.revision).padStart(2)} ${entry.recordedAt.slice(11, 23)} ${entry.type.padEnd(24)} ${(step ?? '').padEnd(4)} ${summary}`);
    }
  }

  const { rows } = await observer.query<{ deliveries: string; requests: string; applied: string }>(
    `SELECT (SELECT count(*) FROM $schema.deliveries) AS deliveries,
            (SELECT count(DISTINCT (service, request_id)) FROM $schema.deliveries) AS requests,
            (SELECT count(*) FROM $schema.effects WHERE applied) AS applied`,
  );
  const figures = rows[0];
  console.log(
    `\n${report.settled.size} sagas settled in ${(report.durationMs / 1000).toFixed(1)} s: ` +
      [...tally].map(([outcome, n]) => `${n} ${outcome}`).join(', ') +
      `. Participants: ${figures?.deliveries} request deliveries for ${figures?.requests} requests, ${figures?.applied} effects applied.`,
  );
  if (report.crash) {
    const c = report.crash;
    console.log(
      `Crash: ${c.victim} (pid ${c.pid}) killed at ${c.atMs} ms with ${c.started} sagas started and ${c.ended} ended; ` +
        `${c.unconfirmed} unconfirmed starts (${c.foundInStore} stored, ${c.resent} sent again); restarted, recovery re-sent ` +
        `${cluster.notes.recoveries.reduce((n, r) => n + r.republished, 0)} messages; ${cluster.notes.ignoredReplies} duplicate replies ignored by the managers.`,
    );
  }
  console.log(failed ? 'Some orders did not end as expected (see ✗ above).' : 'Every order ended as expected, and every service agrees with its saga.');
} catch (error) {
  failed = true;
  console.error(error instanceof Error ? error.message : error);
  for (const name of ['stock', 'payment', 'shipping', ...cluster.managerNames]) {
    try {
      const tail = cluster.tail(name, 5);
      if (tail) console.error(`--- ${name}:\n${tail}`);
    } catch {
      // not started
    }
  }
} finally {
  await cleanUp();
}
process.exitCode = failed ? 1 : 0;
