/**
 * The fan-out workload's sagas: 10 remote requests, each to its own service, either in one parallel
 * step (10 branches of one remote step each) or as 10 remote steps in sequence. The participants
 * answer after a fixed service time, as a real service would: without it a round trip on the
 * in-process broker costs nothing, and the ratio would only compare the engine's bookkeeping.
 */
import { Saga, SagaParticipant, SagaRequest, type Broker } from '@saga/core';
import { fanoutWidth } from './fanoutComparison.js';

/** Each request's topic: its own service, so the participants run side by side as separate services would. */
export const fanoutTarget = (index: number): string => `sagabench.fanout.${index}`;

/** Branch `index`'s one remote step, as a saga: the parallel step's branch, or a slice of the sequence. */
const remoteCall = (index: number) =>
  new Saga(`bench_fanout_call_${index}`)
    .remoteStep()
    .onExecute((ctx) => new SagaRequest(fanoutTarget(index), { orderId: ctx.get('orderId') ?? null }))
    .onSuccess((ctx, reply) => ctx.with({ [`answer${index}`]: reply.payload }))
    .commit();

const indexes = Array.from({ length: fanoutWidth }, (_, index) => index);

export const fanoutParallelSaga = ((): Saga => {
  const step = new Saga('bench_fanout_parallel', { version: '1' }).parallelStep();
  for (const index of indexes) step.branch(remoteCall(index));
  return step.commit();
})();

export const fanoutSequenceSaga = ((): Saga => {
  const saga = new Saga('bench_fanout_sequence', { version: '1' });
  for (const index of indexes) {
    saga
      .remoteStep()
      .onExecute((ctx) => new SagaRequest(fanoutTarget(index), { orderId: ctx.get('orderId') ?? null }))
      .onSuccess((ctx, reply) => ctx.with({ [`answer${index}`]: reply.payload }));
  }
  return saga.commit();
})();

/** The keys a finished fan-out saga's context must hold: one answer per request. */
export const fanoutAnswerKeys = indexes.map((index) => `answer${index}`);

/** The 10 services, in this process, on `broker`; each answers after `serviceMs` (a timer, not a busy wait). */
export const startFanoutParticipants = async (broker: Broker, serviceMs: number): Promise<{ destroy(): Promise<void> }> => {
  const all = indexes.map((index) =>
    new SagaParticipant({ broker, service: `sagabench-fanout-${index}` }).handle(
      fanoutTarget(index),
      () => new Promise((resolve) => setTimeout(() => resolve({ service: index }), serviceMs)),
    ),
  );
  for (const participant of all) await participant.setup();
  return {
    destroy: async () => {
      for (const participant of all) await participant.destroy();
    },
  };
};
