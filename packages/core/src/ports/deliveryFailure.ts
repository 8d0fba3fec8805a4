/**
 * The dead-letter-or-retry rule of the Broker port (see `broker.ts`), written once for every adapter:
 * what happens to a delivery whose handler threw, and to one that members took and never settled.
 */
import { isPoisonMessageError } from './poisonMessageError.js';
import { deadLetterReason } from './subscribeOptions.js';

export interface DeadLetterVerdict {
  readonly action: 'dead-letter';
  /** For `x-dead-letter-reason`. */
  readonly reason: string;
  /** For `x-deliveries`. */
  readonly deliveries: number;
}

export type FailedDelivery = { readonly action: 'retry' } | DeadLetterVerdict;

/**
 * After the handler threw on delivery `deliveryCount`: a poison message, or the last delivery
 * allowed, is dead-lettered with the error as the reason; anything else is delivered again.
 */
export const afterHandlerFailure = (error: unknown, deliveryCount: number, maxDeliveries: number): FailedDelivery =>
  isPoisonMessageError(error) || deliveryCount >= maxDeliveries
    ? { action: 'dead-letter', reason: deadLetterReason(error), deliveries: deliveryCount }
    : { action: 'retry' };

/**
 * Before the handler, on brokers that count deliveries to members that closed or died without
 * settling: past `maxDeliveries`, no handler gets it again.
 */
export const abandonedDelivery = (deliveryCount: number, maxDeliveries: number): DeadLetterVerdict | undefined => {
  if (deliveryCount <= maxDeliveries) return undefined;
  const deliveries = deliveryCount - 1;
  return { action: 'dead-letter', reason: `The consumer closed or died before acknowledging, after ${deliveries} deliveries`, deliveries };
};
