/**
 * The order saga: create the order, reserve stock, charge the card, ship (express or standard),
 * confirm. When a step fails, the steps already done are undone in reverse order.
 */
import { Saga, SagaRequest } from '@saga/core';

const expressShipping = new Saga('ship_express')
  .remoteStep()
  .onExecute((ctx) => new SagaRequest('shipping.schedule', { orderId: ctx.get('orderId'), speed: 'express' }))
  .onSuccess((ctx, reply) => ctx.with({ shipment: reply.payload }))
  .onFailure((ctx) => new SagaRequest('shipping.cancel', { orderId: ctx.get('orderId') }))
  .commit();

const standardShipping = new Saga('ship_standard')
  .remoteStep()
  .onExecute((ctx) => new SagaRequest('shipping.schedule', { orderId: ctx.get('orderId'), speed: 'standard' }))
  .onSuccess((ctx, reply) => ctx.with({ shipment: reply.payload }))
  .onFailure((ctx) => new SagaRequest('shipping.cancel', { orderId: ctx.get('orderId') }))
  .commit();

export const createOrder = new Saga('create_order', { version: '1' })
  .localStep()
  .onExecute((ctx) => ctx.with({ state: 'pending' }))
  .onFailure((ctx) => ctx.with({ state: 'cancelled' }))
  .remoteStep()
  .onExecute((ctx) => new SagaRequest('stock.reserve', { sku: ctx.get('sku'), quantity: ctx.get('quantity') }))
  .onSuccess((ctx, reply) => ctx.with({ reservation: reply.payload }))
  .onFailure((ctx) => new SagaRequest('stock.release', { reservation: ctx.get('reservation') ?? null }))
  .remoteStep()
  .onExecute((ctx) => new SagaRequest('payment.charge', { orderId: ctx.get('orderId'), amount: ctx.get('amount') }))
  .onSuccess((ctx, reply) => ctx.with({ payment: reply.payload }))
  .onFailure((ctx) => new SagaRequest('payment.refund', { payment: ctx.get('payment') ?? null }))
  .conditionalStep()
  .ifThen((ctx) => ctx.get('express') === true, expressShipping)
  .elseThen(standardShipping)
  .localStep()
  .onExecute((ctx) => ctx.with({ state: 'confirmed' }))
  .commit();
