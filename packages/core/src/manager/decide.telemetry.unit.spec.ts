// The spans and metrics the decider records, read from in-memory OpenTelemetry providers: one span
// per step action, named for what it did (a step or a compensation) with the outcome operators filter
// on, the time each step took, and how long a reply took to come back.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { metrics, trace } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Saga, SagaRequest, resolveRetryPolicy } from '@saga/definitions';
import { fold, sagaEvent, type SagaEvent, type SagaExecution } from '@saga/execution';
import { decide, type DecideInput, type DecideOptions } from './decide.js';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const options = (now = NOW): DecideOptions => ({
  compensationRetry: resolveRetryPolicy({ attempts: 1 }, 'compensationRetry'),
  replyTimeoutMs: 500,
  commitTimeoutMs: 500,
  now: () => now,
  random: () => 1,
});
const started = (definition: Saga) =>
  sagaEvent('SagaStarted', {
    executionId: 'exec-1',
    definition: { name: definition.name, version: definition.version, fingerprint: definition.fingerprint },
    context: {},
    user: null,
    autocommit: true,
    service: 'orders',
  });
const given = (definition: Saga, events: readonly (SagaEvent & { recordedAt?: string })[] = []): SagaExecution => fold([started(definition), ...events]);

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });

beforeAll(() => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});
afterAll(() => {
  trace.disable();
  metrics.disable();
});
// Delta temporality: a flush before each test drains what earlier tests recorded.
beforeEach(async () => {
  await reader.forceFlush();
  spans.reset();
  metricExporter.reset();
});

/** Name, path and outcome of every span the decision ended, in order. */
const decided = async (definition: Saga, execution: SagaExecution, input: DecideInput = { kind: 'start' }, decideOptions = options()) => {
  await decide(definition, execution, input, decideOptions);
  return spans.getFinishedSpans().map((s) => ({
    name: s.name,
    path: s.attributes['saga.step.path'],
    kind: s.attributes['saga.step.kind'],
    outcome: s.attributes['saga.outcome'],
    executionId: s.attributes['saga.execution_id'],
  }));
};

/** The points of one histogram: its attributes, how many values, and their sum. */
const histogram = async (name: string) => {
  await reader.forceFlush();
  const points = (metricExporter.getMetrics().at(-1)?.scopeMetrics ?? [])
    .flatMap((scope) => scope.metrics)
    .filter((m): m is HistogramMetricData => m.descriptor.name === name)
    .flatMap((m) => m.dataPoints);
  return points.map((p) => ({ attributes: p.attributes, count: p.value.count, sum: p.value.sum, max: p.value.max }));
};

describe('decide: one span per step action', () => {
  it('steps run forward: a finished local step, a chosen branch, a request sent', async () => {
    const inner = new Saga('inner').localStep().onExecute(() => undefined).commit();
    const saga = new Saga('traced')
      .localStep()
      .onExecute(() => undefined)
      .conditionalStep()
      .ifThen(() => true, inner)
      .remoteStep()
      .onExecute(() => new SagaRequest('stock.reserve'))
      .commit();
    expect(await decided(saga, given(saga))).toEqual([
      { name: 'saga.step local', path: '0', kind: 'local', outcome: 'finished', executionId: 'exec-1' },
      { name: 'saga.step conditional', path: '1', kind: 'conditional', outcome: 'branch-chosen', executionId: 'exec-1' },
      { name: 'saga.step local', path: '1.0.0', kind: 'local', outcome: 'finished', executionId: 'exec-1' },
      { name: 'saga.step remote', path: '2', kind: 'remote', outcome: 'sent', executionId: 'exec-1' },
    ]);
  });

  it('a step that fails, then the compensations: named saga.compensate, compensated or compensation-failed', async () => {
    const saga = new Saga('rolled_back')
      .localStep()
      .onExecute(() => undefined)
      .onFailure(() => new Error('ledger down'))
      .localStep()
      .onExecute(() => undefined)
      .onFailure(() => undefined)
      .localStep()
      .onExecute(() => new Error('no courier'))
      .commit();
    expect((await decided(saga, given(saga))).map(({ name, path, outcome }) => [name, path, outcome])).toEqual([
      ['saga.step local', '0', 'finished'],
      ['saga.step local', '1', 'finished'],
      ['saga.step local', '2', 'failed'],
      ['saga.compensate local', '1', 'compensated'],
      ['saga.compensate local', '0', 'compensation-failed'],
    ]);
  });

  it('a remote compensation is a saga.compensate span whose outcome is sent', async () => {
    const saga = new Saga('remote_undo')
      .remoteStep()
      .onExecute(() => new SagaRequest('stock.reserve'))
      .onFailure(() => new SagaRequest('stock.release'))
      .localStep()
      .onExecute(() => new Error('no courier'))
      .commit();
    const done = [
      sagaEvent('RequestSent', { path: '0', requestId: 'r-0', target: 'stock.reserve', payload: null }),
      sagaEvent('ReplyReceived', { path: '0', requestId: 'r-0', status: 200, payload: null, relatedServices: ['stock'] }),
      sagaEvent('StepFinished', { path: '0', kind: 'remote' }),
    ];
    expect((await decided(saga, given(saga, done), { kind: 'continue' })).map(({ name, path, outcome }) => [name, path, outcome])).toEqual([
      ['saga.step local', '1', 'failed'],
      ['saga.compensate remote', '0', 'sent'],
    ]);
  });
});

describe('decide: metrics', () => {
  it('each step action’s duration is recorded once, under its kind and outcome, and is a real elapsed time', async () => {
    const before = performance.now();
    const saga = new Saga('timed').localStep().onExecute(() => undefined).localStep().onExecute(() => new Error('no')).commit();
    await decide(saga, given(saga), { kind: 'start' }, options());
    const elapsed = performance.now() - before;
    const points = await histogram('saga.step.duration');
    expect(points.map((p) => [p.attributes, p.count])).toEqual([
      [{ 'saga.step.kind': 'local', 'saga.outcome': 'finished' }, 1],
      [{ 'saga.step.kind': 'local', 'saga.outcome': 'failed' }, 1],
    ]);
    for (const point of points) expect(point.max).toBeGreaterThanOrEqual(0);
    for (const point of points) expect(point.max).toBeLessThanOrEqual(elapsed);
  });

  const remote = new Saga('latency').remoteStep().onExecute(() => new SagaRequest('stock.reserve')).commit();
  const reply = { kind: 'reply', reply: { sagaId: 'exec-1', requestId: 'r-0', status: 200, payload: null, relatedServices: ['stock'] } } as const;

  it('a reply’s latency is the time from its request being stored to the reply, per target', async () => {
    const sent = { ...sagaEvent('RequestSent', { path: '0', requestId: 'r-0', target: 'stock.reserve', payload: null }), recordedAt: '2030-01-01T00:00:00.000Z' };
    const decision = await decide(remote, given(remote, [sent]), reply, options(new Date('2030-01-01T00:00:00.250Z')));
    // Decided as data: the driver records the metric once the decision is stored (decide emits none).
    expect(decision.replyLatencies).toEqual([{ target: 'stock.reserve', ms: 250 }]);
    expect(await histogram('saga.reply.latency')).toEqual([]);
  });

  it('no latency is recorded when the request’s time is unknown', async () => {
    const sent = sagaEvent('RequestSent', { path: '0', requestId: 'r-0', target: 'stock.reserve', payload: null });
    const decision = await decide(remote, given(remote, [sent]), reply, options());
    expect(decision.replyLatencies).toBeUndefined();
    expect(await histogram('saga.reply.latency')).toEqual([]);
  });
});
