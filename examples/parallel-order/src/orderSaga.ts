/**
 * The order saga: validate the order, then reserve the stock and authorize the payment at once (one
 * parallel step, two branches), then ship the parcel in a child saga of its own, then issue the
 * invoice. When a step fails, everything already done is undone: every finished step of every branch,
 * the child's own steps, and the validation.
 */
import { Saga, SagaRequest } from '@saga/core';

/** Branch 1: the stock service reserves the items; released if the order fails later. */
export const reserveStock = new Saga('reserve_stock')
  .remoteStep()
  .onExecute((ctx) => new SagaRequest('stock.reserve', { orderId: ctx.get('orderId'), sku: ctx.get('sku'), quantity: ctx.get('quantity') }))
  .onSuccess((ctx, reply) => ctx.with({ reservation: reply.payload }))
  .onFailure((ctx) => new SagaRequest('stock.release', { orderId: ctx.get('orderId') }))
  .commit();

/** Branch 2: the payment service authorizes the amount; voided if the order fails later. */
export const authorizePayment = new Saga('authorize_payment')
  .remoteStep()
  .onExecute((ctx) => new SagaRequest('payment.authorize', { orderId: ctx.get('orderId'), amount: ctx.get('amount') }))
  .onSuccess((ctx, reply) => ctx.with({ authorization: reply.payload }))
  .onFailure((ctx) => new SagaRequest('payment.void', { orderId: ctx.get('orderId') }))
  .commit();

/** The child saga: print a label, book the carrier. It runs as an execution of its own, with its own history. */
export const shipParcel = new Saga('ship_parcel', { version: '1' })
  .localStep()
  .onExecute((ctx) => ctx.with({ label: `LBL-${String(ctx.get('orderId'))}` }))
  .onFailure((ctx) => ctx.with({ label: null }))
  .remoteStep()
  .onExecute((ctx) => new SagaRequest('shipping.book', { orderId: ctx.get('orderId'), address: ctx.get('address') }))
  .onSuccess((ctx, reply) => ctx.with({ tracking: (reply.payload as { tracking: string }).tracking }))
  .onFailure((ctx) => new SagaRequest('shipping.cancel', { orderId: ctx.get('orderId') }))
  .commit();

export const createOrder = new Saga('create_parallel_order', { version: '1' })
  .localStep()
  .onExecute((ctx) => ctx.with({ state: 'validated' }))
  .onFailure((ctx) => ctx.with({ state: 'cancelled' }))
  .parallelStep()
  .branch(reserveStock)
  .branch(authorizePayment)
  // The same as the default join here, spelled out to name what the order takes from each branch.
  .onJoin((ctx, [stock, payment]) => ctx.with({ reservation: stock?.get('reservation') ?? null, authorization: payment?.get('authorization') ?? null }))
  .childStep(shipParcel)
  .onExecute((ctx) => ({ orderId: ctx.get('orderId') ?? null, address: ctx.get('address') ?? null }))
  .onSuccess((ctx, shipment) => ctx.with({ tracking: shipment.context.get('tracking') ?? null, shipment: shipment.id }))
  .remoteStep()
  .onExecute((ctx) => new SagaRequest('invoice.issue', { orderId: ctx.get('orderId'), customer: ctx.get('customer') }))
  .onSuccess((ctx, reply) => ctx.with({ invoice: reply.payload, state: 'confirmed' }))
  .commit();
