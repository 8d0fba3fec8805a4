/**
 * A subject in a child process of its own (the default): the bench process forks subjectHost.js, tells
 * it which subject to open, and asks it for warm-ups, rounds and a sweep one at a time, as it would ask
 * a subject it held itself. A child that fails to open becomes a SubjectUnavailable with its reason; a
 * child that dies fails what was asked of it (and everything after) with the reason, never a hang; and
 * every child still alive is killed when the bench process exits, whether it succeeded or not.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SubjectUnavailable, type SagaWorkload } from '../subjects/subject.js';
import { decodeError, parseMessage, type HostRequest, type ReplyValues } from './protocol.js';
import type { RoundRequest, RoundResult, SubjectFacts, SubjectHandle, SweepMeasure } from './subjectHandle.js';
import { describeSpec, type SubjectSpec } from './subjectSpec.js';

const hostEntry = fileURLToPath(new URL('./subjectHost.js', import.meta.url));

/** How long a closing child may take before it is killed. */
const closeTimeoutMs = 30_000;

const alive = new Set<ChildProcess>();
let killOnExit = false;

const killAll = (): void => {
  for (const child of alive) child.kill('SIGKILL');
};

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

class ChildSubject implements SubjectHandle {
  constructor(
    readonly channel: HostChannel,
    readonly facts: SubjectFacts,
  ) {}

  async warmUp(workload: SagaWorkload, count: number, inFlight: number): Promise<void> {
    await this.channel.call({ type: 'warmUp', workload, count, inFlight });
  }

  async profile(request: RoundRequest, name: string): Promise<void> {
    await this.channel.call({ type: 'profile', request, name });
  }

  round(request: RoundRequest): Promise<RoundResult> {
    return this.channel.call({ type: 'round', request });
  }

  sweep(): Promise<SweepMeasure> {
    return this.channel.call({ type: 'sweep' });
  }

  close(): Promise<void> {
    return this.channel.close();
  }
}

/** The channel to one child: numbered requests, their replies, and the child's death. */
class HostChannel {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  /** Why the child is gone, once it is. */
  #gone: string | undefined;
  /** The reason a dying child sent before it exited. */
  #fatal: string | undefined;
  readonly #exited: Promise<void>;

  constructor(readonly name: string) {
    if (!killOnExit) {
      killOnExit = true;
      process.on('exit', killAll);
    }
    this.#child = fork(hostEntry, [], { serialization: 'advanced', stdio: 'inherit' });
    alive.add(this.#child);
    this.#exited = new Promise((resolve) => {
      const ended = (why: string): void => {
        alive.delete(this.#child);
        this.#gone ??= this.#fatal ?? why;
        for (const pending of this.#pending.values()) pending.reject(new Error(`the process running ${name} ${this.#gone}`));
        this.#pending.clear();
        resolve();
      };
      this.#child.once('exit', (code, signal) => ended(signal !== null ? `was killed by ${signal}` : `exited with code ${code}`));
      this.#child.once('error', (error) => ended(`failed: ${error.message}`));
    });
    this.#child.on('message', (message: unknown) => {
      try {
        const parsed = parseMessage(message);
        if ('fatal' in parsed) {
          this.#fatal = `died: ${parsed.fatal.message}`;
          return;
        }
        const pending = this.#pending.get(parsed.id);
        this.#pending.delete(parsed.id);
        if (parsed.ok) pending?.resolve(parsed.value);
        else pending?.reject(decodeError(parsed.error));
      } catch (error) {
        this.#fatal = String(error);
        this.#child.kill('SIGKILL');
      }
    });
  }

  call<T extends HostRequest>(request: T): Promise<ReplyValues[T['type']]> {
    if (this.#gone !== undefined) return Promise.reject(new Error(`the process running ${this.name} ${this.#gone}`));
    const id = this.#next;
    this.#next += 1;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#child.send({ id, request }, (error) => {
        if (error === null) return;
        this.#pending.delete(id);
        reject(new Error(`could not reach the process running ${this.name}: ${error.message}`));
      });
    });
  }

  /** Asks the child to close its subject and exit; kills it if it does not within the timeout. */
  async close(): Promise<void> {
    if (this.#gone !== undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the process running ${this.name} did not close within ${closeTimeoutMs / 1_000} s; killed`)), closeTimeoutMs);
    });
    try {
      await Promise.race([this.call({ type: 'close' }), timedOut]);
      await Promise.race([this.#exited, timedOut]);
    } finally {
      clearTimeout(timer);
      this.kill();
    }
  }

  kill(): void {
    if (this.#gone === undefined) this.#child.kill('SIGKILL');
  }
}

/** Forks a child, opens `spec` in it; a failure to open is a SubjectUnavailable (and the child is killed). */
export const openChildSubject = async (spec: SubjectSpec): Promise<SubjectHandle> => {
  const what = describeSpec(spec);
  const channel = new HostChannel(`${what.engine} on ${what.store}${what.broker ? ` / ${what.broker}` : ''}`);
  try {
    return new ChildSubject(channel, await channel.call({ type: 'open', spec }));
  } catch (error) {
    channel.kill();
    if (error instanceof SubjectUnavailable) throw error;
    throw new SubjectUnavailable(error instanceof Error ? error.message : String(error));
  }
};
