/**
 * The processes of one run, as their parent sees them: three participants (stock, payment,
 * shipping) and two order managers, each a child process with an IPC channel. The cluster starts
 * them, hands orders to the managers, kills and restarts a manager, and stops everything.
 *
 * Children run from `dist/*.js` with plain node, or, when that is not built, from `src/*.ts` through
 * tsx's loader (`node --import tsx`), so the tests need no build. A child never outlives its parent:
 * it exits when the IPC channel closes, and the parent kills what is left when it exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
  readonly process: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<Exit>;
  readonly tail: string[];
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
const scripts = ((): { readonly dir: string; readonly extension: string; readonly execArgv: string[] } => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  if (!import.meta.url.endsWith('.ts')) return { dir: here, extension: '.js', execArgv: [] };
  const dist = join(here, '..', 'dist');
  const sources = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
  const built = (f: string): boolean => {
    const js = join(dist, f.replace(/\.ts$/, '.js'));
    return existsSync(js) && statSync(js).mtimeMs >= statSync(join(here, f)).mtimeMs;
  };
  if (sources.every(built)) return { dir: dist, extension: '.js', execArgv: [] };
  return { dir: here, extension: '.ts', execArgv: ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] };
})();

export class Cluster {
  readonly config: RunConfig;
  readonly managerNames: readonly string[];
  readonly starts = new Map<string, StartRecord>();
  readonly notes: EngineNotes = { ignoredReplies: 0, ignoredTimers: 0, recoveries: [] };
  readonly #children = new Map<string, Child>();
  readonly #logDir: string | undefined;
  readonly #logs: WriteStream[] = [];
  readonly #killAll = (): void => {
    for (const child of this.#children.values()) if (child.exit === undefined) child.process.kill('SIGKILL');
  };

  constructor(options: ClusterOptions) {
    this.config = options.config;
    this.managerNames = Array.from({ length: options.managers ?? 2 }, (_, i) => `manager-${i + 1}`);
    this.#logDir = options.logDir;
    if (this.#logDir) mkdirSync(this.#logDir, { recursive: true });
    process.on('exit', this.#killAll);
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

  /** SIGKILL: no cleanup, no flush, connections dropped mid-conversation. Resolves on exit. */
  async kill(name: string): Promise<Exit> {
    const child = this.#child(name);
    child.killed = true;
    child.process.kill('SIGKILL');
    return child.exited;
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
    return this.#child(name).tail.slice(-lines).join('\n');
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
    this.#killAll();
    await Promise.all(live.map((c) => c.exited));
    process.off('exit', this.#killAll);
    await Promise.all(this.#logs.map((log) => new Promise((resolve) => log.end(resolve))));
  }

  #child(name: string): Child {
    const child = this.#children.get(name);
    if (!child) throw new Error(`no process named ${name}`);
    return child;
  }

  #send(name: string, message: ParentMessage): void {
    const child = this.#child(name);
    if (child.exit === undefined && child.process.connected) child.process.send(message);
  }

  #spawn(name: string, script: 'managerProcess' | 'participantProcess', args: string[], generation = 1): Child {
    const child = fork(join(scripts.dir, `${script}${scripts.extension}`), args, {
      execArgv: scripts.execArgv,
      env: { ...process.env, ...configToEnv(this.config), SAGA_LOG_LEVEL: process.env.SAGA_LOG_LEVEL ?? 'warn' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const tail: string[] = [];
    const log = this.#logDir ? createWriteStream(join(this.#logDir, `${name}.log`), { flags: 'a' }) : undefined;
    if (log) this.#logs.push(log);
    log?.write(`--- ${name} #${generation} pid ${child.pid} at ${new Date().toISOString()}\n`);
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        log?.write(chunk);
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        tail.push(...lines.filter((l) => l.trim() !== ''));
        if (tail.length > 200) tail.splice(0, tail.length - 200);
      });
    }
    let markReady: () => void = () => undefined;
    let failReady: (error: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    const timer = setTimeout(() => failReady(new Error(`${name} was not ready within 60 s:\n${tail.slice(-20).join('\n')}`)), 60_000);
    timer.unref();
    const record: Child = {
      name,
      generation,
      process: child,
      ready,
      tail,
      exited: new Promise<Exit>((resolve) =>
        child.on('exit', (code, signal) => {
          record.exit = { code, signal };
          log?.write(`--- ${name} #${generation} exited (code ${code}, signal ${signal})\n`);
          clearTimeout(timer);
          failReady(new Error(`${name} exited (code ${code}, signal ${signal}) before it was ready:\n${tail.slice(-20).join('\n')}`));
          resolve(record.exit);
        }),
      ),
    };
    child.on('message', (message: ChildMessage) => {
      switch (message.type) {
        case 'ready':
          record.isReady = true;
          record.timing = { loadMs: message.loadMs, setupMs: message.setupMs };
          clearTimeout(timer);
          markReady();
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
