import { SagaError } from '@saga/definitions';
import { defaultSubscribeOptions, type SubscribeOptions } from './broker.js';

/** The port's defaults filled in, and nonsense refused before anything is declared on the server. */
export const resolveSubscribeOptions = (options: SubscribeOptions = {}): Required<SubscribeOptions> => {
  const resolved = { ...defaultSubscribeOptions, ...stripUndefined(options) };
  for (const key of ['maxDeliveries', 'concurrency'] as const) {
    if (!Number.isSafeInteger(resolved[key]) || resolved[key] < 1) {
      throw new SagaError(`Subscribe option ${key} must be a whole number ≥ 1, got ${String(resolved[key])}.`);
    }
  }
  if (!Number.isFinite(resolved.redeliveryDelayMs) || resolved.redeliveryDelayMs < 0) {
    throw new SagaError(`Subscribe option redeliveryDelayMs must be a finite number ≥ 0, got ${String(resolved.redeliveryDelayMs)}.`);
  }
  return resolved;
};

const stripUndefined = (options: SubscribeOptions): SubscribeOptions =>
  Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));

/** How a handler's failure is written into `x-dead-letter-reason`, the same on every broker. */
export const deadLetterReason = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : `Non-error thrown: ${String(error)}`;
