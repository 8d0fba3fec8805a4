/**
 * `pnpm bench`: this engine on memory, SQLite and PostgreSQL (and over RabbitMQ and NATS), against
 * DBOS and Restate on the same machine in the same run. Prints a table, writes
 * bench/results/latest.json and docs/benchmarks.md (a `--quick` run writes bench/results/quick.json
 * only). See options.ts for the flags and report.ts for how each figure is measured.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { durableComparisonHeaders, durableComparisonRows, durableLabel } from './durableComparison.js';
import {
  byStoreAndSize,
  comparisonHeaders,
  comparisonRows,
  memoryRows,
  replayHeaders,
  replayRow,
  sagaHeaders,
  sagaRow,
  scaleHeaders,
  scaleRow,
  sweepHeaders,
  sweepRow,
} from './format.js';
import { redact } from './adapters.js';
import { commitFloors, floorLine, latencyLine } from './commitFloor.js';
import { measureCommitLatency } from './commitLatency.js';
import { machineInfo } from './machine.js';
import { parseOptions, usage, UsageError, type BenchOptions, type ModeName } from './options.js';
import { docPath, resultsDir } from './paths.js';
import { Profiler } from './profile.js';
import { writeProfile } from './profileReport.js';
import { renderDocument } from './report.js';
import type { BenchReport, CaseResult, CommitLatency, MemoryCaseResult, ReplayCaseResult, SagaCaseResult, ScaleCaseResult, SweepCaseResult } from './results.js';
import { reasonOf } from './runner.js';
import { percentiles, summarize } from './stats.js';
import { engineName, type EngineSubjectOptions } from './subjects/engine.js';
import { isRemote, SubjectUnavailable, type SagaWorkload } from './subjects/subject.js';
import { openChildSubject } from './isolation/childSubject.js';
import { LocalSubject } from './isolation/localSubject.js';
import type { CountedRound, SubjectHandle } from './isolation/subjectHandle.js';
import { describeSpec, openSubject, type SubjectSpec } from './isolation/subjectSpec.js';
import { checkTargets } from './targets.js';
import { engineLocalWorkloads, localOrder, peerLocalWorkloads, type LocalWorkload } from './localWorkloads.js';
import { keptCommitLatency, keptNotes, mergeCases } from './merge.js';
import { fanoutHeaders, fanoutRows, fanoutWidth, fanoutWorkloads } from './fanout/fanoutComparison.js';
import { measureMemory } from './workloads/memory.js';
import { buildHistories, measureReplay, recordTemplates, replayFor, replaySink } from './workloads/replay.js';
import { measureScale, openExecutions, postgresScaleStore, recordScaleTemplates, sqliteScaleStore, type ScaleStore } from './workloads/scale.js';

const log = (line: string): void => console.log(line);

/** No colours: the output goes to CI logs and files as often as to a terminal. */
const plain = { head: [], border: [] };

/**
 * Decision points per saga (its start, each reply, each vote, and each durable local step, whose
 * result is stored before the next step runs): the most appends it should take.
 */
const boundaries: Record<SagaWorkload, number> = { W1: 1, 'W1-durable': 4, W2: 1, W3: 7, 'W3-no2pc': 4, 'F10-parallel': 1 + fanoutWidth, 'F10-sequence': 1 + fanoutWidth };

interface Planned {
  readonly id: string;
  readonly workload: SagaWorkload;
  readonly mode: ModeName;
  readonly inFlight: number;
  readonly sagas: number;
  readonly subject: SubjectHandle;
  readonly rounds: CountedRound[];
  readonly sagaLatencies: number[];
  readonly stepLatencies: number[];
  failure?: string;
}

const caseId = (workload: string, engine: string, store: string, broker: string | undefined, mode: string): string =>
  [workload, engine, store, broker, mode].filter((part) => part !== undefined).join('/');

