/**
 * A child process a test starts, talks to, kills and reaps: the one way multi-process tests run a
 * saga engine they mean to crash.
 *
 * Why not `tsx <file>` or `spawn(...)` by hand: tsx's command runs the script in a process of its
 * own, so a SIGKILL sent to the pid the test holds kills the wrapper and leaves the engine running,
 * re-parented to init. Here a TypeScript file runs as `node --import tsx <file>` (the script is the
 * process), the child reports its own pid over IPC (`announceReady` in parentChannel.ts), and `kill`
 * refuses to call a child dead unless the pid it killed is the pid that announced itself, its exit was
 * reaped with SIGKILL, and no process of its group (grandchildren included) is left.
 *
 * Every child is its own process-group leader, so teardown (`stopChildProcesses`, also run when the
 * test process exits) kills what it started, failed test or not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ChildProcessError } from './childProcessError.js';
import { isProcessGroupGone, isProcessGone } from './processLiveness.js';

/** A message over the IPC channel: a JSON object with a `type`. */
export interface ChildMessage {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ChildProcessOptions {
  /** The script: a `.ts` file runs through tsx's loader, anything else with plain node. */
  readonly script: string;
  readonly args?: readonly string[];
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Names the child in errors and in `tail` (default: the script's file name). */
  readonly name?: string;
  readonly cwd?: string;
  /** Also write everything the child prints to this file (kept for reading after a failure). */
  readonly logFile?: string;
  /** How long `ready()` waits for the child to announce itself. Default 30 000 ms. */
  readonly readyTimeoutMs?: number;
}

export interface WaitForMessageOptions {
  /** What the child was expected to reach, named in the error when it does not. */
  readonly point?: string;
  /** Default 30 000 ms. */
  readonly timeoutMs?: number;
}

const live = new Set<TestChildProcess>();
const tailLimit = 200;

/** SIGKILL to every child still running (and its group). Synchronous: it runs from `process.on('exit')`. */
const killLiveGroups = (): void => {
  for (const child of live) child.signalGroup('SIGKILL');
};
let exitHookInstalled = false;

export class TestChildProcess {
  readonly name: string;
  /** The pid this process spawned (the child is its process group's leader). */
  readonly pid: number;
  /** Every message the child sent, in order. */
  readonly messages: ChildMessage[] = [];
  /** Resolves when the child exited and was reaped. */
  readonly exited: Promise<ChildExit>;
  readonly #process: ChildProcess;
  readonly #tail: string[] = [];
  readonly #listeners = new Set<() => void>();
  readonly #log: WriteStream | undefined;
  readonly #readyTimeoutMs: number;
  #exit: ChildExit | undefined;
  #announcedPid: number | undefined;

