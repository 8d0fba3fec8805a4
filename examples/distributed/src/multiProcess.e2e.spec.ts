/**
 * The multi-process crash test (issue 4, item 4), once per broker: three participant processes and
 * two manager processes on PostgreSQL; 200 orders started with `pauseOnDisk`, spread over both
 * managers; one manager killed with SIGKILL once a third of the sagas have ended, and restarted
 * (see scenario.ts for why). Then, from the store and the participants' tables:
 *
 *   - every saga is settled: finished and committed, or errored and compensated, with the outcome
 *     its order calls for, and what the three services recorded agrees with it;
 *   - every stream folds (no CorruptedHistoryError), replays to what `get` returns, and passes the
 *     history invariants of @saga/testing: no step finished twice, no request answered twice, …;
 *   - from the participants' own tables: each step's action applied once per saga (counted per
 *     saga, service and target in a table with no unique key, so a request decided twice shows), and
 *     every commit/reject the sagas owe recorded by its participant's hook; the duplicates that
 *     arrived and changed nothing are counted.
 *
 * Needs SAGA_TEST_POSTGRES_URL and SAGA_TEST_AMQP_URL / SAGA_TEST_NATS_URL; skipped (one line each) without.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkInvariants, stopChildProcesses } from '@saga/testing';
import { Cluster } from './cluster.js';
import { newRunConfig, servicesOf, type RunConfig } from './config.js';
import type { SagaExecution } from '@saga/core';
import { createRunSchema, removeRun } from './infrastructure.js';
import { RunObserver } from './observer.js';
import { createOrderSaga } from './orderSaga.js';
import { expectedOutcome, makeOrders } from './orders.js';
import { outcomeOf, stateProblem, type Outcome } from './outcomes.js';
import { runScenario, waitUntil } from './scenario.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const sagas = 200;
const postgresUrl = process.env.SAGA_TEST_POSTGRES_URL;
const brokers = [
  { name: 'RabbitMQ', variable: 'SAGA_TEST_AMQP_URL' },
  { name: 'NATS JetStream', variable: 'SAGA_TEST_NATS_URL' },
] as const;

for (const broker of brokers) {
  const brokerUrl = process.env[broker.variable];
  const missing = [postgresUrl ? undefined : 'SAGA_TEST_POSTGRES_URL', brokerUrl ? undefined : broker.variable].filter((v) => v !== undefined);
  if (missing.length > 0) {
    const why = `multi-process crash test on ${broker.name} skipped: set ${missing.join(' and ')} (e.g. bash .ci/run)`;
    console.warn(why);
    describe.skip(why, () => it('runs 200 sagas over 5 processes and survives a SIGKILL', () => undefined));
    continue;
  }

  describe(`multi-process crash test on ${broker.name} + PostgreSQL`, () => {
    let config: RunConfig | undefined;
    let cluster: Cluster | undefined;
    let observer: RunObserver | undefined;
    // Processes never outlive the test, whatever happened: stop (then kill) them, drop the schema.
    afterAll(async () => {
      await cluster?.stop();
      await stopChildProcesses(); // whatever the cluster did not know of (a start that failed half-way)
      await observer?.destroy();
      if (config) await removeRun(config);
    }, 60_000);

    it(`${sagas} sagas over 2 managers and 3 participants: a manager is killed midway, every saga settles, no effect twice`, { timeout: 170_000 }, async () => {
      config = newRunConfig({ postgresUrl: postgresUrl as string, brokerUrl: brokerUrl as string, replyTimeoutMs: 20_000, recoveryIntervalMs: 500 });
      const logDir = join(packageDir, 'test-results', `processes-${config.namespace}`);
      const definition = createOrderSaga(servicesOf(config.namespace));
      const store = new RunObserver(config);
      observer = store;
      cluster = new Cluster({ config, logDir });
      await createRunSchema(config);
      await observer.setup();
      const began = Date.now();
      await cluster.start();
      const startupMs = Date.now() - began;

      const orders = makeOrders(sagas);
      const report = await runScenario(cluster, observer, {
        orders,
        window: 60,
        crash: { victim: 'manager-2', afterEnded: Math.ceil(sagas / 3), restart: true },
        settleTimeoutMs: 3 * config.replyTimeoutMs,
        log: (line) => console.log(`[${broker.name}] ${line}`),
      });
      expect(cluster.crashed(), `processes that died on their own (logs in ${logDir})`).toEqual([]);

      // One execution per order, no more: the killed manager's unconfirmed starts were reconciled.
      const { rows: counts } = await observer.query<{ streams: string; orders: string }>(
        `SELECT count(*) AS streams, count(DISTINCT data->'context'->>'orderId') AS orders FROM $schema.saga_events WHERE revision = 0`,
      );
      expect(counts[0]).toEqual({ streams: String(sagas), orders: String(sagas) });
      expect(report.settled.size).toBe(sagas);

      // Every stream: folds, replays to the same execution, keeps the invariants; outcome as expected.
      const states = await observer.orderStates();
      const outcomes = new Map<Outcome, number>();
      const problems: string[] = [];
      const answered = new Set<string>();
      const sent = new Set<string>();
      let events = 0;
      let strandedTimeouts = 0;
      const crashAt = report.crash?.at;
      for (const order of orders) {
        const id = report.executions.get(order.orderId) as string;
        const execution = await observer.manager.get(id); // rejects with CorruptedHistoryError if the stream does not decode
        const history = await observer.manager.history(id);
        events += history.length;
        expect(await observer.manager.replay(id)).toEqual(execution);
        for (const violation of checkInvariants(history, definition)) problems.push(`${order.orderId} ${violation}`);
        const finishedSteps = history.filter((e) => e.type === 'StepFinished').map((e) => String(e.data.path));
        if (new Set(finishedSteps).size !== finishedSteps.length) problems.push(`${order.orderId}: a step finished twice (${finishedSteps.join(', ')})`);
        const replies = history.filter((e) => e.type === 'ReplyReceived').map((e) => String(e.data.requestId));
        if (new Set(replies).size !== replies.length) problems.push(`${order.orderId}: a request got two ReplyReceived`);
        for (const requestId of replies) answered.add(requestId);
        for (const e of history) if (e.type === 'RequestSent' || e.type === 'CompensationRequestSent') sent.add(String(e.data.requestId));
        const outcome = outcomeOf(execution);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (outcome === 'timed-out') {
          // Allowed for one case only: a request the killed manager stored and never published,
          // when its restart took longer than the reply timeout. Its saga is compensated.
          const failed = history.find((e) => e.type === 'StepFailed' && e.data.status === 'timed-out');
          const sentAt = history.find((e) => e.type === 'RequestSent' && e.data.requestId === failed?.data.requestId)?.recordedAt;
          if (!crashAt || !sentAt || Date.parse(sentAt) > crashAt.getTime() + 1_000) problems.push(`${order.orderId}: timed out (${execution.error?.message}), and not on a request sent before the kill`);
          else strandedTimeouts += 1;
        } else if (outcome !== expectedOutcome(order)) problems.push(`${order.orderId}: ${outcome} (${execution.error?.message ?? execution.status}), expected ${expectedOutcome(order)}`);
        const disagreement = stateProblem(outcome, states.get(order.orderId) ?? {});
        if (disagreement) problems.push(`${order.orderId}: ${disagreement}`);
      }
      expect(problems).toEqual([]);

      // Effects, from the participants' own table (no unique key on it): each step's action applied
      // once per saga, counted per (saga, service, target), which a request decided twice under two
      // request ids would push to 2; every answered request applied; nothing applied that no saga sent.
      const { rows: effects } = await observer.query<{ request_id: string; applied: number; runs: number }>(
        `SELECT request_id, count(*) FILTER (WHERE applied)::int AS applied, count(*)::int AS runs FROM $schema.effects GROUP BY request_id`,
      );
      const { rows: appliedTwice } = await observer.query<{ saga_id: string; service: string; target: string; applied: number }>(
        `SELECT saga_id, service, target, count(*)::int AS applied FROM $schema.effects WHERE applied GROUP BY 1, 2, 3 HAVING count(*) > 1`,
      );
      expect(appliedTwice, 'steps whose action a participant applied more than once in one saga').toEqual([]);
      expect(effects.filter((e) => !sent.has(e.request_id)), 'effects of requests no saga sent').toEqual([]);
      const applied = new Set(effects.filter((e) => e.applied > 0).map((e) => e.request_id));
      expect([...answered].filter((id) => !applied.has(id)), 'answered requests without an applied effect').toEqual([]);
      const handlerRunsMax = Math.max(0, ...effects.map((e) => e.runs));

      const { rows: deliveryRows } = await observer.query<{ deliveries: number; requests: number; redelivered: number }>(
        `SELECT count(*)::int AS deliveries, count(DISTINCT request_id)::int AS requests, count(*) FILTER (WHERE delivery_count > 1)::int AS redelivered FROM $schema.deliveries`,
      );
      const delivery = deliveryRows[0] ?? { deliveries: 0, requests: 0, redelivered: 0 };
      const handlerRuns = effects.reduce((n, e) => n + e.runs, 0);

      // Every commit and reject reached its participant, as the participants recorded it: owed to every
      // service the engine counts in the transaction, and to every service that applied an effect for
      // a saga that did not end by a timeout (a reply that came too late leaves it out of the engine's list).
      const owed = new Map<string, string>(); // `${sagaId} ${service}` -> hook
      const hookOf = (execution: SagaExecution): string | undefined =>
        execution.transaction.status === 'committed' ? 'commit' : execution.transaction.status === 'rejected' ? 'reject' : undefined;
      const servicesByName = new Map(Object.entries(servicesOf(config.namespace)).map(([kind, name]) => [name, kind]));
      for (const execution of report.settled.values()) {
        const hook = hookOf(execution);
        if (hook) for (const service of execution.transaction.participants) owed.set(`${execution.id} ${service}`, hook);
      }
      const { rows: effectServices } = await observer.query<{ saga_id: string; service: string }>(`SELECT DISTINCT saga_id, service FROM $schema.effects WHERE applied`);
      const missingFromTransaction: string[] = [];
      for (const row of effectServices) {
        const execution = [...report.settled.values()].find((e) => e.id === row.saga_id);
        if (!execution || outcomeOf(execution) === 'timed-out' || !servicesByName.has(row.service)) continue;
        if (!owed.has(`${row.saga_id} ${row.service}`)) missingFromTransaction.push(`${row.saga_id} ${row.service}`);
      }
      expect(missingFromTransaction, 'services that applied an effect and are owed no commit/reject').toEqual([]);
      const heard = async () =>
        new Set((await store.query<{ key: string }>(`SELECT DISTINCT saga_id || ' ' || service || ' ' || hook AS key FROM $schema.transaction_hooks WHERE hook <> 'reserve'`)).rows.map((r) => r.key));
      let unheard: string[] = [];
      // Bounded, and decided by the participants' table, not by a sleep: fails naming what never came.
      await waitUntil(async () => {
        const got = await heard();
        unheard = [...owed].filter(([key, hook]) => !got.has(`${key} ${hook}`)).map(([key, hook]) => `${hook} ${key}`);
        return unheard.length === 0;
      }, 30_000, 'every commit and reject to reach its participant').catch(() => undefined);
      expect(unheard, `${unheard.length} of ${owed.size} commit/reject commands never reached their participant`).toEqual([]);
      const { rows: twice } = await observer.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (SELECT saga_id, service FROM $schema.transaction_hooks WHERE hook <> 'reserve' GROUP BY 1, 2 HAVING count(*) > 1) AS t`,
      );
      expect(twice[0]?.n, 'a participant committed or rejected a saga twice').toBe(0);
      const crash = report.crash;
      const figures = {
        broker: broker.name,
        sagas,
        processes: '2 managers + 3 participants',
        kills: crash ? 1 : 0,
        restarts: crash?.restarted ? 1 : 0,
        killedAtMs: crash?.atMs,
        atKill: crash ? { started: crash.started, ended: crash.ended, unconfirmedStarts: crash.unconfirmed, foundInStore: crash.foundInStore, resent: crash.resent } : undefined,
        atRestart: crash?.restart,
        finished: outcomes.get('finished') ?? 0,
        errored: sagas - (outcomes.get('finished') ?? 0),
        outcomes: Object.fromEntries(outcomes),
        strandedTimeouts,
        events,
        requests: sent.size,
        deliveries: delivery.deliveries,
        duplicateDeliveries: delivery.deliveries - delivery.requests,
        brokerRedeliveries: delivery.redelivered,
        duplicatesSuppressedInMemory: delivery.deliveries - handlerRuns,
        duplicatesSuppressedByLedger: handlerRuns - applied.size,
        handlerRunsMaxPerRequest: handlerRunsMax,
        effectsApplied: applied.size,
        effectsAppliedTwice: appliedTwice.length,
        duplicateRepliesIgnoredByManagers: cluster.notes.ignoredReplies,
        transactionOutcomesOwed: owed.size,
        transactionOutcomesNeverHeard: unheard.length,
        staleTimersIgnored: cluster.notes.ignoredTimers,
        recovery: cluster.notes.recoveries,
        startupMs,
        sagasMs: report.durationMs,
        totalMs: Date.now() - began,
      };
      mkdirSync(join(packageDir, 'test-results'), { recursive: true });
      writeFileSync(join(packageDir, 'test-results', `multi-process-${broker.name.split(' ')[0]?.toLowerCase()}.json`), `${JSON.stringify(figures, null, 2)}\n`);
      console.log(
        `[${broker.name}] ${sagas} sagas, ${figures.kills} kill (${crash?.victim} at ${crash?.atMs} ms, ${crash?.ended} ended), ${figures.restarts} restart; ` +
          `${figures.finished} finished, ${figures.errored} errored (${Object.entries(figures.outcomes).map(([k, v]) => `${v} ${k}`).join(', ')}); ` +
          `${figures.deliveries} deliveries of ${figures.requests} requests: ${figures.duplicateDeliveries} duplicates suppressed ` +
          `(${figures.duplicatesSuppressedInMemory} by the participants' memory, ${figures.duplicatesSuppressedByLedger} by their ledger), ` +
          `${appliedTwice.length} steps applied twice (handler runs per request: at most ${handlerRunsMax}); ${figures.duplicateRepliesIgnoredByManagers} duplicate replies ignored by the managers; ` +
          `recovery re-sent ${cluster.notes.recoveries.reduce((n, r) => n + r.republished, 0)} messages; ` +
          `${unheard.length} of ${owed.size} commit/reject commands never reached their participant${unheard.length > 0 ? ` (${unheard.slice(0, 3).join(', ')})` : ''}; ` +
          `${(figures.sagasMs / 1000).toFixed(1)} s for the sagas, ${(figures.totalMs / 1000).toFixed(1)} s in all`,
      );
      rmSync(logDir, { recursive: true, force: true }); // kept only when the test fails
    });
  });
}