const notRun = (
  workload: SagaWorkload,
  engine: string,
  store: string,
  broker: string | undefined,
  mode: ModeName,
  options: BenchOptions,
  status: 'skipped' | 'unavailable',
  reason: string,
): SagaCaseResult => ({
  kind: 'sagas',
  id: caseId(workload, engine, store, broker, mode),
  workload,
  engine,
  store,
  ...(broker !== undefined ? { broker } : {}),
  mode,
  inFlight: mode === 'sequential' ? 1 : options.inFlight,
  status,
  reason,
});

/**
 * Runs planned cases round-robin: a warm-up of each, then round r of every case before round r+1
 * of any, so that background load on the machine falls on all of them alike.
 */
const runInterleaved = async (planned: Planned[], options: BenchOptions, rounds: number): Promise<void> => {
  for (const item of planned) {
    try {
      await item.subject.warmUp(item.workload, Math.min(options.warmup, isRemote(item.workload) ? Math.ceil(item.sagas / 2) : item.sagas), item.inFlight);
    } catch (error) {
      item.failure = `failed in the warm-up: ${reasonOf(error)}`;
      log(`  ${item.id}: ${item.failure}`);
    }
  }
  // --profile: one more round of each case, profiled and not counted (the profiler slows it down).
  for (const item of options.profile ? planned : []) {
    if (item.failure !== undefined) continue;
    try {
      await item.subject.profile({ workload: item.workload, sagas: item.sagas, inFlight: item.inFlight, offset: 0 }, item.id);
    } catch (error) {
      log(`  ${item.id}: profiling failed: ${reasonOf(error)}`);
    }
  }
  for (let round = 0; round < rounds; round += 1) {
    for (const item of planned) {
      if (item.failure !== undefined) continue;
      try {
        const result = await item.subject.round({ workload: item.workload, sagas: item.sagas, inFlight: item.inFlight, offset: (round + 1) * 1_000_000 });
        item.rounds.push(result.round);
        item.sagaLatencies.push(...result.sagaLatencies);
        item.stepLatencies.push(...result.stepLatencies);
        log(`  ${item.id} round ${round + 1}/${rounds}: ${((item.sagas * 1_000) / result.round.wallMs).toFixed(0)} sagas/s`);
      } catch (error) {
        item.failure = `failed in round ${round + 1}: ${reasonOf(error)}`;
        log(`  ${item.id}: ${item.failure}`);
      }
    }
  }
};

const resultOf = (item: Planned): SagaCaseResult => {
  const { subject } = item;
  const base = {
    kind: 'sagas' as const,
    id: item.id,
    workload: item.workload,
    engine: subject.facts.engine,
    store: subject.facts.store,
    ...(isRemote(item.workload) && subject.facts.broker !== undefined ? { broker: subject.facts.broker } : {}),
    mode: item.mode,
    inFlight: item.inFlight,
  };
  if (item.failure !== undefined || item.rounds.length === 0) return { ...base, status: 'unavailable', reason: item.failure ?? 'no round completed' };
  const sagas = item.sagas * item.rounds.length;
  const server = item.rounds.every((round) => round.serverCpuMs !== undefined);
  const counted = item.rounds.every((round) => round.appends !== undefined);
  return {
    ...base,
    status: 'ok',
    sagasPerRound: item.sagas,
    rounds: item.rounds.length,
    throughput: summarize(item.rounds.map((round) => (item.sagas * 1_000) / round.wallMs)),
    throughputPerRound: item.rounds.map((round) => (item.sagas * 1_000) / round.wallMs),
    cpuMsPerSaga: summarize(item.rounds.map((round) => round.cpuMs / item.sagas)),
    ...(server && subject.facts.serverCpuOf !== undefined
      ? { serverCpuMsPerSaga: summarize(item.rounds.map((round) => (round.serverCpuMs as number) / item.sagas)), serverCpuOf: subject.facts.serverCpuOf }
      : {}),
    ...(counted
      ? {
          appendsPerSaga: item.rounds.reduce((sum, round) => sum + (round.appends ?? 0), 0) / sagas,
          conflictsPerSaga: item.rounds.reduce((sum, round) => sum + (round.conflicts ?? 0), 0) / sagas,
          readsPerSaga: item.rounds.reduce((sum, round) => sum + (round.reads ?? 0), 0) / sagas,
          listingsPerSaga: item.rounds.reduce((sum, round) => sum + (round.listings ?? 0), 0) / sagas,
          readAllsPerSaga: item.rounds.reduce((sum, round) => sum + (round.readAlls ?? 0), 0) / sagas,
          indexQueriesPerSaga: item.rounds.reduce((sum, round) => sum + (round.indexQueries ?? 0), 0) / sagas,
          indexClaimsPerSaga: item.rounds.reduce((sum, round) => sum + (round.indexClaims ?? 0), 0) / sagas,
          boundariesPerSaga: boundaries[item.workload],
        }
      : {}),
    sagaLatencyMs: percentiles(item.sagaLatencies),
    ...(isRemote(item.workload) ? { stepLatencyMs: percentiles(item.stepLatencies) } : {}),
  };
};

