/**
 * Memory of one SagaManager on the in-memory store:
 *
 * 1. Many W1 sagas, 50 in flight, one manager: heap used (after a full GC) at checkpoints. The
 *    execution cache holds at most `cache.maxEntries` (10,000 by default), so what the engine keeps
 *    should stop growing; the in-memory store keeps every event, so the bytes of event JSON it holds
 *    are reported beside the heap (that part grows, by design of that store), and the heap once the
 *    manager is gone and the store kept. The same series on a SQLite file leaves only the engine's heap.
 * 2. Many runs waiting in memory at once (W3 with no participant: nobody replies; pauseOnDisk false;
 *    reply timeout one hour): they must share ONE store listener (the process's store feed), and Node
 *    must print no MaxListenersExceededWarning. Process warnings are captured while they wait.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { InMemoryBroker, InMemoryEventStore, SagaManager, SagaStatus, StoreFeed, type EventStore } from '@saga/core';
import { SqliteEventStore } from '@saga/sqlite';
import { CountingStore } from '../countingStore.js';
import type { MemoryCaseResult } from '../results.js';
import { reasonOf, runPool } from '../runner.js';
import { orderContext, w1Saga, w3Saga } from '../sagas.js';

export interface MemoryOptions {
  /** W1 sagas in all, and where to take the heap. */
  readonly sagas: number;
  readonly checkpoints: readonly number[];
  /** Runs waiting at once. */
  readonly waiting: number;
  /** The stores the W1 series runs on (the waiting runs use the in-memory store). */
  readonly stores: readonly ('memory' | 'sqlite')[];
  readonly log: (line: string) => void;
}

const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** A full GC, if this process can ask for one (`--expose-gc`, or the flag set now). */
const collector = (): (() => void) => {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    return gc;
  } catch {
    return () => undefined;
  }
};

