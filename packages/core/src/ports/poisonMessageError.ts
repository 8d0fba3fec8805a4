import { SagaError, isSagaErrorNamed } from '@saga/definitions';

/**
 * Thrown by a message handler for input that no retry can fix (not JSON, missing ids, unknown
 * status, wrong payload shape). Brokers dead-letter such a message at once with this message as
 * the reason, instead of redelivering it.
 */
export class PoisonMessageError extends SagaError {}

export const isPoisonMessageError = (error: unknown): error is PoisonMessageError =>
  isSagaErrorNamed<PoisonMessageError>(error, 'PoisonMessageError');