/** One recovery sweep of this engine over the store as the rounds left it. */
const measureSweep = async (subject: SubjectHandle): Promise<SweepCaseResult> => {
  const id = `sweep/${subject.facts.store}`;
  try {
    const { scanned, wallMs, cpuMs, serverCpuMs, reads, listings } = await subject.sweep();
    log(`  recovery sweep on ${subject.facts.store}: ${scanned} executions in ${(wallMs / 1_000).toFixed(2)} s`);
    return {
      kind: 'sweep',
      id,
      store: subject.facts.store,
      status: 'ok',
      scanned,
      wallMs,
      cpuMs,
      ...(serverCpuMs !== undefined ? { serverCpuMs } : {}),
      ...(reads !== undefined && listings !== undefined ? { reads, listings } : {}),
    };
  } catch (error) {
    return { kind: 'sweep', id, store: subject.facts.store, status: 'unavailable', reason: reasonOf(error) };
  }
};

/**
 * Opens a subject — in a child process of its own, or in this process with --in-process — or records
 * why its cases cannot run.
 */
const open = async (
  spec: SubjectSpec,
  workloads: readonly SagaWorkload[],
  options: BenchOptions,
  results: CaseResult[],
  profiler: Profiler | undefined,
  /** The broker its cases name (none for W1, W1-durable and W2). */
  broker?: string,
): Promise<SubjectHandle | undefined> => {
  const what = describeSpec(spec);
  log(`Setting up ${what.engine} on ${what.store}${broker ? ` / ${broker}` : ''}${options.inProcess ? ' (in this process)' : ' (in its own process)'}…`);
  try {
    const subject = options.inProcess ? new LocalSubject(await openSubject(spec, log), log, profiler) : await openChildSubject(spec);
    if (subject.facts.setupMs !== undefined) log(`  ready in ${(subject.facts.setupMs / 1_000).toFixed(2)} s`);
    return subject;
  } catch (error) {
    const status = error instanceof SubjectUnavailable ? error.status : 'unavailable';
    const reason = reasonOf(error);
    log(`  ${status}: ${reason}`);
    for (const workload of workloads) {
      for (const mode of options.modes) results.push(notRun(workload, what.engine, what.store, broker, mode, options, status, reason));
    }
    return undefined;
  }
};

/** This engine on a store and broker, as a subject to open. */
const engineSpec = (options: BenchOptions, settings: Pick<EngineSubjectOptions, 'store' | 'broker' | 'withParticipants'> & Partial<EngineSubjectOptions>): SubjectSpec => ({
  engine: engineName,
  options: { postgresUrl: options.postgresUrl, amqpUrl: options.amqpUrl, natsUrl: options.natsUrl, ...settings },
});

const plan = (subject: SubjectHandle, workload: SagaWorkload, options: BenchOptions, sagas: number): Planned[] =>
  options.modes.map((mode) => ({
    id: caseId(workload, subject.facts.engine, subject.facts.store, isRemote(workload) ? subject.facts.broker : undefined, mode),
    workload,
    mode,
    inFlight: mode === 'sequential' ? 1 : options.inFlight,
    sagas,
    subject,
    rounds: [],
    sagaLatencies: [],
    stepLatencies: [],
  }));

