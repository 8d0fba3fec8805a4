/**
 * The order saga of examples/order-saga, with every remote step in another process: reserve stock,
 * charge the card, schedule shipping, confirm. Each remote step has a compensation (release,
 * refund, cancel), run in reverse order when a later step fails:
 *
 *   - a card over the credit limit is declined (payment replies ERROR): the stock is released and
 *     the order cancelled;
 *   - a destination no carrier serves is refused (shipping replies ERROR): the card is refunded,
 *     the stock released and the order cancelled.
 *
 * Service names carry the run's namespace (see `servicesOf`), so the definition is built per run;
 * its name, version and shape (hence its fingerprint) are the same in every process of a run.
 */
import { Saga, SagaRequest } from '@saga/core';
import type { Services } from './config.js';

export const orderSagaName = 'distributed_order';

export const createOrderSaga = (services: Services): Saga =>
  new Saga(orderSagaName, { version: '1' })
    .localStep()
    .onExecute((ctx) => ctx.with({ state: 'pending' }))
    .onFailure((ctx) => ctx.with({ state: 'cancelled' }))
    .remoteStep()
    .onExecute((ctx) => new SagaRequest(`${services.stock}.reserve`, { orderId: ctx.get('orderId'), sku: ctx.get('sku'), quantity: ctx.get('quantity') }))
    .onSuccess((ctx, reply) => ctx.with({ reservation: reply.payload }))
    .onFailure((ctx) => new SagaRequest(`${services.stock}.release`, { orderId: ctx.get('orderId') }))
    .remoteStep()
    .onExecute((ctx) => new SagaRequest(`${services.payment}.charge`, { orderId: ctx.get('orderId'), amount: ctx.get('amount') }))
    .onSuccess((ctx, reply) => ctx.with({ payment: reply.payload }))
    .onFailure((ctx) => new SagaRequest(`${services.payment}.refund`, { orderId: ctx.get('orderId') }))
    .remoteStep()
    .onExecute((ctx) => new SagaRequest(`${services.shipping}.schedule`, { orderId: ctx.get('orderId'), destination: ctx.get('destination') }))
    .onSuccess((ctx, reply) => ctx.with({ shipment: reply.payload }))
    .onFailure((ctx) => new SagaRequest(`${services.shipping}.cancel`, { orderId: ctx.get('orderId') }))
    .localStep()
    .onExecute((ctx) => ctx.with({ state: 'confirmed' }))
    .commit();
