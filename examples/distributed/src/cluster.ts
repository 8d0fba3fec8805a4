/**
 * The processes of one run, as their parent sees them: three participants (stock, payment,
 * shipping) and two order managers, each a child process with an IPC channel. The cluster starts
 * them, hands orders to the managers, kills and restarts a manager, and stops everything.
 *
 * Children run from `dist/*.js` with plain node, or, when that is not built, from `src/*.ts` through
 * tsx's loader (`node --import tsx`), so the tests need no build. Each is a `TestChildProcess`
 * (@saga/testing): it announces its own pid, a kill is checked to have reached that pid and left
 * nothing of its process group, and a child never outlives its parent (it exits when the IPC
 * channel closes, and the parent kills what is left when it exits).
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestChildProcess, type ChildMessage as AnyChildMessage } from '@saga/testing/child';
import { configToEnv, participantKinds, type RunConfig } from './config.js';
import type { Order } from './orders.js';
import type { ChildMessage, ParentMessage } from './processProtocol.js';

export interface ClusterOptions {
  readonly config: RunConfig;
  /** Each process's stdout and stderr go to `<logDir>/<name>.log` (kept: read them when something failed). */
  readonly logDir?: string;
  /** How many order managers. Default 2. */
  readonly managers?: number;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface Child {
  readonly name: string;
  readonly generation: number;
  readonly process: TestChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<Exit>;
  exit?: Exit;
  killed?: boolean;
  isReady?: boolean;
  /** From the ready message: module loading, and setup (connections, recovery). */
  timing?: { readonly loadMs: number; readonly setupMs: number };
}

export interface StartRecord {
  readonly order: Order;
  /** The manager the order was sent to (the last one, if it was sent again), and which process of that name. */
  manager: string;
  generation: number;
  executionId?: string;
  error?: string;
}

/** What the engine logged in the managers that a run counts. */
export interface EngineNotes {
  /** Replies a manager matched to no pending request (duplicates, late ones): nothing was written. */
  ignoredReplies: number;
  /** Timers that fired after what they waited for had happened: nothing was written. */
  ignoredTimers: number;
  /** Recovery reports of managers that found waiting executions on setup. */
  readonly recoveries: { readonly manager: string; readonly recovered: number; readonly republished: number }[];
}

/**
 * Where the children's scripts are: next to this file when it runs from dist/; when it runs from
 * src/ (tests, tsx), dist/ if it is built and not older than any source (children start in a
 * fraction of the time, which matters for a restart), else src/ through tsx's loader.
 */
const scripts = ((): { readonly dir: string; readonly extension: string } => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  if (!import.meta.url.endsWith('.ts')) return { dir: here, extension: '.js' };
  const dist = join(here, '..', 'dist');
  const sources = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
  const built = (f: string): boolean => {
    const js = join(dist, f.replace(/\.ts$/, '.js'));
    return existsSync(js) && statSync(js).mtimeMs >= statSync(join(here, f)).mtimeMs;
  };
  if (sources.every(built)) return { dir: dist, extension: '.js' };
  return { dir: here, extension: '.ts' }; // TestChildProcess runs it as node --import tsx
})();

export class Cluster {
  readonly config: RunConfig;
  readonly managerNames: readonly string[];
  readonly starts = new Map<string, StartRecord>();
  readonly notes: EngineNotes = { ignoredReplies: 0, ignoredTimers: 0, recoveries: [] };
  readonly #children = new Map<string, Child>();
  readonly #logDir: string | undefined;