const runLocalWorkloads = async (options: BenchOptions, results: CaseResult[], profiler: Profiler | undefined): Promise<void> => {
  const workloads = engineLocalWorkloads(options.workloads);
  if (workloads.length === 0) return;
  // The peers run the counterpart of each: W1-durable is set beside their W1, in the same rounds.
  const peerWorkloads = peerLocalWorkloads(workloads);
  log(`\n== ${workloads.join(', ')}: ${options.rounds} rounds × ${options.sagas} sagas, interleaved`);
  const subjects: SubjectHandle[] = [];
  for (const store of options.stores) {
    const subject = await open(engineSpec(options, { store, broker: 'memory', withParticipants: false }), workloads, options, results, profiler);
    if (subject) subjects.push(subject);
  }
  if (options.peers.includes('dbos')) {
    const subject = await open({ engine: 'dbos', postgresUrl: options.postgresUrl }, peerWorkloads, options, results, profiler);
    if (subject) subjects.push(subject);
  }
  if (options.peers.includes('restate')) {
    const subject = await open({ engine: 'restate' }, peerWorkloads, options, results, profiler);
    if (subject) subjects.push(subject);
  }
  const runs = (subject: SubjectHandle, workload: LocalWorkload): boolean => (subject.facts.engine === engineName ? workloads : peerWorkloads).some((w) => w === workload);
  const planned = localOrder(workloads, peerWorkloads).flatMap((workload) =>
    subjects.filter((subject) => runs(subject, workload)).flatMap((subject) => plan(subject, workload, options, options.sagas)),
  );
  // The same-guarantee comparison: W3 and W3-no2pc on PostgreSQL (memory broker) in the same rounds as
  // the peers' W1, so that the load of a shared machine falls on both sides of the ratio alike.
  let comparison: SubjectHandle | undefined;
  if (comparesW3(options)) {
    log(`  with W3 and W3-no2pc on PostgreSQL / memory, ${w3ComparisonSagas(options)} sagas per round, in the same rounds`);
    comparison = await open(engineSpec(options, { store: 'postgres', broker: 'memory', withParticipants: true, schema: 'saga_bench_w3' }), remoteWorkloads, options, results, profiler, 'memory');
    if (comparison) planned.push(...remoteWorkloads.flatMap((workload) => plan(comparison as SubjectHandle, workload, options, w3ComparisonSagas(options))));
  }
  try {
    await runInterleaved(planned, options, options.rounds);
    for (const subject of subjects) {
      if (subject.facts.sweeps) results.push(await measureSweep(subject));
    }
  } finally {
    for (const subject of [...subjects, ...(comparison ? [comparison] : [])]) {
      await subject.close().catch((error: unknown) => log(`  closing ${subject.facts.engine}/${subject.facts.store}: ${reasonOf(error)}`));
    }
  }
  results.push(...planned.map((item) => resultOf(item)));
};

const remoteWorkloads: SagaWorkload[] = ['W3', 'W3-no2pc'];

/** W3 on PostgreSQL / memory runs with W1 (against the peers) when the peers run too. */
const comparesW3 = (options: BenchOptions): boolean =>
  options.workloads.includes('w1') && options.workloads.includes('w3') && options.stores.includes('postgres') && options.brokers.includes('memory') && options.peers.length > 0;

/** Sagas per round of W3 in the comparison: more than in the W3 section, for steadier rounds. */
const w3ComparisonSagas = (options: BenchOptions): number => options.remoteSagas * 4;

