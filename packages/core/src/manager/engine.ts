/**
 * What a client and a worker of one service share in a process: the definitions, the execution
 * driver (the only writer) with its cache, and the options decisions are made with. A `SagaManager`
 * gives one engine to both; a client or worker made alone makes its own.
 */
import { randomUUID } from 'node:crypto';
import { resolveRetryPolicy, type RetryPolicy, type Saga } from '@saga/definitions';
import type { Broker } from '../ports/broker.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { EventStore } from '../ports/eventStore.js';
import { defaultLogger, type Logger } from '../ports/logger.js';
import { defaultCompensationRetry } from './decide.js';
import { DefinitionRegistry } from './definitionRegistry.js';
import { ExecutionCache, type ExecutionCacheOptions } from './executionCache.js';
import { ExecutionDriver } from './executionDriver.js';

export interface EngineOptions {
  readonly store: EventStore;
  readonly broker: Broker;
  /** This service's name: replies come back on `<service>.reply`. Default `'saga'`. */
  readonly service?: string;
  /** Definitions this process can run and continue (e.g. executions started by another instance). */
  readonly definitions?: readonly Saga[];
  /**
   * How long a remote step waits for its reply (unless it sets its own `timeout()`) before
   * compensating. A durable timer: it holds across restarts. Default 60 s.
   */
  readonly replyTimeoutMs?: number;
  /** How long the commit waits for every participant's vote; a missing vote counts as no. Default 60 s. */
  readonly commitTimeoutMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /**
   * How a failing compensation is retried: a local one in-process, a remote one with a new request
   * after a durable backoff timer. Then the execution stops, visibly, for `resume`. Default: 4
   * attempts, 50 ms → 2 s, with jitter.
   */
  readonly compensationRetry?: RetryPolicy;
  /**
   * The executions kept in memory between decisions, so that a decision reads nothing: at most
   * `maxEntries` (default 10,000) and about `maxBytes` of folded state (default 64 MiB).
   */
  readonly cache?: ExecutionCacheOptions;
  /**
   * This process's name in the index's leases. Default `<service>-<random id>`. Give each worker a
   * stable one (a pod name) and a restarted worker takes its executions back at once instead of after
   * its old leases expire.
   */
  readonly workerId?: string;
  /**
   * How long the lease on an execution lasts after the worker last wrote it or renewed its leases
   * (every sweep). Other workers take an execution over once its lease expired. Default three
   * recovery intervals (90 s).
   */
  readonly leaseMs?: number;
  /**
   * How often a worker renews its leases and takes over executions whose lease expired (a dead
   * worker's). 0 turns it off. Default 30 s.
   */
  readonly recoveryIntervalMs?: number;
}

export interface Engine {
  readonly store: EventStore;
  readonly broker: Broker;
  readonly service: string;
  readonly replyTimeoutMs: number;
  readonly registry: DefinitionRegistry;
  readonly driver: ExecutionDriver;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Whose leases this process's appends take, and for how long. */
  readonly owner: string;
  readonly leaseMs: number;
  readonly recoveryIntervalMs: number;
}

export const createEngine = (options: EngineOptions): Engine => {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? defaultLogger();
  const replyTimeoutMs = options.replyTimeoutMs ?? 60_000;
  const service = options.service ?? 'saga';
  const owner = options.workerId ?? `${service}-${randomUUID()}`;
  const recoveryIntervalMs = options.recoveryIntervalMs ?? 30_000;
  // Three sweeps: a renewal may come late (a busy event loop) without the lease running out.
  const leaseMs = options.leaseMs ?? (recoveryIntervalMs > 0 ? 3 * recoveryIntervalMs : 90_000);
  const registry = new DefinitionRegistry();
  for (const definition of options.definitions ?? []) registry.register(definition);
  const driver = new ExecutionDriver({
    store: options.store,
    broker: options.broker,
    registry,
    logger,
    clock,
    cache: new ExecutionCache(options.cache),
    lease: { owner, leaseMs },
    decideOptions: {
      compensationRetry: resolveRetryPolicy(options.compensationRetry ?? defaultCompensationRetry, 'compensationRetry'),
      replyTimeoutMs,
      commitTimeoutMs: options.commitTimeoutMs ?? 60_000,
      now: () => clock.now(),
      random: Math.random,
    },
    maxConflictRetries: 20,
  });
  return { store: options.store, broker: options.broker, service, replyTimeoutMs, registry, driver, logger, clock, owner, leaseMs, recoveryIntervalMs };
};
