/**
 * Command-line options of `pnpm bench`. Pure: parsing and defaults only.
 *
 *   pnpm bench                      the full run (installs the peers on first use)
 *   pnpm bench --quick              a smoke run under a minute, no peers
 *   --rounds=N --sagas=N            rounds per case, sagas per round of W1, W1-durable, W2 (--remote-sagas: W3)
 *   --workloads=w1,w2,w3,fanout,w4,scale,memory  which workloads (w1 runs W1 and W1-durable, w3 runs W3 and
 *                                   W3-no2pc; w1-durable alone runs W1-durable and the peers' W1; fanout runs
 *                                   F10-parallel and F10-sequence)
 *   --fanout-service-ms=10          fanout: how long each participant takes to answer
 *   --scale=10000,100000,1000000    scale: executions in the store (k/M suffixes accepted)
 *   --stores=memory,sqlite,postgres which stores of this engine
 *   --brokers=memory,rabbitmq,nats  which brokers for W3
 *   --peers=dbos,restate | --no-peers
 *   --modes=sequential,concurrent   --in-flight=50
 *   --profile                       CPU-profile the measured rounds of each case (bench/results/*.cpuprofile)
 *   --no-write                      print only; do not write results/ or docs/
 *   --in-process                    hold every subject in the bench process, as before isolation (for
 *                                   comparison and debugging)
 *
 * By default each subject (this engine on one store and broker, DBOS, Restate's client) is held by a
 * child process of its own, and the bench process only plans, interleaves and records the rounds: in one
 * process the subjects tax each other (DBOS's AsyncLocalStorage hooks every promise, its heap and
 * background loops stay), which made this engine's W1-durable cost twice the CPU per saga it costs alone.
 */

import { parseScaleSize } from './workloads/scaleData.js';

export type StoreName = 'memory' | 'sqlite' | 'postgres';
export type BrokerName = 'memory' | 'rabbitmq' | 'nats';
export type PeerName = 'dbos' | 'restate';
export type WorkloadName = 'w1' | 'w1-durable' | 'w2' | 'w3' | 'fanout' | 'w4' | 'scale' | 'memory';
export type ModeName = 'sequential' | 'concurrent';

export interface BenchOptions {
  readonly quick: boolean;
  readonly rounds: number;
  /** Sagas per round of W1 and W2. */
  readonly sagas: number;
  /** Sagas per round of W3. */
  readonly remoteSagas: number;
  /** Rounds of W3 (its sagas are slow: a quick run keeps to two). */
  readonly remoteRounds: number;
  /** Fan-out: how long each participant takes to answer a request (ms), a service's time plus the network's. */
  readonly fanoutServiceMs: number;
  /** Warm-up sagas before the measured rounds of each case. */
  readonly warmup: number;
  readonly inFlight: number;
  readonly workloads: readonly WorkloadName[];
  readonly stores: readonly StoreName[];
  readonly brokers: readonly BrokerName[];
  readonly peers: readonly PeerName[];
  readonly modes: readonly ModeName[];
  /** W4 history sizes, in events. */
  readonly replaySizes: readonly number[];
  /** W4: a round times the same work repeatedly for at least this long (ms). */
  readonly replayMinMs: number;
  /** Scale: executions in the store, one fresh store per size. */
  readonly scaleSizes: readonly number[];
  /** Memory: W1 sagas in all, where the heap is taken, and runs waiting at once. */
  readonly memory: { readonly sagas: number; readonly checkpoints: readonly number[]; readonly waiting: number };
  readonly profile: boolean;
  readonly write: boolean;
  /** Every subject in the bench process, instead of each in a child process of its own. */
  readonly inProcess: boolean;
  readonly postgresUrl: string;
  readonly amqpUrl: string;
  readonly natsUrl: string;
}

export class UsageError extends Error {}

/** What a full run runs (w1 includes W1-durable)… */
const defaultWorkloads: readonly WorkloadName[] = ['w1', 'w2', 'w3', 'fanout', 'w4', 'scale', 'memory'];
/** …and what --workloads accepts: w1-durable runs the durable-steps comparison without W1. */
const allWorkloads: readonly WorkloadName[] = ['w1', 'w1-durable', 'w2', 'w3', 'fanout', 'w4', 'scale', 'memory'];
const allStores: readonly StoreName[] = ['memory', 'sqlite', 'postgres'];
const allBrokers: readonly BrokerName[] = ['memory', 'rabbitmq', 'nats'];
const allPeers: readonly PeerName[] = ['dbos', 'restate'];
const allModes: readonly ModeName[] = ['sequential', 'concurrent'];

const list = <T extends string>(name: string, value: string, allowed: readonly T[]): T[] => {
  const items = value
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item.length > 0);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new UsageError(`--${name}: '${item}' is not one of ${allowed.join(', ')}.`);
    }
  }
  return items as T[];
};

const positiveInteger = (name: string, value: string): number => {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1) throw new UsageError(`--${name} must be a whole number ≥ 1, got '${value}'.`);
  return number;
};

const switches = ['quick', 'no-peers', 'profile', 'no-write', 'in-process', 'help'];
const valued = ['rounds', 'sagas', 'remote-sagas', 'warmup', 'in-flight', 'workloads', 'stores', 'brokers', 'peers', 'modes', 'replay-sizes', 'scale', 'fanout-service-ms'];

