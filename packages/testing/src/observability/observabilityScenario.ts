/**
 * One saga, one trace: a manager and a participant on `makeBroker`'s broker, an OpenTelemetry SDK
 * with in-memory exporters, and checks on the spans, their parents and the metrics.
 *
 *   observabilityScenario('RabbitMqBroker', async () => new RabbitMqBroker({ url }));
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  InMemoryEventStore,
  Saga,
  SagaBusinessError,
  SagaManager,
  SagaParticipant,
  SagaRequest,
  replyTopic,
  type Broker,
  type JsonObject,
} from '@saga/core';
import { uniqueName } from '../uniqueName.js';
import { waitFor } from '../waitFor.js';

export interface ObservabilityScenarioOptions {
  readonly skip?: string;
}

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

export const observabilityScenario = (name: string, makeBroker: () => Promise<Broker>, options: ObservabilityScenarioOptions = {}): void => {
  const suite = options.skip ? describe.skip : describe;
  suite(options.skip ? `traces and metrics over ${name} (skipped: ${options.skip})` : `traces and metrics over ${name}`, () => {
    const spans = new InMemorySpanExporter();
    const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
    let broker: Broker;
    let manager: SagaManager;
    let participant: SagaParticipant;
    // Unique names keep runs apart on shared real brokers.
    const service = uniqueName('order');
    const stockService = uniqueName('stock');
    const reserve = `${stockService}.reserve`;

    beforeAll(async () => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
      metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
      broker = await makeBroker();
      participant = new SagaParticipant({ broker, service: stockService }).handle(reserve, (payload) => {
        if ((payload as JsonObject).sku === 'none-left') throw new SagaBusinessError('out of stock');
        return { reserved: true };
      });
      await participant.setup();
      manager = new SagaManager({ store: new InMemoryEventStore(), broker, service });
      await manager.setup();
    });

    afterAll(async () => {
      await manager?.destroy();
      await participant?.destroy();
      await broker?.destroy();
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    });

    const saga = new Saga('traced_order')
      .localStep()
      .onExecute((ctx) => ctx.with({ total: 42 }))
      .onFailure((ctx) => ctx.with({ total: 0 }))
      .remoteStep()
      .onExecute((ctx) => new SagaRequest(reserve, { sku: ctx.get('sku') ?? null }))
      .commit();

    it('one saga across two services is one connected trace, with the execution id on every span', async () => {
      spans.reset();
      const execution = await manager.run({ definition: saga, context: { sku: 'A1' } });
      await waitFor(() => spans.getFinishedSpans().some((s) => s.name === 'saga.run'));
      const all = spans.getFinishedSpans();
      const named = (n: string) => all.filter((s) => s.name === n);
      const run = named('saga.run')[0];
      const local = named('saga.step local')[0];
      const remote = named('saga.step remote')[0];
      const handler = named(`saga.participant ${reserve}`)[0];
      const reply = named('saga.reply')[0];
      expect([run, local, remote, handler, reply].every(Boolean)).toBe(true);
      // Spans of an earlier test's saga (e.g. its commit, delivered late) may arrive too: look at this one's.
      const mine = all.filter((s) => s.attributes['saga.execution_id'] === execution.id);
      expect(new Set(mine.map((s) => s.spanContext().traceId)).size).toBe(1);
      expect(parentOf(local!)).toBe(run!.spanContext().spanId);
      expect(parentOf(remote!)).toBe(run!.spanContext().spanId);
      // The handler joined the trace through the request's headers, the reply through the reply's.
      expect(parentOf(handler!)).toBe(remote!.spanContext().spanId);
      expect(parentOf(reply!)).toBe(handler!.spanContext().spanId);
      for (const span of [run, local, remote, handler, reply]) expect(span!.attributes['saga.execution_id']).toBe(execution.id);
      expect(local!.attributes).toMatchObject({ 'saga.step.path': '0', 'saga.step.kind': 'local', 'saga.outcome': 'finished' });
      expect(remote!.attributes).toMatchObject({ 'saga.step.path': '1', 'saga.step.kind': 'remote', 'saga.outcome': 'sent' });
      expect(run!.attributes).toMatchObject({ 'saga.definition': 'traced_order', 'saga.status': 'finished' });
    });

    it('a failed saga shows its compensation spans in the same trace', async () => {
      spans.reset();
      const execution = await manager.run({ definition: saga, context: { sku: 'none-left' }, raiseOnError: false });
      await waitFor(() => spans.getFinishedSpans().some((s) => s.name === 'saga.run'));
      const all = spans.getFinishedSpans();
      const compensation = all.find((s) => s.name === 'saga.compensate local');
      expect(compensation?.attributes).toMatchObject({ 'saga.execution_id': execution.id, 'saga.step.path': '0', 'saga.outcome': 'compensated' });
      const mine = all.filter((s) => s.attributes['saga.execution_id'] === execution.id);
      expect(mine.length).toBeGreaterThan(3);
      expect(new Set(mine.map((s) => s.spanContext().traceId)).size).toBe(1);
    });

    it('metrics count what ran', async () => {
      await manager.run({ definition: saga, context: { sku: 'B2' } });
      await broker.publish(replyTopic(service), { id: uniqueName('bad'), headers: { status: '200' }, body: null });
      const counter = async (metric: string): Promise<number> => {
        await reader.forceFlush();
        const values: unknown[] =
          metricExporter
            .getMetrics()
            .at(-1)
            ?.scopeMetrics.flatMap((scope) => scope.metrics)
            .filter((m) => m.descriptor.name === metric)
            .flatMap((m) => (m.dataPoints as { value: unknown }[]).map((point) => point.value)) ?? [];
        // Counters report a number; histograms report how many values they recorded.
        return values.reduce<number>((sum, value) => sum + (typeof value === 'number' ? value : (value as { count: number }).count), 0);
      };
      await waitFor(async () => (await counter('saga.messages.dead_lettered')) === 1, { timeoutMs: 10_000 });
      // Three runs in this suite: two finished, one errored after compensating.
      expect(await counter('saga.executions.started')).toBe(3);
      expect(await counter('saga.executions.finished')).toBe(2);
      expect(await counter('saga.executions.errored')).toBe(1);
      expect(await counter('saga.executions.compensated')).toBe(1);
      // Per run: local step, remote step; plus the compensation of the failed one.
      expect(await counter('saga.step.duration')).toBe(7);
      expect(await counter('saga.reply.latency')).toBe(3);
    });
  });
};