  private constructor(options: ChildProcessOptions) {
    this.name = options.name ?? options.script.split('/').pop() ?? options.script;
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
    const execArgv = options.script.endsWith('.ts') ? ['--import', tsxLoader(options.script)] : [];
    this.#process = spawn(process.execPath, [...execArgv, options.script, ...(options.args ?? [])], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Its own process group: one signal to -pid reaches everything the child started.
      detached: true,
    });
    if (this.#process.pid === undefined) throw new ChildProcessError(`${this.name} could not be started (${options.script}); is the path right?`);
    this.pid = this.#process.pid;
    this.#log = options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: 'a' });
    this.#log?.write(`--- ${this.name} pid ${this.pid} at ${new Date().toISOString()}\n`);
    for (const stream of [this.#process.stdout, this.#process.stderr]) {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        this.#log?.write(chunk);
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        this.#tail.push(...lines.filter((line) => line.trim() !== ''));
        if (this.#tail.length > tailLimit) this.#tail.splice(0, this.#tail.length - tailLimit);
        this.#notify();
      });
      stream?.on('end', () => {
        if (partial.trim() !== '') this.#tail.push(partial);
        partial = '';
      });
    }
    this.#process.on('message', (message: unknown) => {
      if (typeof message !== 'object' || message === null || typeof (message as ChildMessage).type !== 'string') return;
      const pid = (message as ChildMessage).pid;
      if (typeof pid === 'number' && this.#announcedPid === undefined) this.#announcedPid = pid;
      this.messages.push(message as ChildMessage);
      this.#notify();
    });
    this.exited = new Promise<ChildExit>((resolve) => {
      // 'close', not 'exit': the child is reaped and its output read to the end.
      this.#process.on('close', (code, signal) => {
        this.#exit = { code, signal };
        live.delete(this);
        this.#log?.end(`--- ${this.name} pid ${this.pid} exited (code ${code}, signal ${signal})\n`);
        this.#notify();
        resolve(this.#exit);
      });
    });
    live.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', killLiveGroups);
    }
  }

  /** Starts `options.script` as a child process with an IPC channel. */
  static start(options: ChildProcessOptions): TestChildProcess {
    return new TestChildProcess(options);
  }

  /** How the child ended, or undefined while it runs. */
  get exit(): ChildExit | undefined {
    return this.#exit;
  }

  /** The pid the child reported (`announceReady`, or any message with a `pid`), once it did. */
  get announcedPid(): number | undefined {
    return this.#announcedPid;
  }

  /** The last lines the child printed (stdout and stderr). */
  tail(lines = 20): string {
    return this.#tail.slice(-lines).join('\n');
  }

  /**
   * Waits for the child's `ready` message and checks that the pid in it is the pid spawned: the
   * process this test will kill is the process that runs the script (no wrapper in between).
   */
  async ready(): Promise<ChildMessage> {
    const message = await this.waitForMessage((m) => m.type === 'ready', { point: 'ready', timeoutMs: this.#readyTimeoutMs });
    this.#checkPid();
    return message;
  }

  /** The first pid the child reported (in any message) must be the pid spawned. */
  #checkPid(): void {
    const announced = this.#announcedPid;
    if (announced === undefined) {
      throw new ChildProcessError(`${this.name} (pid ${this.pid}) has not announced its pid yet: await ready() (or a message carrying its pid) first, so the kill is known to reach the engine.`);
    }
    if (announced !== this.pid) {
      throw new ChildProcessError(
        `${this.name}: the script announced pid ${announced}, but the process started is pid ${this.pid}: a wrapper runs it in another process, ` +
          `which a SIGKILL to ${this.pid} would not reach. Start the script itself (node --import tsx <file>), not through a command that spawns it.`,
      );
    }
  }

  /** Calls `listener` for every message the child sends from now on; returns how to stop listening. */
  onMessage(listener: (message: ChildMessage) => void): () => void {
    let seen = this.messages.length;
    const forward = (): void => {
      while (seen < this.messages.length) listener(this.messages[seen++] as ChildMessage);
    };
    this.#listeners.add(forward);
    return () => void this.#listeners.delete(forward);
  }

  /** Sends a message to the child (ignored once it exited). */
  send(message: ChildMessage): void {
    if (this.#exit === undefined && this.#process.connected) this.#process.send(message);
  }

  /**
   * The first message (since the child started) that matches; fails after `timeoutMs`, or as soon as
   * the child exits, with the point it did not reach and its last output.
   */
  waitForMessage(match: string | ((message: ChildMessage) => boolean), options: WaitForMessageOptions = {}): Promise<ChildMessage> {
    const test = typeof match === 'string' ? (m: ChildMessage) => m.type === match : match;
    const point = options.point ?? (typeof match === 'string' ? `a '${match}' message` : 'the expected message');
    return this.#until(() => this.messages.find(test), point, options.timeoutMs ?? 30_000);
  }

  /** Waits until the child printed a line that contains `text` (or matches it). */
  waitForOutput(text: string | RegExp, options: WaitForMessageOptions = {}): Promise<string> {
    const test = (line: string): boolean => (typeof text === 'string' ? line.includes(text) : text.test(line));
    return this.#until(() => this.#tail.find(test), options.point ?? `output ${String(text)}`, options.timeoutMs ?? 30_000);
  }

  /** Waits until the child exits on its own; fails after `timeoutMs` naming what it was expected to finish, with its last output. */
  async waitForExit(options: WaitForMessageOptions = {}): Promise<ChildExit> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const point = options.point ?? 'its exit';
    return new Promise<ChildExit>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ChildProcessError(`${this.name} (pid ${this.pid}) did not reach ${point} within ${timeoutMs} ms; its last output:\n${this.tail() || '(nothing)'}`)), timeoutMs);
      void this.exited.then((exit) => {
        clearTimeout(timer);
        resolve(exit);
      });
    });
  }

  /**
   * SIGKILL (no cleanup, no flush) to the child and its process group, then waits until it is reaped.
   * Resolves with the exit once the killed pid is the announced one, it died of SIGKILL, and nothing
   * of its group is left; throws otherwise.
   */
  async kill(): Promise<ChildExit> {
    if (this.#exit !== undefined) {
      throw new ChildProcessError(`${this.name} (pid ${this.pid}) had already exited (code ${this.#exit.code}, signal ${this.#exit.signal}) before it was killed; its last output:\n${this.tail()}`);
    }
    this.#checkPid();
    this.signalGroup('SIGKILL');
    const exit = await this.exited;
    if (exit.signal !== 'SIGKILL') {
      throw new ChildProcessError(`${this.name} (pid ${this.pid}) ended with code ${exit.code} / signal ${exit.signal}, not by the SIGKILL sent to it; its last output:\n${this.tail()}`);
    }
    await this.#assertGone();
    return exit;
  }

  /**
   * Asks the child to stop (`{ type: 'stop' }`, then SIGTERM), waits up to `graceMs`, then kills it
   * and its group. Resolves once everything is reaped; a child already gone resolves at once.
   */
  async stop(graceMs = 5_000): Promise<ChildExit> {
    if (this.#exit === undefined) {
      this.send({ type: 'stop' });
      this.#process.kill('SIGTERM');
      const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([this.exited, timer]);
    }
    this.signalGroup('SIGKILL'); // grandchildren the child left behind, if any
    const exit = await this.exited;
    await this.#assertGone();
    return exit;
  }

  /** Sends `signal` to the child's process group (the child and whatever it started). Internal to teardown. */
  signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // The group is empty: nothing to signal.
    }
  }

  async #assertGone(): Promise<void> {
    // Grandchildren are reaped by init, not by us: give it a moment (bounded), then say what is left.
    const deadline = Date.now() + 5_000;
    while (!(isProcessGone(this.pid) && isProcessGroupGone(this.pid))) {
      if (Date.now() > deadline) {
        throw new ChildProcessError(`${this.name}: pid ${this.pid} or a process of its group is still running after SIGKILL.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  #until<T>(find: () => T | undefined, point: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        const found = find();
        if (found !== undefined) {
          finish();
          resolve(found);
          return true;
        }
        if (this.#exit !== undefined) {
          finish();
          reject(new ChildProcessError(`${this.name} (pid ${this.pid}) exited (code ${this.#exit.code}, signal ${this.#exit.signal}) before it reached ${point}; its last output:\n${this.tail()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new ChildProcessError(`${this.name} (pid ${this.pid}) did not reach ${point} within ${timeoutMs} ms; its last output:\n${this.tail() || '(nothing)'}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
      };
      const listener = (): void => void check();
      if (!check()) this.#listeners.add(listener);
    });
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/** The children started and not yet reaped. */
export const liveChildProcesses = (): readonly TestChildProcess[] => [...live];

/**
 * Teardown: stops every child still running (and its group) and waits until all are reaped. Call it
 * from `afterEach`/`afterAll`: it runs whether the test passed or failed.
 */
export const stopChildProcesses = async (graceMs = 2_000): Promise<void> => {
  await Promise.all([...live].map((child) => child.stop(graceMs)));
};

/**
 * tsx's loader as a URL for `--import`, found from the script's own folder first (the package
 * that owns the script depends on tsx), then from here.
 */
const tsxLoader = (script: string): string => {
  for (const from of [script, import.meta.url]) {
    try {
      return pathToFileURL(createRequire(from).resolve('tsx')).href;
    } catch {
      // try the next place
    }
  }
  throw new ChildProcessError(`${script} is TypeScript, and tsx is not installed where it or @saga/testing can find it: add tsx to the package's devDependencies, or start a built .js file.`);
};
