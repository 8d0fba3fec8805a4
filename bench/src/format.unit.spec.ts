import { describe, expect, it } from 'vitest';
import {
  comparisonRows,
  formatNumber,
  formatRatio,
  formatSummary,
  keptMark,
  markdownTable,
  memoryRows,
  ratioLabel,
  ratioToPeer,
  replayRow,
  sagaHeaders,
  sagaRow,
  scaleHeaders,
  scaleRow,
} from './format.js';
import type { MemoryCaseResult, ReplayCaseResult, SagaCaseResult, ScaleCaseResult } from './results.js';
import { summarize } from './stats.js';

const ok = (engine: string, store: string, rates: number[], extra: Partial<SagaCaseResult> = {}): SagaCaseResult => ({
  kind: 'sagas',
  id: `W1/${engine}/${store}/sequential`,
  workload: 'W1',
  engine,
  store,
  mode: 'sequential',
  inFlight: 1,
  status: 'ok',
  sagasPerRound: 1000,
  rounds: rates.length,
  throughput: summarize(rates),
  cpuMsPerSaga: summarize([0.5, 0.6, 0.55]),
  ...extra,
});

describe('formatNumber', () => {
  it('keeps about three significant digits, with thousands separators', () => {
    expect(formatNumber(12_345.6)).toBe('12,346');
    expect(formatNumber(123.4)).toBe('123');
    expect(formatNumber(12.34)).toBe('12.3');
    expect(formatNumber(1.234)).toBe('1.23');
    expect(formatNumber(0.1234)).toBe('0.123');
    expect(formatNumber(0)).toBe('0');
  });

  it('shows a dash for a missing figure', () => {
    expect(formatNumber(undefined)).toBe('–');
    expect(formatNumber(Number.NaN)).toBe('–');
  });
});

describe('formatSummary and formatRatio', () => {
  it('shows the median and, when the rounds differ, their range', () => {
    expect(formatSummary(summarize([900, 1_000, 1_100]))).toBe('1,000 (900–1,100)');
    expect(formatSummary(summarize([5, 5]))).toBe('5.00');
    expect(formatSummary(undefined)).toBe('–');
  });

  it('writes ratios with two decimals below ten', () => {
    expect(formatRatio(3.14159)).toBe('3.14×');
    expect(formatRatio(12.6)).toBe('13×');
    expect(formatRatio(Number.NaN)).toBe('–');
  });
});

describe('sagaRow', () => {
  const ours = ok('saga-engine', 'postgres', [290, 300, 310], { appendsPerSaga: 1, readsPerSaga: 0, readAllsPerSaga: 0, serverCpuMsPerSaga: summarize([0.7, 0.7, 0.8]) });
  const dbos = ok('dbos', 'postgres', [95, 100, 105]);
  const restate = ok('restate', 'restate', [110, 120, 130]);
  const cases = [ours, dbos, restate];

  it('has one cell per header, with the ratios to each peer in the same workload and mode', () => {
    const row = sagaRow(ours, cases);
    expect(row).toHaveLength(sagaHeaders.length);
    expect(row.slice(0, 5)).toEqual(['W1', 'saga-engine', 'postgres', 'sequential', '300 (290–310)']);
    expect(row.slice(-2)).toEqual(['3.00×', '2.50×']);
    expect(row[7]).toBe('1.00 / 0 / 0');
  });

  it('shows no ratio of a peer to itself, nor to a peer that did not run', () => {
    expect(ratioToPeer(dbos, cases, 'dbos')).toBeNaN();
    expect(ratioToPeer(ours, [ours], 'dbos')).toBeNaN();
    expect(ratioToPeer({ ...ours, mode: 'concurrent' }, cases, 'dbos')).toBeNaN();
  });

  it('puts the reason in place of the figures of a case that did not run', () => {
    const skipped: SagaCaseResult = { ...ours, status: 'skipped', reason: '@saga/nats is not built yet' };
    delete (skipped as { throughput?: unknown }).throughput;
    expect(sagaRow(skipped, cases)).toEqual(['W1', 'saga-engine', 'postgres', 'sequential', 'skipped: @saga/nats is not built yet']);
  });
});