const runRemoteWorkload = async (options: BenchOptions, results: CaseResult[], profiler: Profiler | undefined): Promise<void> => {
  if (!options.workloads.includes('w3')) return;
  // W3 with the two-phase commit, and W3-no2pc (autocommit off: the participants are not asked to vote).
  const workloads = remoteWorkloads;
  const remaining = options.brokers.flatMap((broker) => options.stores.filter((store) => !(store === 'postgres' && broker === 'memory' && comparesW3(options))));
  if (remaining.length === 0) return;
  log(`\n== W3 and W3-no2pc: ${options.remoteRounds} rounds × ${options.remoteSagas} sagas, interleaved`);
  for (const broker of options.brokers) {
    for (const store of options.stores) {
      if (store === 'postgres' && broker === 'memory' && comparesW3(options)) continue; // ran with W1, against the peers
      const subject = await open(engineSpec(options, { store, broker, withParticipants: true }), workloads, options, results, profiler, broker);
      if (!subject) continue;
      const planned = workloads.flatMap((workload) => plan(subject, workload, options, options.remoteSagas));
      try {
        await runInterleaved(planned, options, options.remoteRounds);
      } finally {
        await subject.close().catch((error: unknown) => log(`  closing ${store}/${broker}: ${reasonOf(error)}`));
      }
      results.push(...planned.map((item) => resultOf(item)));
    }
  }
};

/**
 * The fan-out: 10 remote requests in one parallel step against the same 10 in sequence, interleaved
 * round by round on each store (memory broker), so that both sides of the ratio meet the same load.
 */
const runFanout = async (options: BenchOptions, results: CaseResult[], profiler: Profiler | undefined): Promise<void> => {
  if (!options.workloads.includes('fanout')) return;
  const stores = options.stores.filter((store) => store === 'memory' || store === 'postgres');
  if (stores.length === 0) return;
  log(`\n== Fan-out: ${fanoutWidth} remote requests in one parallel step vs in sequence, each answered after ${options.fanoutServiceMs} ms: ${options.remoteRounds} rounds × ${options.remoteSagas} sagas`);
  for (const store of stores) {
    const subject = await open(
      engineSpec(options, { store, broker: 'memory', withParticipants: false, fanoutServiceMs: options.fanoutServiceMs, schema: 'saga_bench_fanout' }),
      fanoutWorkloads,
      options,
      results,
      profiler,
      'memory',
    );
    if (!subject) continue;
    const planned = fanoutWorkloads.flatMap((workload) => plan(subject, workload, options, options.remoteSagas));
    try {
      await runInterleaved(planned, options, options.remoteRounds);
    } finally {
      await subject.close().catch((error: unknown) => log(`  closing ${store}/memory: ${reasonOf(error)}`));
    }
    results.push(...planned.map((item) => resultOf(item)));
  }
};

const runReplay = async (options: BenchOptions, results: CaseResult[], profiler: Profiler | undefined): Promise<void> => {
  if (!options.workloads.includes('w4')) return;
  log(`\n== W4: replay of ${options.replaySizes.map((size) => size.toLocaleString('en-US')).join(', ')} events`);
  let templates;
  try {
    templates = await recordTemplates();
  } catch (error) {
    for (const events of options.replaySizes) {
      results.push({ kind: 'replay', id: `W4/${events}`, workload: 'W4', events, streams: 0, bytes: 0, status: 'unavailable', reason: `recording the template histories failed: ${reasonOf(error)}` });
    }
    return;
  }
  for (const size of options.replaySizes) {
    const set = buildHistories(templates, size);
    const id = `W4/${size}`;
    try {
      const measure = measureReplay(set, options.rounds, options.replayMinMs);
      if (profiler) {
        await profiler.start();
        replayFor(set, options.replayMinMs * 2);
        writeProfile(id, await profiler.stop(), log);
      }
      const result: ReplayCaseResult = {
        kind: 'replay',
        id,
        workload: 'W4',
        events: set.events,
        streams: set.histories.length,
        bytes: set.bytes,
        status: 'ok',
        rounds: options.rounds,
        ...measure,
      };
      results.push(result);
      log(`  ${id}: ${Math.round(measure.eventsPerSecond.median).toLocaleString('en-US')} events/s, ${measure.costVsJsonParse.median.toFixed(2)}× JSON.parse`);
    } catch (error) {
      results.push({ kind: 'replay', id, workload: 'W4', events: set.events, streams: set.histories.length, bytes: set.bytes, status: 'unavailable', reason: reasonOf(error) });
    }
  }
  if (replaySink() === -1) log('');
};

