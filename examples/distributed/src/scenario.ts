/**
 * One run of orders through a cluster, optionally with a crash: the orders arrive in batches, spread
 * over the managers that are alive; once enough sagas have ended, one manager is killed with SIGKILL
 * and started again.
 *
 * Why restart it rather than rely on the survivor alone: the survivor consumes every reply (the
 * reply queue is shared) and its periodic sweep arms the timers of the dead manager's waiting
 * executions, so every saga would end. But a request the dead manager had stored and not yet
 * published would never be answered: its saga would end by its reply timeout, compensated,
 * although nothing was wrong with it. A restarted instance recovers on
 * setup: it re-sends every pending request with its original id (participants de-duplicate), and
 * those sagas go on as if nothing had happened. That is what a supervisor (systemd, Kubernetes)
 * does, and the timeouts remain the bound for what recovery cannot save.
 *
 * Starting is reconciled with the store: an order whose start the killed manager never confirmed
 * is either in the store already (the append happened, its confirmation died with the process) or
 * sent again to a live manager. So every order has exactly one execution.
 */
import type { SagaExecution } from '@saga/core';
import type { Cluster } from './cluster.js';
import type { RunObserver } from './observer.js';
import type { Order } from './orders.js';

export interface ScenarioOptions {
  readonly orders: readonly Order[];
  /**
   * At most this many sagas under way (sent, not yet ended): orders keep arriving in batches of ten,
   * spread over the live managers, as in a shop, so a crash lands in the middle of the stream and
   * the store is not flooded with sagas that only wait. Default: all at once.
   */
  readonly window?: number;
  /** SIGKILL `victim` once `afterEnded` sagas have ended; then start it again when `restart`. */
  readonly crash?: { readonly victim: string; readonly afterEnded: number; readonly restart: boolean };
  /** How long the sagas may take to settle after the last one started. */
  readonly settleTimeoutMs: number;
  readonly log?: (line: string) => void;
}

export interface CrashReport {
  readonly victim: string;
  readonly pid: number | undefined;
  /** Milliseconds from the first order to the kill, and the kill's wall-clock time. */
  readonly atMs: number;
  readonly at: Date;
  /** Executions in the store, and ended ones, when the kill was sent. */
  readonly started: number;
  readonly ended: number;
  /** Orders the victim had been given but not confirmed when it died. */
  readonly unconfirmed: number;
  /** Of those: found in the store (the start was stored), and started again on a live manager. */
  readonly foundInStore: number;
  readonly resent: number;
  readonly restarted: boolean;
  /** When the restarted process was ready (ms from the first order), and the sagas started and ended then. */
  readonly restart?: { readonly atMs: number; readonly started: number; readonly ended: number };
}

export interface ScenarioReport {
  /** Execution id by order id. */
  readonly executions: Map<string, string>;
  readonly settled: Map<string, SagaExecution>;
  readonly crash?: CrashReport;
  readonly durationMs: number;
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export const waitUntil = async (condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 50): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
};

export const runScenario = async (cluster: Cluster, observer: RunObserver, options: ScenarioOptions): Promise<ScenarioReport> => {
  const log = options.log ?? (() => undefined);
  const began = Date.now();
  const { orders } = options;
  const window = options.window ?? orders.length;
  const batchSize = Math.min(10, window);

  // The shop: sends the next batch when there is room in the window, to the managers alive now.
  const sending = (async () => {
    let next = 0;
    let turn = 0;
    while (next < orders.length) {
      await waitUntil(async () => next - (await observer.progress()).ended < window, 120_000, 'room in the window of sagas under way', 20);
      const live = cluster.managerNames.filter((m) => cluster.isAlive(m));
      if (live.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      const batch = orders.slice(next, next + batchSize);
      next += batch.length;
      const byManager = new Map<string, Order[]>();
      for (const order of batch) {
        const manager = live[turn++ % live.length] as string;
        byManager.set(manager, [...(byManager.get(manager) ?? []), order]);
      }
      for (const [manager, list] of byManager) cluster.startOrders(manager, list);
    }
  })();
  sending.catch(() => undefined); // awaited below; this only keeps an early failure from being unhandled
  log(`sending ${orders.length} orders to ${cluster.managerNames.join(' and ')}${window < orders.length ? ` (at most ${window} under way)` : ''}`);

  let crash: CrashReport | undefined;
  if (options.crash) {
    const { victim, afterEnded, restart } = options.crash;
    let progress = await observer.progress();
    await waitUntil(async () => (progress = await observer.progress()).ended >= afterEnded, 120_000, `${afterEnded} sagas to end before the kill`, 20);
    const at = new Date();
    const atMs = at.getTime() - began;
    const pid = cluster.pid(victim);
    const generation = cluster.generation(victim);
    const exit = await cluster.kill(victim);
    log(`killed ${victim} (pid ${pid}, ${exit.signal}) at ${atMs} ms: ${progress.started} sagas started, ${progress.ended} ended`);
    let restarted: CrashReport['restart'];
    if (restart) {
      await cluster.restart(victim);
      const then = await observer.progress();
      restarted = { atMs: Date.now() - began, started: then.started, ended: then.ended };
      const timing = cluster.timing(victim);
      log(
        `restarted ${victim} (pid ${cluster.pid(victim)}), ready at ${restarted.atMs} ms (modules ${timing?.loadMs} ms, setup and recovery ${timing?.setupMs} ms) ` +
          `with ${then.started - then.ended} sagas under way`,
      );
    }
    // Orders the dead process was given and never confirmed: stored (the confirmation died with
    // it), or never started (still in its queue): those go to a live manager.
    const unconfirmed = cluster.unconfirmed(victim, generation);
    const inStore = await observer.executionsByOrder();
    const found = unconfirmed.filter((order) => inStore.has(order.orderId));
    for (const order of found) {
      const start = cluster.starts.get(order.orderId);
      if (start) start.executionId = inStore.get(order.orderId);
    }
    const missing = unconfirmed.filter((order) => !inStore.has(order.orderId));
    const live = cluster.managerNames.find((m) => cluster.isAlive(m));
    if (missing.length > 0 && live) cluster.startOrders(live, missing);
    if (unconfirmed.length > 0) log(`${unconfirmed.length} orders unconfirmed by the killed ${victim}: ${found.length} were in the store, ${missing.length} sent to ${live}`);
    crash = {
      victim,
      pid,
      atMs,
      at,
      started: progress.started,
      ended: progress.ended,
      unconfirmed: unconfirmed.length,
      foundInStore: found.length,
      resent: missing.length,
      restarted: restart,
      ...(restarted ? { restart: restarted } : {}),
    };
  }

  await sending;
  await waitUntil(() => [...cluster.starts.values()].every((s) => s.executionId !== undefined || s.error !== undefined), 60_000, 'every order to be started');
  const failed = [...cluster.starts.values()].filter((s) => s.error !== undefined);
  if (failed.length > 0) throw new Error(`${failed.length} orders could not be started, e.g. ${failed[0]?.order.orderId}: ${failed[0]?.error}`);
  const executions = new Map([...cluster.starts].map(([orderId, start]) => [orderId, start.executionId as string]));
  log(`all ${executions.size} orders started; waiting for their sagas to settle`);

  const settled = await observer.waitUntilSettled([...executions.values()], options.settleTimeoutMs);
  return { executions, settled, ...(crash ? { crash } : {}), durationMs: Date.now() - began };
};
