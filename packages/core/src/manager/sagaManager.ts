/**
 * The SagaManager: the seed's API in one object, a `SagaClient` (start, wait, read, list) and a
 * `SagaWorker` (replies, timers, recovery) of one service sharing one engine in this process.
 * Processes that only start sagas can use a `SagaClient`; processes that only work, a `SagaWorker`.
 */
import type { Saga } from '@saga/definitions';
import type { SagaExecution } from '@saga/execution';
import type { Broker } from '../ports/broker.js';
import type { EventStore, ExecutionPage, ExecutionQuery } from '../ports/eventStore.js';
import { ManagerNotReadyError } from '../errors/runErrors.js';
import { resolveConfig, type SagaManagerConfig } from '../config/resolveConfig.js';
import { StoreFeed } from '../feed/storeFeed.js';
import { createEngine } from './engine.js';
import { SagaClient, type CancelOptions, type ExecutionKey, type ResumeOptions, type RunOptions, type SagaHistoryEntry } from './sagaClient.js';
import { SagaWorker, type DefinitionCheckReport, type RecoveryReport, type SagaWorkerOptions } from './sagaWorker.js';

export type SagaManagerOptions = SagaWorkerOptions;
export type { RunOptions, SagaHistoryEntry } from './sagaClient.js';
export type { RecoveryReport, DefinitionCheckReport } from './sagaWorker.js';

export class SagaManager implements AsyncDisposable {
  readonly service: string;
  readonly store: EventStore;
  readonly broker: Broker;
  readonly replyTimeoutMs: number;
  /** The client half: what `run`, `get`, `list`… use. */
  readonly client: SagaClient;
  /** The worker half: what takes replies, fires timers and recovers. */
  readonly worker: SagaWorker;
  readonly #owned: { store?: EventStore; broker?: Broker } = {};
  #setup = false;
  #destroyed = false;

  constructor(options: SagaManagerOptions) {
    if (typeof options !== 'object' || options === null || !options.store) {
      throw new ManagerNotReadyError('new SagaManager({ store, broker }) needs a store: pass `store` (e.g. new InMemoryEventStore()), or use SagaManager.fromConfig().');
    }
    if (!options.broker) {
      throw new ManagerNotReadyError('new SagaManager({ store, broker }) needs a broker for requests and replies: pass `broker` (e.g. new InMemoryBroker()), or use SagaManager.fromConfig().');
    }
    const engine = createEngine(options);
    this.service = engine.service;
    this.store = engine.store;
    this.broker = engine.broker;
    this.replyTimeoutMs = engine.replyTimeoutMs;
    this.client = new SagaClient(options, engine);
    this.worker = new SagaWorker(options, engine);
  }

  /**
   * A manager from configuration. With no config: `SAGA_STORE_URL` / `SAGA_BROKER_URL`, else the
   * embedded default (SQLite under `$SAGA_HOME` or `./.saga/`, with the in-process broker). The
   * store and broker it creates are its own: `destroy()` closes them.
   */
  static async fromConfig(config: SagaManagerConfig = {}, overrides: Partial<SagaManagerOptions> = {}): Promise<SagaManager> {
    const resolved = await resolveConfig(config);
    const manager = new SagaManager({ ...resolved.options, ...overrides });
    if (!overrides.store) manager.#owned.store = resolved.options.store;
    if (!overrides.broker) manager.#owned.broker = resolved.options.broker;
    return manager;
  }

  get alreadySetup(): boolean {
    return this.#setup;
  }

  get alreadyDestroyed(): boolean {
    return this.#destroyed;
  }

  async setup(): Promise<void> {
    if (this.#destroyed) throw new ManagerNotReadyError('This SagaManager was destroyed; create a new one.');
    if (this.#setup) return;
    await this.client.setup();
    await this.worker.setup();
    this.#setup = true;
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await this.worker.destroy();
    await this.client.destroy();
    if (this.#owned.store) StoreFeed.of(this.#owned.store).stop();
    await this.#owned.broker?.destroy();
    await this.#owned.store?.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }

  /** Makes definitions available for continuing executions started elsewhere. */
  register(...definitions: Saga[]): this {
    this.client.register(...definitions);
    return this;
  }

  run(options: RunOptions & { readonly returnExecution: false }): Promise<string>;
  run(options: RunOptions & { readonly returnExecution?: true }): Promise<SagaExecution>;
  run(options: RunOptions): Promise<SagaExecution | string>;
  async run(options: RunOptions): Promise<SagaExecution | string> {
    this.#assertReady('run');
    return this.client.run(options);
  }

  /** The execution now, folded from its stream; by id, or by the key it was started with. */
  get(execution: string | ExecutionKey): Promise<SagaExecution> {
    return this.client.get(execution);
  }

  /** Every recorded event of the execution, in order. */
  history(executionId: string): Promise<SagaHistoryEntry[]> {
    return this.client.history(executionId);
  }

  /** The execution as it was right after the event at revision `upTo` (default: the last). */
  replay(executionId: string, options: { readonly upTo?: number } = {}): Promise<SagaExecution> {
    return this.client.replay(executionId, options);
  }

  /** Executions from the store's index: newest first, filtered, a page at a time. */
  list(query: ExecutionQuery = {}): Promise<ExecutionPage> {
    return this.client.list(query);
  }

  async commit(executionId: string, options: { readonly raiseOnError?: boolean } = {}): Promise<SagaExecution> {
    this.#assertReady('commit');
    return this.client.commit(executionId, options);
  }

  async reject(executionId: string): Promise<SagaExecution> {
    this.#assertReady('reject');
    return this.client.reject(executionId);
  }

  async resume(executionId: string, options: ResumeOptions = {}): Promise<SagaExecution> {
    this.#assertReady('resume');
    return this.client.resume(executionId, options);
  }

  /** See `SagaClient.cancel`. */
  async cancel(execution: string | ExecutionKey, options: CancelOptions): Promise<SagaExecution> {
    this.#assertReady('cancel');
    return this.client.cancel(execution, options);
  }

  async fork(executionId: string, options: { readonly fromRevision: number; readonly pauseOnDisk?: boolean; readonly raiseOnError?: boolean; readonly by?: string }): Promise<SagaExecution> {
    this.#assertReady('fork');
    return this.client.fork(executionId, options);
  }

  /** See `SagaWorker.recover`. */
  recover(options: { readonly republish?: boolean } = {}): Promise<RecoveryReport> {
    return this.worker.recover(options);
  }

  /** See `SagaWorker.checkDefinitions`. */
  checkDefinitions(): Promise<DefinitionCheckReport> {
    return this.worker.checkDefinitions();
  }

  #assertReady(method: string): void {
    if (this.#destroyed) throw new ManagerNotReadyError(`SagaManager.${method}() was called after destroy(); create a new manager.`);
    if (!this.#setup) throw new ManagerNotReadyError(`SagaManager.${method}() was called before setup(): await manager.setup() first.`);
  }
}