export const parseOptions = (argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): BenchOptions => {
  const flags = new Map<string, string>();
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    if (arg === '--') continue;
    if (!arg.startsWith('--')) throw new UsageError(`Unexpected argument '${arg}'; options start with --.`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (!switches.includes(name) && !valued.includes(name)) {
      throw new UsageError(`Unknown option --${name}; known: ${[...switches, ...valued].map((k) => `--${k}`).join(', ')}.`);
    }
    const takesValue = valued.includes(name);
    if (!takesValue) {
      flags.set(name, 'true');
      continue;
    }
    const value = inline ?? argv[index + 1];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${name} needs a value.`);
    if (inline === undefined) index += 1;
    flags.set(name, value);
  }
  if (flags.has('help')) throw new UsageError('help');

  const quick = flags.has('quick');
  const get = (name: string): string | undefined => flags.get(name);
  const sagas = get('sagas') !== undefined ? positiveInteger('sagas', get('sagas') as string) : quick ? 100 : 1_000;
  const peers = flags.has('no-peers') || (quick && get('peers') === undefined) ? [] : list('peers', get('peers') ?? allPeers.join(','), allPeers);
  return {
    quick,
    rounds: get('rounds') !== undefined ? positiveInteger('rounds', get('rounds') as string) : quick ? 3 : 5,
    sagas,
    remoteSagas: get('remote-sagas') !== undefined ? positiveInteger('remote-sagas', get('remote-sagas') as string) : quick ? 3 : 50,
    remoteRounds: get('rounds') !== undefined ? positiveInteger('rounds', get('rounds') as string) : quick ? 2 : 5,
    fanoutServiceMs: get('fanout-service-ms') !== undefined ? positiveInteger('fanout-service-ms', get('fanout-service-ms') as string) : 10,
    warmup: get('warmup') !== undefined ? positiveInteger('warmup', get('warmup') as string) : quick ? 20 : 200,
    inFlight: get('in-flight') !== undefined ? positiveInteger('in-flight', get('in-flight') as string) : 50,
    workloads: list('workloads', get('workloads') ?? defaultWorkloads.join(','), allWorkloads),
    stores: list('stores', get('stores') ?? allStores.join(','), allStores),
    brokers: list('brokers', get('brokers') ?? allBrokers.join(','), allBrokers),
    peers,
    modes: list('modes', get('modes') ?? allModes.join(','), allModes),
    replaySizes:
      get('replay-sizes') !== undefined
        ? (get('replay-sizes') as string).split(',').map((size) => positiveInteger('replay-sizes', size.trim()))
        : quick
          ? [1_000, 10_000]
          : [1_000, 10_000, 100_000],
    replayMinMs: quick ? 100 : 400,
    scaleSizes:
      get('scale') !== undefined
        ? (get('scale') as string).split(',').map((size) => {
            const parsed = parseScaleSize(size);
            if (!Number.isSafeInteger(parsed) || parsed < 1) throw new UsageError(`--scale: '${size.trim()}' is not a number of executions (e.g. 10000, 100k, 1M).`);
            return parsed;
          })
        : quick
          ? [10_000]
          : [10_000, 100_000, 1_000_000],
    memory: quick ? { sagas: 5_000, checkpoints: [1_000, 5_000], waiting: 1_000 } : { sagas: 100_000, checkpoints: [10_000, 50_000, 100_000], waiting: 10_000 },
    profile: flags.has('profile'),
    write: !flags.has('no-write'),
    inProcess: flags.has('in-process'),
    postgresUrl: env.SAGA_BENCH_POSTGRES_URL ?? env.SAGA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    amqpUrl: env.SAGA_BENCH_AMQP_URL ?? env.SAGA_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    natsUrl: env.SAGA_BENCH_NATS_URL ?? env.SAGA_TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
  };
};

export const usage = `Usage: pnpm bench [--quick] [options]

  --quick                         smoke run (small rounds, no peers), well under a minute
  --rounds=N                      measured rounds per case (default 5; quick 3)
  --sagas=N                       sagas per round of W1, W1-durable, W2 (default 1000; quick 100)
  --remote-sagas=N                sagas per round of W3 (default 50; quick 3, in 2 rounds)
  --warmup=N                      unmeasured sagas before each case (default 200; quick 20)
  --in-flight=N                   sagas in flight in the concurrent mode (default 50)
  --workloads=w1,w1-durable,w2,w3,fanout,w4,scale,memory
                                  (default all but w1-durable, which w1 includes: w1 runs W1 and W1-durable,
                                  w1-durable runs W1-durable and the peers' W1 alone; w3 runs W3 and W3-no2pc;
                                  fanout runs 10 remote requests in one parallel step and the same 10 in sequence,
                                  on the memory and PostgreSQL stores of --stores, memory broker, --remote-sagas each)
  --fanout-service-ms=N           fanout: each participant answers after N ms (default 10)
  --stores=memory,sqlite,postgres
  --brokers=memory,rabbitmq,nats  --modes=sequential,concurrent
  --peers=dbos,restate            --no-peers
  --replay-sizes=1000,10000,100000
  --scale=10000,100000,1000000    scale workload: executions in the store (quick: 10000)
  --profile                       CPU-profile each case's measured rounds into bench/results/*.cpuprofile
  --no-write                      print the table only
  --in-process                    run every subject in the bench process (default: each engine/store and
                                  peer in a child process of its own, so that none pays for another's CPU,
                                  heap and async hooks); for comparison and debugging

Servers: SAGA_BENCH_POSTGRES_URL (else SAGA_TEST_POSTGRES_URL, else postgres://postgres@127.0.0.1:5432/test),
SAGA_BENCH_AMQP_URL / SAGA_TEST_AMQP_URL, SAGA_BENCH_NATS_URL / SAGA_TEST_NATS_URL.`;
