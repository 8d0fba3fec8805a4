/**
 * The crash-point matrix (issue 18): for each store (PostgreSQL, SQLite) and broker (RabbitMQ, NATS
 * JetStream), every case of matrixCases.ts in real processes: a manager killed with SIGKILL at each
 * point of its work (after an append before its publish, after a publish before the reply, after a
 * reply before its append, between the votes and the outcome, after the outcome before its
 * commands, halfway through a compensation, while a timer is due, during recovery itself), and the
 * participants killed mid-handler and mid-commit. Each case asserts from the participants' own
 * records: every effect once (with the durable inbox, PostgresInbox or SqliteInbox; without one,
 * the documented at-least-once figure: exactly twice for the request or commit the killed
 * participant had applied), every commit/reject heard, no acknowledged event missing; and prints
 * one row of figures.
 *
 * Servers: SAGA_TEST_POSTGRES_URL, SAGA_TEST_AMQP_URL, SAGA_TEST_NATS_URL, else their default local
 * ports; a combination whose server is missing is skipped with one line saying which.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stopChildProcesses, testServer } from '@saga/testing';
import { newCaseConfig, type BrokerKind, type CaseConfig, type StoreKind } from './caseConfig.js';
import { removeCase } from './infrastructure.js';
import { matrixCases } from './matrixCases.js';
import { runCase } from './runCase.js';

const noContainer = () => Promise.reject(new Error('the crash matrix uses servers on this machine, not containers'));
const postgres = await testServer({ name: 'PostgreSQL', variable: 'SAGA_TEST_POSTGRES_URL', example: 'postgres://postgres@127.0.0.1:5432/test', local: 'postgres://postgres@127.0.0.1:5432/test', start: noContainer });
const brokers: Record<BrokerKind, Awaited<ReturnType<typeof testServer>>> = {
  rabbitmq: await testServer({ name: 'RabbitMQ', variable: 'SAGA_TEST_AMQP_URL', example: 'amqp://guest:guest@127.0.0.1:5672', local: 'amqp://guest:guest@127.0.0.1:5672', start: noContainer }),
  nats: await testServer({ name: 'NATS JetStream', variable: 'SAGA_TEST_NATS_URL', example: 'nats://127.0.0.1:4222', local: 'nats://127.0.0.1:4222', start: noContainer }),
};

const caseTimeoutMs = 40_000;
const rows: string[] = [];
const began = Date.now();
afterAll(() => {
  if (rows.length > 0) console.log(`crash matrix: ${rows.length} cases in ${((Date.now() - began) / 1000).toFixed(1)} s\n${rows.join('\n')}`);
});

const combinations: readonly { readonly store: StoreKind; readonly broker: BrokerKind }[] = [
  { store: 'postgres', broker: 'rabbitmq' },
  { store: 'postgres', broker: 'nats' },
  { store: 'sqlite', broker: 'rabbitmq' },
  { store: 'sqlite', broker: 'nats' },
];

for (const { store, broker } of combinations) {
  const skip = [store === 'postgres' ? postgres.skip : undefined, brokers[broker].skip].filter((s) => s !== undefined).join('; ');
  (skip ? describe.skip : describe)(`crash matrix on ${store} + ${broker}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let config: CaseConfig | undefined;
    // Every process of the case ends, passed or failed; then its schema, file and streams go.
    afterEach(async () => {
      await stopChildProcesses();
      if (config) await removeCase(config);
      config = undefined;
    }, 30_000);

    for (const testCase of matrixCases) {
      it(testCase.name, { timeout: 3 * caseTimeoutMs }, async () => {
        config = newCaseConfig({ store, broker, inbox: testCase.inbox, brokerUrl: brokers[broker].url ?? '', postgresUrl: postgres.url ?? '', replyTimeoutMs: testCase.replyTimeoutMs });
        const result = await runCase(testCase, config, caseTimeoutMs);
        const f = result.figures;
        rows.push(
          `${store.padEnd(8)} ${broker.padEnd(8)} ${testCase.name.padEnd(34)} inbox ${testCase.inbox.padEnd(7)} killed ${result.killed.length} (pids ${result.killed.join(',')}) · ${f.outcome} · ` +
            `${f.events} events · ${f.requests} requests, ${f.effects} effects (max ${f.maxEffectsPerRequest} per request) · ` +
            `${f.outcomesHeard}/${f.outcomesOwed} heard the ${f.outcome === 'committed' ? 'commit' : 'reject'} (${f.outcomeHookRuns} hook runs) · ${f.acknowledgedEvents - f.acknowledgedMissing}/${f.acknowledgedEvents} acknowledged events kept · ${result.durationMs} ms`,
        );
        expect(result.problems).toEqual([]);
        expect(result.killed.length).toBeGreaterThan(0);
      });
    }
  });
}
