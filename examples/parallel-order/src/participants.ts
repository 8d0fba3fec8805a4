/**
 * The four services the order talks to, each keeping its own record of what it did: the test checks
 * these records, not the saga's view of them. In production each runs in its own process; here they
 * share the manager's in-process broker.
 */
import { SagaBusinessError, SagaParticipant, type Broker, type JsonObject } from '@saga/core';

export const creditLimit = 1_000;

/** What each service did, in the order it did it: `reserve order-1` … `release order-2`. */
export interface Ledgers {
  readonly stock: string[];
  readonly payment: string[];
  readonly shipping: string[];
  readonly invoice: string[];
}

const orderOf = (payload: unknown): string => String((payload as JsonObject).orderId);

/** Stock answers after a short while, as a real one would: the payment's answer usually comes first. */
const stockServiceMs = 30;

export const startParticipants = async (broker: Broker) => {
  const ledgers: Ledgers = { stock: [], payment: [], shipping: [], invoice: [] };
  let bookings = 0;

  const stock = new SagaParticipant({ broker, service: 'stock' })
    .handle('stock.reserve', async (payload) => {
      await new Promise((resolve) => setTimeout(resolve, stockServiceMs));
      ledgers.stock.push(`reserve ${orderOf(payload)}`);
      const { sku, quantity } = payload as JsonObject;
      return { sku, quantity, reservationId: `R-${orderOf(payload)}` };
    })
    .handle('stock.release', (payload) => {
      ledgers.stock.push(`release ${orderOf(payload)}`);
      return { released: true };
    });

  const payment = new SagaParticipant({ broker, service: 'payment' })
    .handle('payment.authorize', (payload) => {
      const { amount } = payload as JsonObject;
      if (typeof amount !== 'number' || amount > creditLimit) {
        ledgers.payment.push(`decline ${orderOf(payload)}`);
        throw new SagaBusinessError(`card declined: ${String(amount)} is over the credit limit of ${creditLimit}`, { amount: amount ?? null });
      }
      ledgers.payment.push(`authorize ${orderOf(payload)} ${amount}`);
      return { authorizationId: `A-${orderOf(payload)}`, amount };
    })
    .handle('payment.void', (payload) => {
      ledgers.payment.push(`void ${orderOf(payload)}`);
      return { voided: true };
    });

  const shipping = new SagaParticipant({ broker, service: 'shipping' })
    .handle('shipping.book', (payload) => {
      const { address } = payload as JsonObject;
      if (typeof address !== 'string' || address.trim() === '') {
        ledgers.shipping.push(`refuse ${orderOf(payload)}`);
        throw new SagaBusinessError('no carrier delivers to an empty address');
      }
      bookings += 1;
      ledgers.shipping.push(`book ${orderOf(payload)}`);
      return { tracking: `TRK-${String(bookings).padStart(4, '0')}` };
    })
    .handle('shipping.cancel', (payload) => {
      ledgers.shipping.push(`cancel ${orderOf(payload)}`);
      return { cancelled: true };
    });

  const invoice = new SagaParticipant({ broker, service: 'invoice' }).handle('invoice.issue', (payload) => {
    const { customer } = payload as JsonObject;
    if (customer === 'blocked') {
      ledgers.invoice.push(`refuse ${orderOf(payload)}`);
      throw new SagaBusinessError('the customer account is blocked');
    }
    ledgers.invoice.push(`issue ${orderOf(payload)}`);
    return { invoiceId: `INV-${orderOf(payload)}` };
  });

  const all = [stock, payment, shipping, invoice];
  for (const participant of all) await participant.setup();
  return { ledgers, destroy: async () => void (await Promise.all(all.map((p) => p.destroy()))) };
};
