/**
 * Traces and metrics through `@opentelemetry/api` only: users bring their SDK. With none
 * registered, the API hands out no-op tracers and meters, so this costs next to nothing.
 *
 * One saga is one trace: the manager's spans are parents of the requests it sends, whose W3C
 * trace context travels in the message headers; a participant's handler span continues it, and
 * so does the manager that applies the reply.
 */
import { context, metrics, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { SagaEvent } from '@saga/execution';

const scope = '@saga/core';

/** Attribute names, on every span and metric point where they apply. */
export const SagaAttributes = {
  executionId: 'saga.execution_id',
  definition: 'saga.definition',
  version: 'saga.definition_version',
  status: 'saga.status',
  stepPath: 'saga.step.path',
  stepKind: 'saga.step.kind',
  outcome: 'saga.outcome',
  requestId: 'saga.request_id',
  target: 'saga.target',
  service: 'saga.service',
} as const;

export const tracer = () => trace.getTracer(scope);

/** Runs `work` in a new active span; ends it with the outcome `work` reports or the error it throws. */
export const inSpan = async <T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
  options: { kind?: SpanKind; parent?: Context } = {},
): Promise<T> =>
  tracer().startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes }, options.parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });

/** The active trace context as message headers (`traceparent`, `tracestate`), for a message sent now. */
export const traceHeaders = (): Record<string, string> => {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
};

/** The trace context a message carried, to continue its trace. */
export const traceContextOf = (headers: Readonly<Record<string, string>>): Context => propagation.extract(context.active(), headers);

export { SpanKind };

interface Instruments {
  readonly started: ReturnType<ReturnType<typeof metrics.getMeter>['createCounter']>;
  readonly finished: ReturnType<ReturnType<typeof metrics.getMeter>['createCounter']>;
  readonly errored: ReturnType<ReturnType<typeof metrics.getMeter>['createCounter']>;
  readonly compensated: ReturnType<ReturnType<typeof metrics.getMeter>['createCounter']>;
  readonly conflicts: ReturnType<ReturnType<typeof metrics.getMeter>['createCounter']>;
  readonly deadLettered: ReturnType<ReturnType<typeof metrics.getMeter>['createCounter']>;
  readonly timersFired: ReturnType<ReturnType<typeof metrics.getMeter>['createCounter']>;
  readonly stepDuration: ReturnType<ReturnType<typeof metrics.getMeter>['createHistogram']>;
  readonly replyLatency: ReturnType<ReturnType<typeof metrics.getMeter>['createHistogram']>;
}

let cached: { provider: unknown; instruments: Instruments } | undefined;

/** The instruments of the currently registered meter provider (re-created if it changed). */
export const instruments = (): Instruments => {
  const provider = metrics.getMeterProvider();
  if (cached?.provider === provider) return cached.instruments;
  const meter = metrics.getMeter(scope);
  const instrumentsNow: Instruments = {
    started: meter.createCounter('saga.executions.started', { description: 'Executions started' }),
    finished: meter.createCounter('saga.executions.finished', { description: 'Executions whose steps all finished' }),
    errored: meter.createCounter('saga.executions.errored', { description: 'Executions that ended errored' }),
    compensated: meter.createCounter('saga.executions.compensated', { description: 'Executions whose compensation completed' }),
    conflicts: meter.createCounter('saga.conflicts.retried', { description: 'Appends that lost a race and were decided again' }),
    deadLettered: meter.createCounter('saga.messages.dead_lettered', { description: 'Malformed messages sent to a dead-letter topic' }),
    timersFired: meter.createCounter('saga.timers.fired', { description: 'Durable timers that fired and changed an execution' }),
    stepDuration: meter.createHistogram('saga.step.duration', { unit: 'ms', description: 'Time to perform one step action (callbacks included)' }),
    replyLatency: meter.createHistogram('saga.reply.latency', { unit: 'ms', description: 'From a request being stored to its reply being applied' }),
  };
  cached = { provider, instruments: instrumentsNow };
  return instrumentsNow;
};

/** Counts what stored events say happened, so metrics match the histories exactly. */
export const countStoredEvents = (events: readonly SagaEvent[], definition: string): void => {
  const i = instruments();
  const attributes = { [SagaAttributes.definition]: definition };
  for (const event of events) {
    switch (event.type) {
      case 'SagaStarted':
        i.started.add(1, attributes);
        break;
      case 'SagaCompleted':
        i.finished.add(1, attributes);
        break;
      case 'SagaFailed':
        i.errored.add(1, attributes);
        i.compensated.add(1, attributes);
        break;
      case 'CompensationFailed':
        i.errored.add(1, attributes);
        break;
      case 'TimerFired':
        i.timersFired.add(1, attributes);
        break;
      default:
        break;
    }
  }
};
