/**
 * The sagas every engine runs, written for this engine. The peers' versions (subjects/dbos.ts,
 * subjects/restate.ts) do the same work: trivial steps, so what is measured is the engine.
 *
 * W1: three local steps, each adding one field to the context.
 * W1-durable: the same steps with `durableLocalSteps: true`: the start is stored before step 1, and
 *   each step's result before the next step runs (4 appends), as DBOS checkpoints each of its steps.
 * W2: the compensation path: steps 1 and 2 succeed, step 3 throws, steps 2 then 1 are compensated.
 * W3: three remote steps (stock, payment, shipping), each a request to a participant and its reply.
 */
import { Saga, SagaParticipant, SagaRequest, type Broker } from '@saga/core';

/** W1's steps under `name`: its own name, so W1 and W1-durable histories never share a definition. */
const threeLocalSteps = (name: string, durableLocalSteps: boolean) =>
  new Saga(name, { version: '1', durableLocalSteps })
    .localStep()
    .onExecute((ctx) => ctx.with({ reserved: true }))
    .onFailure((ctx) => ctx.with({ reserved: false }))
    .localStep()
    .onExecute((ctx) => ctx.with({ charged: true }))
    .onFailure((ctx) => ctx.with({ charged: false }))
    .localStep()
    .onExecute((ctx) => ctx.with({ shipped: true }))
    .commit();

export const w1Saga = threeLocalSteps('bench_w1_three_local', false);
export const w1DurableSaga = threeLocalSteps('bench_w1_durable_local', true);

export class StepDeclined extends Error {
  override readonly name = 'StepDeclined';
}

export const w2Saga = new Saga('bench_w2_compensation', { version: '1' })
  .localStep()
  .onExecute((ctx) => ctx.with({ reserved: true }))
  .onFailure((ctx) => ctx.with({ reserved: false }))
  .localStep()
  .onExecute((ctx) => ctx.with({ charged: true }))
  .onFailure((ctx) => ctx.with({ charged: false }))
  .localStep()
  .onExecute(() => {
    throw new StepDeclined('shipping declined');
  })
  .commit();

/** Topics are prefixed so the benchmark's queues never mix with anything else on the broker. */
export const remoteTargets = {
  reserve: 'sagabench.stock.reserve',
  release: 'sagabench.stock.release',
  charge: 'sagabench.payment.charge',
  refund: 'sagabench.payment.refund',
  ship: 'sagabench.shipping.schedule',
  cancel: 'sagabench.shipping.cancel',
} as const;

export const w3Saga = new Saga('bench_w3_three_remote', { version: '1' })
  .remoteStep()
  .onExecute((ctx) => new SagaRequest(remoteTargets.reserve, { orderId: ctx.get('orderId') ?? null }))
  .onSuccess((ctx, reply) => ctx.with({ reservation: reply.payload }))
  .onFailure((ctx) => new SagaRequest(remoteTargets.release, { orderId: ctx.get('orderId') ?? null }))
  .remoteStep()
  .onExecute((ctx) => new SagaRequest(remoteTargets.charge, { orderId: ctx.get('orderId') ?? null }))
  .onSuccess((ctx, reply) => ctx.with({ payment: reply.payload }))
  .onFailure((ctx) => new SagaRequest(remoteTargets.refund, { orderId: ctx.get('orderId') ?? null }))
  .remoteStep()
  .onExecute((ctx) => new SagaRequest(remoteTargets.ship, { orderId: ctx.get('orderId') ?? null }))
  .onSuccess((ctx, reply) => ctx.with({ shipment: reply.payload }))
  .onFailure((ctx) => new SagaRequest(remoteTargets.cancel, { orderId: ctx.get('orderId') ?? null }))
  .commit();

/** The three services of W3, in this process, on `broker`. */
export const startW3Participants = async (broker: Broker): Promise<{ destroy(): Promise<void> }> => {
  const all = [
    new SagaParticipant({ broker, service: 'sagabench-stock' })
      .handle(remoteTargets.reserve, () => ({ reservationId: 'R-1' }))
      .handle(remoteTargets.release, () => ({ released: true })),
    new SagaParticipant({ broker, service: 'sagabench-payment' })
      .handle(remoteTargets.charge, () => ({ chargeId: 'C-1' }))
      .handle(remoteTargets.refund, () => ({ refunded: true })),
    new SagaParticipant({ broker, service: 'sagabench-shipping' })
      .handle(remoteTargets.ship, () => ({ carrier: 'Parcel Post' }))
      .handle(remoteTargets.cancel, () => ({ cancelled: true })),
  ];
  for (const participant of all) await participant.setup();
  return {
    destroy: async () => {
      for (const participant of all) await participant.destroy();
    },
  };
};

/** A context like an order's: a few fields, as the peers get too. */
export const orderContext = (index: number) => ({ orderId: `order-${index}`, sku: 'A1', quantity: 2, amount: 42 });