describe('replayRow', () => {
  it('shows the rates (full, decode + fold, JSON.parse), both cost ratios and the phase shares', () => {
    const replay: ReplayCaseResult = {
      kind: 'replay',
      id: 'W4/1000',
      workload: 'W4',
      events: 1000,
      streams: 94,
      bytes: 300 * 1024,
      status: 'ok',
      rounds: 3,
      eventsPerSecond: summarize([1_000_000, 1_100_000, 1_200_000]),
      decodeFoldEventsPerSecond: summarize([3_000_000]),
      jsonParseEventsPerSecond: summarize([2_000_000]),
      costVsJsonParse: summarize([1.8, 1.9, 2.0]),
      decodeFoldVsJsonParse: summarize([0.7, 0.9, 0.8]),
      phases: { parse: 0.5, decode: 0.2, fold: 0.3 },
    };
    expect(replayRow(replay)).toEqual([
      'W4',
      '1,000',
      '94',
      '300 KiB',
      '1,100,000 (1,000,000–1,200,000)',
      '3,000,000',
      '2,000,000',
      '1.90× (1.80×–2.00×)',
      '0.80× (0.70×–0.90×)',
      '50 % / 20 % / 30 %',
    ]);
  });
});

describe('markdownTable', () => {
  it('renders a header, a separator and rows, padding short rows and escaping pipes', () => {
    expect(markdownTable(['a', 'b', 'c'], [['1', '2', '3'], ['x|y']])).toBe(['| a | b | c |', '| --- | --- | --- |', '| 1 | 2 | 3 |', '| x\\|y |  |  |'].join('\n'));
  });
});

describe('the same-guarantee comparison', () => {
  it("sets this engine's W1, W3 and W3-no2pc on PostgreSQL beside the peers' W1, labelled", () => {
    const cases: SagaCaseResult[] = [
      ok('saga-engine', 'postgres', [700], { appendsPerSaga: 1 }),
      ok('saga-engine', 'postgres', [300], { id: 'W3/saga-engine/postgres/memory/sequential', workload: 'W3', broker: 'memory', appendsPerSaga: 8 }),
      ok('saga-engine', 'postgres', [999], { id: 'W3/saga-engine/postgres/nats/sequential', workload: 'W3', broker: 'nats', appendsPerSaga: 8 }),
      ok('saga-engine', 'postgres', [400], { id: 'W3-no2pc/saga-engine/postgres/memory/sequential', workload: 'W3-no2pc', broker: 'memory', appendsPerSaga: 4 }),
      ok('dbos', 'postgres', [100]),
    ];
    const rows = comparisonRows(cases);
    expect(rows.map((row) => [row[0], row[2], row[4], row[6]])).toEqual([
      ['W1', '700', 'DBOS W1', '7.00×'],
      ['W1', '700', 'Restate W1', '–'],
      ['W3 (two-phase commit)', '300', 'DBOS W1', '3.00×'],
      ['W3 (two-phase commit)', '300', 'Restate W1', '–'],
      ['W3-no2pc (no vote)', '400', 'DBOS W1', '4.00×'],
      ['W3-no2pc (no vote)', '400', 'Restate W1', '–'],
    ]);
    expect(rows[0]?.[7]).toBe('one append per saga vs one checkpoint per step');
    expect(rows[2]?.[7]).toMatch(/same per-step durability/);
    expect(rows[1]?.[5]).toBe('not measured');
  });

  it("sets W1-durable beside the peers' W1 with its own label, and keeps W1's", () => {
    const cases: SagaCaseResult[] = [
      ok('saga-engine', 'postgres', [700], { appendsPerSaga: 1, readsPerSaga: 0 }),
      ok('saga-engine', 'postgres', [250], { id: 'W1-durable/saga-engine/postgres/sequential', workload: 'W1-durable', appendsPerSaga: 4, readsPerSaga: 0 }),
      ok('dbos', 'postgres', [100]),
    ];
    const rows = comparisonRows(cases).filter((row) => row[4] === 'DBOS W1');
    expect(rows.map((row) => [row[0], row[3], row[6], row[7]])).toEqual([
      ['W1', '1.00 / 0', '7.00×', 'one append per saga vs one checkpoint per step'],
      ['W1-durable', '4.00 / 0', '2.50×', "each step's result durable before the next step runs, on both sides"],
    ]);
    expect(ratioToPeer(cases[1] as SagaCaseResult, cases, 'dbos')).toBeCloseTo(2.5);
    expect(ratioLabel('W1')).toBe('one append per saga vs one checkpoint per step');
  });

  it('gives no ratio between figures of different runs, and marks the kept one', () => {
    const kept = { ...ok('restate', 'restate', [100]), measuredAt: '2026-12-03T05:20:36.746Z' } as SagaCaseResult;
    const cases: SagaCaseResult[] = [ok('saga-engine', 'postgres', [700], { appendsPerSaga: 1, readsPerSaga: 0 }), ok('dbos', 'postgres', [100]), kept];
    expect(comparisonRows(cases).map((row) => [row[4], row[5], row[6]])).toEqual([
      ['DBOS W1', '100', '7.00×'],
      ['Restate W1', '100 †', '– (measured in different runs)'],
    ]);
    expect(ratioToPeer(cases[0] as SagaCaseResult, cases, 'restate')).toBeNaN();
    expect(ratioToPeer(cases[0] as SagaCaseResult, cases, 'dbos')).toBeCloseTo(7);
  });

  it('leaves W3 out of the W1/W2 ratios', () => {
    const w3 = ok('saga-engine', 'postgres', [300], { workload: 'W3-no2pc', broker: 'memory' });
    expect(ratioToPeer(w3, [ok('dbos', 'postgres', [100])], 'dbos')).toBeNaN();
  });
});

