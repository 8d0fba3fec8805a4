/**
 * The sagas and participants the fault suite runs. Service names are unique per test (the suite may
 * run on a shared, long-lived broker), so the sagas are built from them.
 *
 * The order saga has five steps, three of them remote, each with a compensation:
 *
 *   0 local  create            ↺ undo create
 *   1 remote <stock>.reserve   ↺ <stock>.release
 *   2 remote <payment>.charge  ↺ <payment>.refund
 *   3 remote <shipping>.schedule (a business error when the context says `failShipping`)  ↺ <shipping>.cancel
 *   4 local  confirm
 *
 * With `failShipping` the shipping reply is an ERROR without onError: steps 2, 1 and 0 are
 * compensated in that order and the participants are told to reject.
 *
 * The fan-out saga runs the same three participants through a parallel step and a child saga:
 *
 *   0 local    create                                   ↺ undo create
 *   1 parallel branch 0: remote <stock>.reserve         ↺ <stock>.release
 *              branch 1: remote <payment>.charge        ↺ <payment>.refund
 *   2 child    <name>_shipping: remote <shipping>.schedule (fails with `failShipping`)  ↺ <shipping>.cancel
 *   3 local    confirm
 *
 * With `failShipping` the child ends errored (nothing of its own to compensate), which fails step 2:
 * both branches (1.0.0, 1.1.0) and step 0 are compensated and the parent's participants rejected.
 */
import { Saga, SagaBusinessError, SagaRequest, type JsonObject, type RetryPolicy } from '@saga/core';
import type { EffectHandler } from './countingParticipant.js';

export interface FaultServices {
  /** The manager's service: replies come back on `<order>.reply`. */
  readonly order: string;
  readonly stock: string;
  readonly payment: string;
  readonly shipping: string;
  /** A service nobody runs: requests to `<silent>.wait` are answered by the test itself. */
  readonly silent: string;
}

export const faultTargets = (s: FaultServices) => ({
  reserve: `${s.stock}.reserve`,
  release: `${s.stock}.release`,
  charge: `${s.payment}.charge`,
  refund: `${s.payment}.refund`,
  schedule: `${s.shipping}.schedule`,
  cancel: `${s.shipping}.cancel`,
  wait: `${s.silent}.wait`,
});

export type FaultTargets = ReturnType<typeof faultTargets>;

export interface OrderSagaOptions {
  /** Re-send each remote request with the same requestId when no reply came (lost messages). */
  readonly resend?: RetryPolicy;
  /** Counts the runs of local callbacks (they may run more than once; only one result is recorded). */
  readonly localCalls?: Map<string, number>;
  readonly name?: string;
}

const orderOf = (ctx: { get(key: string): unknown }): number => Number(ctx.get('order') ?? 0);

export const orderSaga = (services: FaultServices, options: OrderSagaOptions = {}): Saga => {
  const t = faultTargets(services);
  const local = (what: string): void => void options.localCalls?.set(what, (options.localCalls.get(what) ?? 0) + 1);
  const saga = new Saga(options.name ?? 'fault_order', { version: '1' });
  saga
    .localStep()
    .onExecute((ctx) => {
      local('create');
      return ctx.with({ created: true });
    })
    .onFailure((ctx) => {
      local('undo create');
      return ctx.with({ created: false });
    });
  const remoteSteps = [
    saga
      .remoteStep()
      .onExecute((ctx) => new SagaRequest(t.reserve, { order: orderOf(ctx) }))
      .onSuccess((ctx, reply) => ctx.with({ reservation: reply.payload }))
      .onFailure((ctx) => new SagaRequest(t.release, { order: orderOf(ctx) })),
    saga
      .remoteStep()
      .onExecute((ctx) => new SagaRequest(t.charge, { order: orderOf(ctx) }))
      .onSuccess((ctx, reply) => ctx.with({ payment: reply.payload }))
      .onFailure((ctx) => new SagaRequest(t.refund, { order: orderOf(ctx) })),
    saga
      .remoteStep()
      .onExecute((ctx) => new SagaRequest(t.schedule, { order: orderOf(ctx), fail: ctx.get('failShipping') === true }))
      .onSuccess((ctx, reply) => ctx.with({ shipment: reply.payload }))
      .onFailure((ctx) => new SagaRequest(t.cancel, { order: orderOf(ctx) })),
  ];
  if (options.resend) for (const step of remoteSteps) step.retry(options.resend);
  saga.localStep().onExecute((ctx) => {
    local('confirm');
    return ctx.with({ confirmed: true });
  });
  return saga.commit();
};