const heapUsedAfterGc = (gc: () => void): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** Waits until `done()` or `timeoutMs`. */
const until = async (done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> => {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await done()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return done();
};

type W1Point = { store: 'memory' | 'sqlite'; sagas: number; heapUsedMiB: number; storeEventMiB: number };
interface W1Series {
  readonly store: 'memory' | 'sqlite';
  readonly points: W1Point[];
  /** Heap used before the series began. */
  readonly baselineHeapMiB: number;
  /** Heap used with the store still held and the manager gone: the store's own share. */
  readonly storeOnlyHeapMiB: number;
}

const w1Series = async (storeName: 'memory' | 'sqlite', options: MemoryOptions, gc: () => void, cacheMaxEntries: number, id: string): Promise<W1Series> => {
  const dir = storeName === 'sqlite' ? mkdtempSync(join(tmpdir(), 'saga-bench-memory-')) : undefined;
  const store: EventStore = dir === undefined ? new InMemoryEventStore() : new SqliteEventStore({ filename: join(dir, 'saga.db') });
  const points: W1Point[] = [];
  const counting = new CountingStore(store);
  const baseline = mib(heapUsedAfterGc(gc));
  try {
    let broker: InMemoryBroker | undefined = new InMemoryBroker();
    let manager: SagaManager | undefined = new SagaManager({ store: counting, broker, service: 'sagabench-memory', definitions: [w1Saga], cache: { maxEntries: cacheMaxEntries } });
    await manager.setup();
    log(options, `  ${id}: ${storeName} store, before the first saga: heap used ${baseline} MiB`);
    try {
      let done = 0;
      for (const checkpoint of [...options.checkpoints].sort((a, b) => a - b)) {
        const from = done;
        const running = manager;
        await runPool(checkpoint - from, 50, async (index) => {
          const execution = await running.run({ definition: w1Saga, context: orderContext(from + index) });
          if (execution.status !== SagaStatus.Finished) throw new Error(`W1 execution ${execution.id} ended ${execution.status}`);
        });
        done = checkpoint;
        // The in-memory store's own share: the event JSON it holds (what a durable store keeps on disk).
        let eventBytes = 0;
        if (storeName === 'memory') {
          let position: string | undefined;
          for (;;) {
            const page = await store.readAll({ ...(position === undefined ? {} : { after: position }), limit: 10_000 });
            for (const event of page.events) eventBytes += JSON.stringify(event).length;
            if (page.events.length === 0 || page.position === undefined) break;
            position = page.position;
          }
        }
        const heap = heapUsedAfterGc(gc);
        points.push({ store: storeName, sagas: checkpoint, heapUsedMiB: mib(heap), storeEventMiB: mib(eventBytes) });
        log(options, `  ${id}: ${storeName} store, after ${checkpoint.toLocaleString('en-US')} W1 sagas: heap used ${mib(heap)} MiB${storeName === 'memory' ? `; the store holds ${mib(eventBytes)} MiB of event JSON` : ' (events on disk)'}`);
      }
    } finally {
      await manager.destroy();
      await broker.destroy();
      StoreFeed.of(counting).stop();
    }
    // The manager gone, the store kept: what is left is the store's (and the process's) share.
    manager = undefined;
    broker = undefined;
    const storeOnly = mib(heapUsedAfterGc(gc));
    log(options, `  ${id}: ${storeName} store, the manager destroyed, the store kept: heap used ${storeOnly} MiB`);
    return { store: storeName, points, baselineHeapMiB: baseline, storeOnlyHeapMiB: storeOnly };
  } finally {
    // The bench owns the store: its feed lets go now rather than after lingering (which keeps it in the heap).
    StoreFeed.of(counting).stop();
    await store.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
};

const log = (options: MemoryOptions, line: string): void => options.log(line);

export const measureMemory = async (options: MemoryOptions): Promise<MemoryCaseResult> => {
  const { log } = options;
  const id = `memory/${options.sagas}-w1/${options.waiting}-waiting`;
  const gc = collector();
  const cacheMaxEntries = 10_000;
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
  try {
    // 1. W1, one manager, the default cache: on the in-memory store (which keeps every event in this
    //    heap), then on a SQLite file (which keeps them on disk), where only the engine's heap remains.
    const runs: W1Point[] = [];
    const series: W1Series[] = [];
    for (const storeName of options.stores) {
      const result = await w1Series(storeName, options, gc, cacheMaxEntries, id);
      runs.push(...result.points);
      series.push(result);
    }

    // 2. Runs waiting at once.
    const store = new InMemoryEventStore();
    const counting = new CountingStore(store);
    const broker = new InMemoryBroker();
    const manager = new SagaManager({ store: counting, broker, service: 'sagabench-waiting', definitions: [w3Saga], replyTimeoutMs: 3_600_000, recoveryIntervalMs: 0 });
    await manager.setup();
    process.on('warning', onWarning);
    let waiting: MemoryCaseResult['waiting'];
    try {
      const started = performance.now();
      const pending = Array.from({ length: options.waiting }, (_, index) =>
        manager.run({ definition: w3Saga, context: orderContext(index), pauseOnDisk: false, returnExecution: false }).then(
          () => 'returned' as const,
          (error: unknown) => reasonOf(error),
        ),
      );
      const settled = new Set<number>();
      pending.forEach((promise, index) => void promise.then(() => settled.add(index)));
      // Waiting: every run's first append (start + request) is stored and none has returned.
      const allWaiting = await until(() => counting.appends >= options.waiting || settled.size > 0, 120_000);
      const startMs = performance.now() - started;
      // Let the feed read what was appended, so the figures are of runs settled in their wait.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const feed = StoreFeed.of(counting);
      const heap = heapUsedAfterGc(gc);
      waiting = {
        runs: options.waiting,
        waitingAtOnce: options.waiting - settled.size,
        heapUsedMiB: mib(heap),
        storeListeners: counting.appendListeners,
        maxStoreListeners: counting.maxAppendListeners,
        feedActive: feed.active,
        feedListeners: feed.listenerCount,
        readAlls: counting.readAlls,
        reads: counting.reads,
        warnings: [...warnings],
        startMs,
      };
      if (!allWaiting) throw new Error(`only ${counting.appends} of ${options.waiting} runs were stored in 120 s`);
      log(
        `  ${id}: ${waiting.waitingAtOnce.toLocaleString('en-US')} runs waiting at once (started in ${(startMs / 1_000).toFixed(1)} s): ` +
          `${waiting.storeListeners} store listener(s) (at most ${waiting.maxStoreListeners}), feed active ${waiting.feedActive} with ${waiting.feedListeners} listeners, ` +
          `${waiting.readAlls} readAll calls, heap used ${waiting.heapUsedMiB} MiB, warnings: ${warnings.length === 0 ? 'none' : warnings.join(' | ')}`,
      );
      await manager.destroy();
      // Destroying the manager stops the waiting runs (they reject; their executions stay in the store).
      await Promise.all(pending);
    } finally {
      process.off('warning', onWarning);
      await manager.destroy();
      await broker.destroy();
      StoreFeed.of(counting).stop();
      await counting.destroy();
    }
    return { kind: 'memory', id, status: 'ok', runs, series: series.map(({ store, baselineHeapMiB, storeOnlyHeapMiB }) => ({ store, baselineHeapMiB, storeOnlyHeapMiB })), cacheMaxEntries, waiting };
  } catch (error) {
    process.off('warning', onWarning);
    log(`  ${id}: unavailable: ${reasonOf(error)}`);
    return { kind: 'memory', id, status: 'unavailable', reason: reasonOf(error) };
  }
};