describe('scale and memory rows', () => {
  const scale: ScaleCaseResult = {
    kind: 'scale',
    id: 'scale/postgres/100000',
    store: 'postgres',
    executions: 100_000,
    open: 1_000,
    status: 'ok',
    generation: { method: 'sql', wallMs: 12_345, events: 498_000 },
    setupMs: 812.3,
    setupCalls: { reads: 1_000, claims: 11, queries: 0, readAlls: 0 },
    claimed: 1_000,
    recovered: 1_000,
    sweepMs: 1.25,
    sweepScanned: 0,
    listStatus: 'paused',
    listMs: summarize([1.5]),
    listed: 100,
    getMs: summarize([0.3]),
  };

  it('fills every column of a measured size, and gives the reason of one that did not run', () => {
    const row = scaleRow(scale);
    expect(row).toHaveLength(scaleHeaders.length);
    expect(row).toEqual(['postgres', '100,000 (1,000)', '12.3 (multi-row SQL)', '812', '1000 / 1000', '1000 / 11', '1.25 (0)', '1.50 (100 paused)', '0.300']);
    expect(scaleRow({ ...scale, status: 'skipped', reason: 'not built' })).toEqual(['postgres', '100,000 (1,000)', 'skipped: not built']);
  });

  it('marks a case kept from an earlier run', () => {
    expect(keptMark(scale)).toBe('');
    expect(scaleRow({ ...scale, measuredAt: '2026-01-01' } as ScaleCaseResult)[0]).toBe('postgres †');
  });

  it('says how many store listeners the waiting runs held, and the warnings', () => {
    const memory: MemoryCaseResult = {
      kind: 'memory',
      id: 'memory',
      status: 'ok',
      cacheMaxEntries: 10_000,
      runs: [{ store: 'memory', sagas: 10_000, heapUsedMiB: 60, storeEventMiB: 20 }],
      waiting: { runs: 10_000, waitingAtOnce: 10_000, heapUsedMiB: 90, storeListeners: 1, maxStoreListeners: 1, feedActive: true, feedListeners: 10_000, readAlls: 3, reads: 0, warnings: [], startMs: 2_000 },
    };
    const text = memoryRows(memory).map((row) => row.join(': '));
    expect(text[0]).toMatch(/memory store: heap used after 10,000 W1 sagas.*60 MiB.*20 MiB/);
    expect(text).toContain('store listeners (onAppended) held: 1 (at most 1 at once); store feed active: yes, serving 10,000 runs');
    expect(text).toContain('process warnings while they waited: none (no MaxListenersExceededWarning)');
    const warned = memoryRows({ ...memory, waiting: { ...(memory.waiting as NonNullable<MemoryCaseResult['waiting']>), warnings: ['W: x', 'W: x'] } });
    expect(warned.at(-1)).toEqual(['process warnings while they waited', '2× W: x']);
  });
});
