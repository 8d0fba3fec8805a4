/**
 * The saga every case runs: reserve stock, charge the card, schedule shipping, each a remote step
 * with its compensation (release, refund, cancel). What the order says decides its path:
 * `refuse` makes shipping answer ERROR (the card is refunded, the stock released, the transaction
 * rejected); `hold` makes shipping never answer (the reply timeout fires and compensates).
 */
import { Saga, SagaRequest } from '@saga/core';
import type { Services } from './caseConfig.js';

export const matrixSagaName = 'crash_matrix_order';

export const createMatrixSaga = (services: Services): Saga =>
  new Saga(matrixSagaName, { version: '1' })
    .localStep()
    .onExecute((ctx) => ctx.with({ state: 'pending' }))
    .remoteStep()
    .onExecute((ctx) => new SagaRequest(`${services.stock}.reserve`, { orderId: ctx.get('orderId') }))
    .onSuccess((ctx, reply) => ctx.with({ reservation: reply.payload }))
    .onFailure((ctx) => new SagaRequest(`${services.stock}.release`, { orderId: ctx.get('orderId') }))
    .remoteStep()
    .onExecute((ctx) => new SagaRequest(`${services.payment}.charge`, { orderId: ctx.get('orderId') }))
    .onSuccess((ctx, reply) => ctx.with({ payment: reply.payload }))
    .onFailure((ctx) => new SagaRequest(`${services.payment}.refund`, { orderId: ctx.get('orderId') }))
    .remoteStep()
    .onExecute((ctx) => new SagaRequest(`${services.shipping}.schedule`, { orderId: ctx.get('orderId'), refuse: ctx.get('refuse') ?? false, hold: ctx.get('hold') ?? false }))
    .onSuccess((ctx, reply) => ctx.with({ shipment: reply.payload }))
    .onFailure((ctx) => new SagaRequest(`${services.shipping}.cancel`, { orderId: ctx.get('orderId') }))
    .localStep()
    .onExecute((ctx) => ctx.with({ state: 'confirmed' }))
    .commit();
