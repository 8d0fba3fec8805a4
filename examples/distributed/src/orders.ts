/**
 * The orders a run starts, and what should become of each: most go through; every fifth is over
 * the credit limit (declined at payment); every seventh goes where no carrier delivers (refused at
 * shipping, after the card was charged, so the refund runs too).
 */
import type { JsonObject } from '@saga/core';

export const creditLimit = 1_000;
export const carriers: Readonly<Record<string, string>> = { Lisbon: 'Atlantic Parcels', Oslo: 'Fjord Freight', Osaka: 'Kansai Express' };
const unserved = 'Atlantis';

export type ExpectedOutcome = 'finished' | 'declined' | 'undeliverable';

export interface Order extends JsonObject {
  readonly orderId: string;
  readonly sku: string;
  readonly quantity: number;
  readonly amount: number;
  readonly destination: string;
}

export const makeOrders = (count: number, prefix = 'order'): Order[] =>
  Array.from({ length: count }, (_, i) => {
    const destinations = Object.keys(carriers);
    return {
      orderId: `${prefix}-${String(i + 1).padStart(4, '0')}`,
      sku: `SKU-${(i % 13) + 1}`,
      quantity: (i % 3) + 1,
      amount: i % 5 === 4 ? 5_000 : 20 + ((i * 37) % 400),
      destination: i % 7 === 6 ? unserved : (destinations[i % destinations.length] ?? 'Lisbon'),
    };
  });

export const expectedOutcome = (order: Pick<Order, 'amount' | 'destination'>): ExpectedOutcome =>
  order.amount > creditLimit ? 'declined' : carriers[order.destination] === undefined ? 'undeliverable' : 'finished';
