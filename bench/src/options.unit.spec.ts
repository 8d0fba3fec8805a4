import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError } from './options.js';

describe('parseOptions', () => {
  it('runs everything, peers included, by default', () => {
    const options = parseOptions([]);
    expect(options).toMatchObject({ quick: false, rounds: 5, sagas: 1000, inFlight: 50, peers: ['dbos', 'restate'], write: true });
    expect(options.workloads).toEqual(['w1', 'w2', 'w3', 'fanout', 'w4', 'scale', 'memory']);
    expect(options.scaleSizes).toEqual([10_000, 100_000, 1_000_000]);
    expect(options.memory).toEqual({ sagas: 100_000, checkpoints: [10_000, 50_000, 100_000], waiting: 10_000 });
    expect(options.stores).toEqual(['memory', 'sqlite', 'postgres']);
    expect(options.replaySizes).toEqual([1_000, 10_000, 100_000]);
  });

  it('makes --quick small and peerless, still overridable', () => {
    expect(parseOptions(['--quick'])).toMatchObject({ quick: true, rounds: 3, sagas: 100, peers: [] });
    expect(parseOptions(['--quick', '--rounds', '2', '--peers=dbos']).rounds).toBe(2);
    expect(parseOptions(['--quick', '--peers=dbos']).peers).toEqual(['dbos']);
    expect(parseOptions(['--quick']).scaleSizes).toEqual([10_000]);
  });

  it('accepts the `--` that pnpm passes through, and --name=value or --name value', () => {
    expect(parseOptions(['--', '--quick', '--stores=sqlite,memory', '--modes', 'sequential'])).toMatchObject({
      quick: true,
      stores: ['sqlite', 'memory'],
      modes: ['sequential'],
    });
  });

  it('takes w1-durable alone, and leaves it out of the default (w1 runs it)', () => {
    expect(parseOptions(['--workloads=w1-durable', '--stores=postgres', '--peers=dbos'])).toMatchObject({ workloads: ['w1-durable'], stores: ['postgres'], peers: ['dbos'] });
    expect(parseOptions([]).workloads).not.toContain('w1-durable');
    expect(() => parseOptions(['--workloads=w1durable'])).toThrow(/'w1durable' is not one of w1, w1-durable, w2/);
  });

  it('takes the fan-out and its service time (default 10 ms)', () => {
    expect(parseOptions(['--workloads=fanout', '--stores=memory,postgres'])).toMatchObject({ workloads: ['fanout'], stores: ['memory', 'postgres'], fanoutServiceMs: 10 });
    expect(parseOptions(['--fanout-service-ms', '25']).fanoutServiceMs).toBe(25);
    expect(() => parseOptions(['--fanout-service-ms=0'])).toThrow(/--fanout-service-ms must be a whole number ≥ 1/);
  });

  it('reads --scale sizes, with k and M', () => {
    expect(parseOptions(['--workloads=scale', '--scale=10000,100k,1M']).scaleSizes).toEqual([10_000, 100_000, 1_000_000]);
  });

  it('reads server URLs from the environment', () => {
    expect(parseOptions([], { SAGA_TEST_POSTGRES_URL: 'postgres://x@h/db' }).postgresUrl).toBe('postgres://x@h/db');
    expect(parseOptions([], { SAGA_BENCH_POSTGRES_URL: 'postgres://b@h/db', SAGA_TEST_POSTGRES_URL: 'postgres://x@h/db' }).postgresUrl).toBe('postgres://b@h/db');
  });

  it('says what is wrong with a bad option', () => {
    expect(() => parseOptions(['--stores=mysql'])).toThrow(/'mysql' is not one of memory, sqlite, postgres/);
    expect(() => parseOptions(['--rounds=0'])).toThrow(UsageError);
    expect(() => parseOptions(['--fast'])).toThrow(/Unknown option --fast/);
    expect(() => parseOptions(['--rounds'])).toThrow(/needs a value/);
    expect(() => parseOptions(['--scale=10k,lots'])).toThrow(/--scale: 'lots'/);
  });
});