const runScale = async (options: BenchOptions, results: CaseResult[]): Promise<void> => {
  if (!options.workloads.includes('scale')) return;
  const stores: ScaleStore[] = [];
  if (options.stores.includes('sqlite')) stores.push(sqliteScaleStore());
  if (options.stores.includes('postgres')) stores.push(postgresScaleStore(options.postgresUrl));
  if (stores.length === 0) return;
  const sizes = options.scaleSizes.map((size) => size.toLocaleString('en-US')).join(', ');
  log(`\n== Scale: ${sizes} executions (${openExecutions.toLocaleString('en-US')} open) on ${stores.map((s) => s.name).join(', ')}`);
  let templates;
  try {
    templates = await recordScaleTemplates();
  } catch (error) {
    for (const store of stores) {
      for (const executions of options.scaleSizes) {
        results.push({ kind: 'scale', id: `scale/${store.name}/${executions}`, store: store.name, executions, open: Math.min(openExecutions, executions), status: 'unavailable', reason: `recording the templates failed: ${reasonOf(error)}` });
      }
    }
    return;
  }
  for (const store of stores) {
    for (const executions of options.scaleSizes) {
      // PostgreSQL: appends up to 100k (they are what the engine does), multi-row SQL beyond (and in a
      // quick run, which must stay under a minute and should exercise that path too).
      results.push(await measureScale(store, executions, templates, { log, bulkFrom: options.quick ? 0 : 100_001, repeats: options.quick ? 5 : 20 }));
    }
  }
};

const runMemory = async (options: BenchOptions, results: CaseResult[]): Promise<void> => {
  if (!options.workloads.includes('memory')) return;
  const { sagas, checkpoints, waiting } = options.memory;
  log(`\n== Memory: ${sagas.toLocaleString('en-US')} W1 sagas on one manager (in-memory store), then ${waiting.toLocaleString('en-US')} runs waiting at once`);
  // SQLite too, unless quick: it keeps the events on disk, so only the engine's heap remains. First,
  // so that its heap is not measured while the in-memory store of the other series is being released.
  const stores: ('memory' | 'sqlite')[] = options.quick || !options.stores.includes('sqlite') ? ['memory'] : ['sqlite', 'memory'];
  results.push(await measureMemory({ sagas, checkpoints, waiting, stores, log }));
};

