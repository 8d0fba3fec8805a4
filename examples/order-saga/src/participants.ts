/**
 * The three services the order saga talks to. In production each runs in its own process; here
 * they share the manager's in-process broker.
 */
import { SagaBusinessError, SagaParticipant, type Broker, type JsonObject } from '@saga/core';

const creditLimit = 1_000;

export const startParticipants = async (broker: Broker) => {
  const stock = new SagaParticipant({ broker, service: 'stock' })
    .handle('stock.reserve', (payload) => {
      const { sku, quantity } = payload as JsonObject;
      return { sku, quantity, reservationId: `R-${String(sku)}-${Date.now()}` };
    })
    .handle('stock.release', () => ({ released: true }));

  const payment = new SagaParticipant({ broker, service: 'payment' })
    .handle('payment.charge', (payload) => {
      const { amount } = payload as JsonObject;
      if (typeof amount !== 'number' || amount > creditLimit) {
        throw new SagaBusinessError(`card declined: ${String(amount)} is over the credit limit of ${creditLimit}`, { amount: amount ?? null });
      }
      return { charged: amount, chargeId: `C-${Date.now()}` };
    })
    .handle('payment.refund', () => ({ refunded: true }));

  const shipping = new SagaParticipant({ broker, service: 'shipping' })
    .handle('shipping.schedule', (payload) => {
      const { speed } = payload as JsonObject;
      return { carrier: speed === 'express' ? 'NightOwl Express' : 'Parcel Post', days: speed === 'express' ? 1 : 4 };
    })
    .handle('shipping.cancel', () => ({ cancelled: true }));

  const all = [stock, payment, shipping];
  for (const participant of all) await participant.setup();
  return { destroy: async () => Promise.all(all.map((p) => p.destroy())) };
};
