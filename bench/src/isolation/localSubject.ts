/**
 * A subject held by this process, and the one copy of the per-saga loop: a warm-up, a measured round
 * (wall time, this process's CPU, the servers' CPU, the store's counts, each saga's latency), a
 * profiled round, a recovery sweep. The bench process uses it directly with `--in-process`; otherwise
 * a subject's own child process does (subjectHost.ts), so the CPU it measures is that subject's alone.
 */
import { Profiler } from '../profile.js';
import { writeProfile } from '../profileReport.js';
import { measureRound, runPool } from '../runner.js';
import { isRemote, type SagaWorkload, type Subject } from '../subjects/subject.js';
import type { RoundRequest, RoundResult, SubjectFacts, SubjectHandle, SweepMeasure } from './subjectHandle.js';

/** Per-step latencies of W3 from the times of each stream's appends: step k = append k − append k−1, k = 1…3. */
export const stepLatenciesOf = (appendTimes: ReadonlyMap<string, readonly number[]>): number[] => {
  const latencies: number[] = [];
  for (const times of appendTimes.values()) {
    for (let step = 1; step <= 3 && step < times.length; step += 1) latencies.push((times[step] as number) - (times[step - 1] as number));
  }
  return latencies;
};

/** What the parent needs to know of a subject it opened, as plain data (it crosses the process boundary). */
const factsOf = (subject: Subject): SubjectFacts => ({
  engine: subject.engine,
  store: subject.store,
  ...(subject.broker !== undefined ? { broker: subject.broker } : {}),
  ...(subject.serverCpu !== undefined ? { serverCpuOf: subject.serverCpu.of } : {}),
  ...(subject.setupMs !== undefined ? { setupMs: subject.setupMs } : {}),
  sweeps: subject.sweep !== undefined,
});

export class LocalSubject implements SubjectHandle {
  readonly facts: SubjectFacts;
  readonly #runners = new Map<SagaWorkload, (index: number) => Promise<void>>();
  /** The bench process's profiler (--in-process), or one of this process's own, made on first use. */
  #profiler: Profiler | undefined;
  readonly #ownsProfiler: boolean;

  constructor(
    readonly subject: Subject,
    readonly log: (line: string) => void,
    profiler?: Profiler,
  ) {
    this.facts = factsOf(subject);
    this.#profiler = profiler;
    this.#ownsProfiler = profiler === undefined;
  }

  #runner(workload: SagaWorkload): (index: number) => Promise<void> {
    let run = this.#runners.get(workload);
    if (run === undefined) {
      run = this.subject.runner(workload);
      this.#runners.set(workload, run);
    }
    return run;
  }

  warmUp(workload: SagaWorkload, count: number, inFlight: number): Promise<void> {
    return runPool(count, inFlight, this.#runner(workload));
  }

  async profile(request: RoundRequest, name: string): Promise<void> {
    this.#profiler ??= new Profiler();
    const run = this.#runner(request.workload);
    try {
      await this.#profiler.start();
      await runPool(request.sagas, request.inFlight, (index) => run(request.offset + index));
      writeProfile(name, await this.#profiler.stop(), this.log);
    } catch (error) {
      await this.#profiler.stop().catch(() => undefined);
      throw error;
    }
  }

  async round(request: RoundRequest): Promise<RoundResult> {
    const { counting, serverCpu } = this.subject;
    const remote = isRemote(request.workload);
    counting?.reset();
    if (counting) counting.trackTimes = remote;
    const run = this.#runner(request.workload);
    const sagaLatencies: number[] = [];
    const measure = await measureRound(
      () =>
        runPool(request.sagas, request.inFlight, async (index) => {
          const started = performance.now();
          await run(request.offset + index);
          sagaLatencies.push(performance.now() - started);
        }),
      serverCpu,
    );
    return {
      round: counting
        ? {
            ...measure,
            appends: counting.appends,
            conflicts: counting.conflicts,
            reads: counting.reads,
            listings: counting.listings,
            readAlls: counting.readAlls,
            indexQueries: counting.indexQueries,
            indexClaims: counting.indexClaims,
          }
        : measure,
      sagaLatencies,
      stepLatencies: counting && remote ? stepLatenciesOf(counting.appendTimes) : [],
    };
  }

  async sweep(): Promise<SweepMeasure> {
    const { counting, serverCpu, sweep } = this.subject;
    if (sweep === undefined) throw new Error(`${this.facts.engine} on ${this.facts.store} has no recovery sweep; ask only subjects whose 'sweeps' is true.`);
    counting?.reset();
    let scanned = 0;
    const measure = await measureRound(async () => {
      scanned = await sweep.call(this.subject);
    }, serverCpu);
    return { ...measure, scanned, ...(counting ? { reads: counting.reads, listings: counting.listings } : {}) };
  }

  async close(): Promise<void> {
    try {
      await this.subject.close();
    } finally {
      if (this.#ownsProfiler) this.#profiler?.close();
    }
  }
}