const printTables = (report: BenchReport): void => {
  // Cases that did not run are listed under their table, one line each, so the table stays narrow.
  const notRunLines: string[] = [];
  const saga = report.cases.filter((c): c is SagaCaseResult => c.kind === 'sagas');
  if (saga.length > 0) {
    const table = new Table({ head: [...sagaHeaders], style: plain });
    for (const result of saga) {
      const row = sagaRow(result, report.cases);
      if (row.length === sagaHeaders.length) table.push(row);
      else notRunLines.push(`${row.slice(0, 4).join(' ')}: ${row[4] ?? ''}`);
    }
    if (table.length > 0) log(table.toString());
    for (const line of notRunLines.splice(0)) log(`  ${line}`);
  }
  const fanout = fanoutRows(report.cases, fanoutWidth);
  if (fanout.length > 0) {
    const table = new Table({ head: [...fanoutHeaders], style: plain });
    for (const row of fanout) table.push(row);
    log(`Fan-out: ${fanoutWidth} remote requests in one parallel step vs the same ${fanoutWidth} in sequence (memory broker)`);
    log(table.toString());
  }
  const durable = durableComparisonRows(report.cases);
  if (durable.length > 0) {
    const table = new Table({ head: [...durableComparisonHeaders], style: plain });
    for (const row of durable) table.push(row);
    log(`W1-durable against DBOS W1 on PostgreSQL (${durableLabel}); CPU = the subject's process + its PostgreSQL backends`);
    log(table.toString());
  }
  // Each sequential ratio's ceiling on this server, beside the table that shows the ratio.
  const floors = commitFloors(report.cases, report.commitLatency);
  const printFloors = (workloads: readonly string[]): void => {
    for (const { workload, floor } of floors.filter((f) => workloads.includes(f.workload))) log(`  ${workload} sequential vs DBOS W1: ${floorLine(floor)}`);
  };
  if (report.commitLatency) log(latencyLine(report.commitLatency));
  if (durable.length > 0) printFloors(['W1-durable']);
  const comparison = comparisonRows(report.cases);
  if (comparison.length > 0) {
    const table = new Table({ head: [...comparisonHeaders], style: plain });
    for (const row of comparison) table.push(row);
    log('Same guarantee: this engine on PostgreSQL (memory broker) against the peers, with what each side makes durable');
    log(table.toString());
    printFloors(['W3', 'W3-no2pc']);
  }
  const replay = report.cases.filter((c): c is ReplayCaseResult => c.kind === 'replay');
  if (replay.length > 0) {
    const table = new Table({ head: [...replayHeaders], style: plain });
    for (const result of replay) {
      const row = replayRow(result);
      if (row.length === replayHeaders.length) table.push(row);
      else notRunLines.push(`${row.slice(0, 2).join(' ')} events: ${row[4] ?? ''}`);
    }
    if (table.length > 0) log(table.toString());
    for (const line of notRunLines.splice(0)) log(`  ${line}`);
  }
  const sweeps = report.cases.filter((c): c is SweepCaseResult => c.kind === 'sweep');
  if (sweeps.length > 0) {
    const table = new Table({ head: [...sweepHeaders], style: plain });
    for (const sweep of sweeps) table.push(sweepRow(sweep, sweepHeaders.length));
    log(table.toString());
  }
  const scale = report.cases.filter((c): c is ScaleCaseResult => c.kind === 'scale').sort(byStoreAndSize);
  if (scale.length > 0) {
    const table = new Table({ head: [...scaleHeaders], style: plain });
    for (const result of scale) {
      const row = scaleRow(result);
      if (row.length === scaleHeaders.length) table.push(row);
      else notRunLines.push(`scale ${row.slice(0, 2).join(' ')}: ${row[2] ?? ''}`);
    }
    if (table.length > 0) log(table.toString());
    for (const line of notRunLines.splice(0)) log(`  ${line}`);
  }
  for (const memory of report.cases.filter((c): c is MemoryCaseResult => c.kind === 'memory')) {
    const table = new Table({ head: ['memory', 'measured'], style: plain });
    for (const row of memoryRows(memory)) table.push(row);
    log(table.toString());
  }
  if (report.targets.length > 0) {
    const table = new Table({ head: ['', 'target', 'measured'], style: plain });
    for (const target of report.targets) table.push([target.met === undefined ? '–' : target.met ? 'met' : 'MISSED', target.target, target.measured]);
    log(table.toString());
  }
};

/** A run that leaves out workloads, stores, brokers, peers, modes or scale sizes a full run has. */
const partial = (options: BenchOptions): boolean => {
  const full = parseOptions([]);
  return (
    (['workloads', 'stores', 'brokers', 'peers', 'modes'] as const).some((key) => options[key].length < full[key].length) ||
    full.scaleSizes.some((size) => !options.scaleSizes.includes(size))
  );
};