/** The child of the fan-out saga: schedules the shipment (its own execution, its own transaction). */
export const shippingChildSaga = (services: FaultServices, options: OrderSagaOptions = {}): Saga => {
  const t = faultTargets(services);
  const step = new Saga(`${options.name ?? 'fault_fanout'}_shipping`, { version: '1' })
    .remoteStep()
    .onExecute((ctx) => new SagaRequest(t.schedule, { order: orderOf(ctx), fail: ctx.get('failShipping') === true }))
    .onSuccess((ctx, reply) => ctx.with({ shipment: reply.payload }))
    .onFailure((ctx) => new SagaRequest(t.cancel, { order: orderOf(ctx) }));
  if (options.resend) step.retry(options.resend);
  return step.commit();
};

const branchSaga = (name: string, execute: string, undo: string, key: string, resend: RetryPolicy | undefined): Saga => {
  const step = new Saga(name, { version: '1' })
    .remoteStep()
    .onExecute((ctx) => new SagaRequest(execute, { order: orderOf(ctx) }))
    .onSuccess((ctx, reply) => ctx.with({ [key]: reply.payload }))
    .onFailure((ctx) => new SagaRequest(undo, { order: orderOf(ctx) }));
  if (resend) step.retry(resend);
  return step.commit();
};

/** The order saga's participants again, through a parallel step (stock ∥ payment) and a child saga (shipping). */
export const fanOutSaga = (services: FaultServices, options: OrderSagaOptions = {}): Saga => {
  const t = faultTargets(services);
  const name = options.name ?? 'fault_fanout';
  const local = (what: string): void => void options.localCalls?.set(what, (options.localCalls.get(what) ?? 0) + 1);
  return new Saga(name, { version: '1' })
    .localStep()
    .onExecute((ctx) => {
      local('create');
      return ctx.with({ created: true });
    })
    .onFailure((ctx) => {
      local('undo create');
      return ctx.with({ created: false });
    })
    .parallelStep()
    .branch(branchSaga(`${name}_stock`, t.reserve, t.release, 'reservation', options.resend))
    .branch(branchSaga(`${name}_payment`, t.charge, t.refund, 'payment', options.resend))
    .childStep(shippingChildSaga(services, options))
    .onExecute((ctx) => ({ order: orderOf(ctx), failShipping: ctx.get('failShipping') === true }))
    .onSuccess((ctx, child) => ctx.with({ shipment: child.context.get('shipment') ?? null }))
    .localStep()
    .onExecute((ctx) => {
      local('confirm');
      return ctx.with({ confirmed: true });
    })
    .commit();
};

/**
 * A saga that waits on `<silent>.wait` (nobody answers but the test), then reserves stock: for
 * scenarios that need executions sitting still while messages are thrown at them.
 */
export const waitingSaga = (services: FaultServices): Saga => {
  const t = faultTargets(services);
  return new Saga('fault_waiting', { version: '1' })
    .remoteStep()
    .onExecute((ctx) => new SagaRequest(t.wait, { order: orderOf(ctx) }))
    .onSuccess((ctx, reply) => ctx.with({ answer: reply.payload }))
    .remoteStep()
    .onExecute((ctx) => new SagaRequest(t.reserve, { order: orderOf(ctx) }))
    .onSuccess((ctx, reply) => ctx.with({ reservation: reply.payload }))
    .onFailure((ctx) => new SagaRequest(t.release, { order: orderOf(ctx) }))
    .commit();
};

const order = (payload: unknown): number => Number((payload as JsonObject | null)?.order ?? 0);

/** The handlers of the three participants of the order saga, by service. */
export const participantHandlers = (services: FaultServices): Record<'stock' | 'payment' | 'shipping', Record<string, EffectHandler>> => {
  const t = faultTargets(services);
  return {
    stock: {
      [t.reserve]: (payload) => ({ reserved: order(payload) }),
      [t.release]: (payload) => ({ released: order(payload) }),
    },
    payment: {
      [t.charge]: (payload) => ({ charged: order(payload) }),
      [t.refund]: (payload) => ({ refunded: order(payload) }),
    },
    shipping: {
      [t.schedule]: (payload) => {
        if ((payload as JsonObject | null)?.fail === true) throw new SagaBusinessError('no carrier available', { order: order(payload) });
        return { scheduled: order(payload) };
      },
      [t.cancel]: (payload) => ({ cancelled: order(payload) }),
    },
  };
};
