/**
 * Group commit on PostgreSQL, A/B: W1-durable and W3 (memory broker), one saga at a time and N in
 * flight, on stores that differ only in their `groupCommit` setting, in interleaved rounds (round r
 * of every variant before round r+1 of any, the variants' order turning each round), so background
 * load falls on all alike. Prints a Markdown table: median sagas/s (min–max), appends per saga, and
 * round trips of appends per saga (what group commit saves).
 *
 *   node bench/dist/groupCommitAB.js [--rounds=4] [--variants=off,on] [--in-flight=50] [--cases=w1d-seq,w1d-n,w3-seq,w3-n]
 *
 * Variants: `off` (every append on its own), `on` (the store's default), `inflight1`, `inflight4`.
 */
import { median } from './stats.js';
import { formatNumber } from './format.js';
import { measureRound, runPool } from './runner.js';
import { openEngineSubject } from './subjects/engine.js';
import type { SagaWorkload, Subject } from './subjects/subject.js';

type Settings = false | { maxInFlight?: number };
const variantSettings: Record<string, Settings | undefined> = { off: false, on: undefined, inflight1: { maxInFlight: 1 }, inflight4: { maxInFlight: 4 } };

const argument = (name: string, fallback: string): string => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;

interface Case {
  readonly workload: SagaWorkload;
  readonly inFlight: number;
  readonly sagas: number;
}

interface Sample {
  readonly perSecond: number;
  readonly appends: number;
  readonly conflicts: number;
  readonly roundTrips: number;
  readonly cpuMs: number;
  readonly serverCpuMs?: number;
}

interface GroupStats {
  readonly batches: number;
  readonly items: number;
}

const statsOf = (subject: Subject): GroupStats | undefined => (subject.counting?.inner as { groupCommitStats?: GroupStats } | undefined)?.groupCommitStats;

const main = async (): Promise<void> => {
  const rounds = Number(argument('rounds', '4'));
  const inFlight = Number(argument('in-flight', '50'));
  const variants = argument('variants', 'off,on').split(',');
  const url = process.env.SAGA_BENCH_POSTGRES_URL ?? process.env.SAGA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const only = argument('cases', 'w1d-seq,w1d-n,w3-seq,w3-n').split(',');
  const cases: Case[] = (
    [
      ['w1d-seq', { workload: 'W1-durable', inFlight: 1, sagas: 200 }],
      ['w1d-n', { workload: 'W1-durable', inFlight, sagas: 1_000 }],
      ['w3-seq', { workload: 'W3', inFlight: 1, sagas: 100 }],
      ['w3-n', { workload: 'W3', inFlight, sagas: 250 }],
    ] as const
  )
    .filter(([name]) => only.includes(name))
    .map(([, item]) => item);
  const subjects = new Map<string, Subject>();
  for (const variant of variants) {
    const groupCommit = variantSettings[variant];
    if (!(variant in variantSettings)) throw new Error(`Unknown variant '${variant}'; known: ${Object.keys(variantSettings).join(', ')}`);
    subjects.set(
      variant,
      await openEngineSubject({
        store: 'postgres',
        broker: 'memory',
        postgresUrl: url,
        amqpUrl: '',
        natsUrl: '',
        withParticipants: true,
        schema: `saga_bench_gc_${variant}`,
        ...(groupCommit === undefined ? { groupCommit: {} } : { groupCommit }),
      }),
    );
  }
  const samples = new Map<string, Sample[]>();
  const key = (variant: string, item: Case): string => `${item.workload}|${item.inFlight}|${variant}`;
  // Warm-up: every case on every variant.
  for (const item of cases) for (const [, subject] of subjects) await runPool(Math.min(100, item.sagas), item.inFlight, subject.runner(item.workload));
  let offset = 10_000_000;
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const item of cases) {
      for (const variant of order) {
        const subject = subjects.get(variant) as Subject;
        const counting = subject.counting;
        counting?.reset();
        const before = statsOf(subject);
        const run = subject.runner(item.workload);
        const base = offset;
        offset += item.sagas;
        const measure = await measureRound(() => runPool(item.sagas, item.inFlight, (index) => run(base + index)), subject.serverCpu);
        const after = statsOf(subject);
        const appends = counting?.appends ?? 0;
        // With group commit off every append is its own round trip.
        const roundTrips = before !== undefined && after !== undefined && after.items > before.items ? after.batches - before.batches : appends;
        const sample: Sample = {
          perSecond: (item.sagas * 1_000) / measure.wallMs,
          appends: appends / item.sagas,
          conflicts: (counting?.conflicts ?? 0) / item.sagas,
          roundTrips: roundTrips / item.sagas,
          cpuMs: measure.cpuMs / item.sagas,
          ...(measure.serverCpuMs === undefined ? {} : { serverCpuMs: measure.serverCpuMs / item.sagas }),
        };
        const list = samples.get(key(variant, item)) ?? [];
        list.push(sample);
        samples.set(key(variant, item), list);
        console.log(`round ${round + 1}/${rounds} ${item.workload} ${item.inFlight === 1 ? 'sequential' : `${item.inFlight} in flight`} groupCommit=${variant}: ${sample.perSecond.toFixed(1)} sagas/s`);
      }
    }
  }
  for (const [, subject] of subjects) await subject.close();

  const lines = [
    `| workload | mode | group commit | sagas/s, median (min–max) of ${rounds} rounds | appends / saga (conflicts) | round trips of appends / saga | CPU ms/saga: process + PostgreSQL | × off (ratio of medians) |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const item of cases) {
    const off = samples.get(key('off', item));
    const offMedian = off === undefined ? undefined : median(off.map((s) => s.perSecond));
    for (const variant of variants) {
      const list = samples.get(key(variant, item)) ?? [];
      const rates = list.map((s) => s.perSecond);
      const m = median(rates);
      const server = list.every((s) => s.serverCpuMs !== undefined) ? ` + ${formatNumber(median(list.map((s) => s.serverCpuMs ?? 0)))}` : '';
      lines.push(
        `| ${item.workload} | ${item.inFlight === 1 ? 'sequential' : `${item.inFlight} in flight`} | ${variant} | ${formatNumber(m)} (${formatNumber(Math.min(...rates))}–${formatNumber(Math.max(...rates))}) | ` +
          `${median(list.map((s) => s.appends)).toFixed(2)} (${median(list.map((s) => s.conflicts)).toFixed(2)}) | ${median(list.map((s) => s.roundTrips)).toFixed(2)} | ${formatNumber(median(list.map((s) => s.cpuMs)))}${server} | ` +
          `${offMedian === undefined || variant === 'off' ? '–' : `${(m / offMedian).toFixed(2)}×`} |`,
      );
    }
  }
  console.log(`\n${lines.join('\n')}`);
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