const main = async (): Promise<number> => {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message === 'help') {
        log(usage);
        return 0;
      }
      console.error(`${error.message}\n\n${usage}`);
      return 2;
    }
    throw error;
  }
  const started = performance.now();
  mkdirSync(resultsDir, { recursive: true });
  const needsServers = options.stores.includes('postgres') || options.brokers.some((b) => b !== 'memory') || options.peers.includes('dbos');
  const machine = await machineInfo({ postgres: options.postgresUrl, amqp: options.amqpUrl, nats: options.natsUrl }, needsServers);
  log(`saga-engine benchmark (${options.quick ? 'quick' : 'full'}): ${machine.cpu} × ${machine.cores}, ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}`);
  if (options.peers.length === 0) log(options.quick ? 'Peers (DBOS, Restate): skipped in a --quick run.' : 'Peers: skipped (--no-peers).');

  const results: CaseResult[] = [];
  // Before the rounds, on the quiet server: what one commit costs bounds every sequential ratio.
  let commitLatency: CommitLatency | undefined;
  if (options.stores.includes('postgres')) {
    try {
      commitLatency = await measureCommitLatency(options.postgresUrl);
      log(latencyLine(commitLatency));
    } catch (error) {
      log(`Commit latency not measured (PostgreSQL ${redact(options.postgresUrl)}): ${reasonOf(error)}`);
    }
  }
  const profiler = options.profile ? new Profiler() : undefined;
  const timed = async (name: string, section: () => Promise<void>): Promise<void> => {
    const at = performance.now();
    await section();
    log(`  (${name}: ${((performance.now() - at) / 1_000).toFixed(1)} s)`);
  };
  try {
    await timed('W1, W1-durable, W2', () => runLocalWorkloads(options, results, profiler));
    await timed('W3', () => runRemoteWorkload(options, results, profiler));
    await timed('fan-out', () => runFanout(options, results, profiler));
    await timed('W4', () => runReplay(options, results, profiler));
    await timed('scale', () => runScale(options, results));
    await timed('memory', () => runMemory(options, results));
  } finally {
    profiler?.close();
  }

  const notes: string[] = [];
  if (options.peers.length === 0) notes.push(options.quick ? 'Peers (DBOS, Restate) are not run by --quick.' : 'Peers were not run (--no-peers).');
  const busy = machine.loadAverageAtStart[0] ?? 0;
  if (busy > machine.cores * 0.5) notes.push(`The machine was busy at the start (load average ${busy} on ${machine.cores} cores): figures are lower and noisier than on an idle machine; ratios within the run stay comparable.`);
  const report: BenchReport = {
    kind: options.quick ? 'quick' : 'full',
    options: {
      rounds: options.rounds,
      sagas: options.sagas,
      remoteRounds: options.remoteRounds,
      remoteSagas: options.remoteSagas,
      fanoutServiceMs: options.fanoutServiceMs,
      warmup: options.warmup,
      inFlight: options.inFlight,
      workloads: options.workloads,
      stores: options.stores,
      brokers: options.brokers,
      peers: options.peers,
      modes: options.modes,
      replaySizes: options.replaySizes,
      scaleSizes: options.scaleSizes,
      memory: options.memory,
      inProcess: options.inProcess,
    },
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((value) => Math.round(value * 100) / 100) },
    durationSeconds: (performance.now() - started) / 1_000,
    cases: results,
    targets: checkTargets(results),
    notes,
    ...(commitLatency ? { commitLatency } : {}),
  };
  log('');
  printTables(report);
  for (const note of notes) log(`Note: ${note}`);

  if (options.write) {
    const json = join(resultsDir, options.quick ? 'quick.json' : 'latest.json');
    let written = report;
    if (!options.quick && partial(options) && existsSync(json)) {
      // A partial run keeps the other cases of the previous results (dated), rather than emptying the document.
      const previous = JSON.parse(readFileSync(json, 'utf8')) as BenchReport;
      const cases = mergeCases(previous, report);
      written = { ...report, cases, targets: checkTargets(cases), notes: [...report.notes, ...keptNotes(cases)], ...keptCommitLatency(previous, report) };
      for (const note of keptNotes(cases)) log(`Note: ${note}`);
    }
    writeFileSync(json, `${JSON.stringify(written, null, 2)}\n`);
    log(`\nWrote ${json}`);
    if (!options.quick) {
      const existing = existsSync(docPath) ? readFileSync(docPath, 'utf8') : undefined;
      writeFileSync(docPath, renderDocument(written, existing));
      log(`Wrote ${docPath}`);
    }
  }
  log(`Done in ${report.durationSeconds.toFixed(0)} s.`);
  return 0;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
