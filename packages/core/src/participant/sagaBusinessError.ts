import { SagaError, type JsonValue } from '@saga/definitions';

/**
 * Thrown by a participant's handler to refuse a request for a business reason (out of stock, card
 * declined). The reply is `ERROR` (400) with `{ name, message, details }`; the saga's `onError`
 * decides what happens next. Any other exception replies `SYSTEM_ERROR` (500).
 */
export class SagaBusinessError extends SagaError {
  constructor(
    message: string,
    readonly details: JsonValue = null,
  ) {
    super(message);
  }
}