  constructor(options: ClusterOptions) {
    this.config = options.config;
    this.managerNames = Array.from({ length: options.managers ?? 2 }, (_, i) => `manager-${i + 1}`);
    this.#logDir = options.logDir;
    if (this.#logDir) mkdirSync(this.#logDir, { recursive: true });
  }

  /** Participants first (their queues must exist before requests are sent), then the managers. */
  async start(): Promise<void> {
    await Promise.all(participantKinds.map((kind) => this.#spawn(kind, 'participantProcess', [kind]).ready));
    await Promise.all(this.managerNames.map((name) => this.#spawn(name, 'managerProcess', []).ready));
  }

  /** Hands orders to a manager; `started` messages fill in their execution ids. */
  startOrders(manager: string, orders: readonly Order[]): void {
    const generation = this.generation(manager);
    for (const order of orders) {
      const record = this.starts.get(order.orderId);
      if (record) {
        record.manager = manager;
        record.generation = generation;
        delete record.error;
      } else this.starts.set(order.orderId, { order, manager, generation });
    }
    this.#send(manager, { type: 'start', orders });
  }

  /** Orders sent to that process of `manager` that it never confirmed. */
  unconfirmed(manager: string, generation: number): Order[] {
    return [...this.starts.values()]
      .filter((s) => s.manager === manager && s.generation === generation && s.executionId === undefined && s.error === undefined)
      .map((s) => s.order);
  }

  /** Which process of that name is the current one (1, then 2 after a restart, …). */
  generation(name: string): number {
    return this.#child(name).generation;
  }

  /** Ready, still running, and not being killed. */
  isAlive(name: string): boolean {
    const child = this.#children.get(name);
    return child !== undefined && child.isReady === true && child.exit === undefined && child.killed !== true;
  }

  /**
   * SIGKILL: no cleanup, no flush, connections dropped mid-conversation. Resolves once the process
   * is reaped, checked to be the pid that ran the engine (it announced itself) and gone.
   */
  async kill(name: string): Promise<Exit> {
    const child = this.#child(name);
    child.killed = true;
    return child.process.kill();
  }

  /** A new process in place of a dead one (same name, same configuration). Resolves once it is ready. */
  async restart(name: string): Promise<void> {
    const old = this.#child(name);
    if (old.exit === undefined) throw new Error(`${name} is still running (pid ${old.process.pid}); kill it first`);
    const role = name.startsWith('manager') ? 'managerProcess' : 'participantProcess';
    await this.#spawn(name, role, role === 'managerProcess' ? [] : [name], old.generation + 1).ready;
  }

  /** How long the current process of that name took to load its modules, and to set up. */
  timing(name: string): { readonly loadMs: number; readonly setupMs: number } | undefined {
    return this.#child(name).timing;
  }

  pid(name: string): number | undefined {
    return this.#child(name).process.pid;
  }

  /** The last lines a process wrote (for failure messages). */
  tail(name: string, lines = 20): string {
    return this.#child(name).process.tail(lines);
  }

  /** Processes that exited although nobody killed or stopped them. */
  crashed(): string[] {
    return [...this.#children.values()].filter((c) => c.exit !== undefined && c.exit.signal !== 'SIGKILL' && c.exit.code !== 0).map((c) => `${c.name} (exit ${c.exit?.code})`);
  }

  /** Asks every live process to stop, waits up to `timeoutMs`, then kills what is left. */
  async stop(timeoutMs = 15_000): Promise<void> {
    const live = [...this.#children.values()].filter((c) => c.exit === undefined);
    // Managers first: a manager stopping publishes what it has stored; the participants still answer.
    for (const group of [live.filter((c) => c.name.startsWith('manager')), live.filter((c) => !c.name.startsWith('manager'))]) {
      for (const child of group) this.#send(child.name, { type: 'stop' });
      await Promise.race([Promise.all(group.map((c) => c.exited)), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    }
    // What did not stop in time is killed, with whatever it started; every pid is reaped.
    await Promise.all(live.map((c) => c.process.stop(0)));
  }

  #child(name: string): Child {
    const child = this.#children.get(name);
    if (!child) throw new Error(`no process named ${name}`);
    return child;
  }

  #send(name: string, message: ParentMessage): void {
    const child = this.#child(name);
    if (child.exit === undefined) child.process.send(message as unknown as AnyChildMessage);
  }

  #spawn(name: string, script: 'managerProcess' | 'participantProcess', args: string[], generation = 1): Child {
    const child = TestChildProcess.start({
      script: join(scripts.dir, `${script}${scripts.extension}`),
      args,
      name: `${name} #${generation}`,
      env: { ...configToEnv(this.config), SAGA_LOG_LEVEL: process.env.SAGA_LOG_LEVEL ?? 'warn' },
      readyTimeoutMs: 60_000,
      ...(this.#logDir ? { logFile: join(this.#logDir, `${name}.log`) } : {}),
    });
    const record: Child = {
      name,
      generation,
      process: child,
      // Also checks that the pid that announced itself is the pid started (no wrapper in between).
      ready: child.ready().then((message) => {
        record.isReady = true;
        const ready = message as unknown as Extract<ChildMessage, { type: 'ready' }>;
        record.timing = { loadMs: ready.loadMs, setupMs: ready.setupMs };
      }),
      exited: child.exited.then((exit) => (record.exit = exit)),
    };
    record.ready.catch(() => undefined); // awaited by whoever started it; a child that died is also seen in `crashed()`
    child.onMessage((raw) => {
      const message = raw as unknown as ChildMessage;
      switch (message.type) {
        case 'ready':
          return;
        case 'started': {
          const start = this.starts.get(message.orderId);
          if (start) start.executionId = message.executionId;
          return;
        }
        case 'start-failed': {
          const start = this.starts.get(message.orderId);
          if (start) start.error = message.error;
          return;
        }
        case 'engine':
          this.#note(name, message);
          return;
      }
    });
    this.#children.set(name, record);
    return record;
  }

  #note(name: string, message: Extract<ChildMessage, { type: 'engine' }>): void {
    if (message.message === 'Recovered waiting executions') {
      this.notes.recoveries.push({ manager: name, recovered: Number(message.fields.recovered ?? 0), republished: Number(message.fields.republished ?? 0) });
    } else if (message.fields.input === 'reply') this.notes.ignoredReplies += 1;
    else if (message.fields.input === 'timer') this.notes.ignoredTimers += 1;
  }
}
