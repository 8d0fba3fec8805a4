/**
 * A position in the store's global order: the pair (transaction_id, global_position) of an event,
 * written `<transaction id>:<global position>` (e.g. `1843:5120`). Events written before schema
 * version 2 have transaction id 0, so they come first, in `global_position` order.
 *
 * Opaque to callers; only this store reads it back.
 */
import { SagaError } from '@saga/core';

export interface GlobalPositionPair {
  /** An xid8, as decimal text. */
  readonly transactionId: string;
  /** A bigint, as decimal text. */
  readonly position: string;
}

const maxTransactionId = 2n ** 64n - 1n;
const maxPosition = 2n ** 63n - 1n;
const shape = /^(0|[1-9]\d{0,19}):(0|[1-9]\d{0,18})$/;

export const encodeGlobalPosition = (pair: GlobalPositionPair): string => `${pair.transactionId}:${pair.position}`;

/** Parses a position this store gave; anything else is refused with a message naming it. */
export const decodeGlobalPosition = (text: string): GlobalPositionPair => {
  const match = shape.exec(text);
  if (match === null || BigInt(match[1] as string) > maxTransactionId || BigInt(match[2] as string) > maxPosition) {
    throw new SagaError(
      `PostgresEventStore: '${text}' is not a position of this store (it gives '<transaction id>:<global position>', e.g. '1843:5120'). ` +
        'Pass a position readAll or headPosition returned, or omit it to start from the beginning.',
    );
  }
  return { transactionId: match[1] as string, position: match[2] as string };
};

/** Negative when `a` comes first in the global order, 0 when equal. */
export const compareGlobalPositions = (a: GlobalPositionPair, b: GlobalPositionPair): number => {
  const byTransaction = BigInt(a.transactionId) - BigInt(b.transactionId);
  if (byTransaction !== 0n) return byTransaction < 0n ? -1 : 1;
  const byPosition = BigInt(a.position) - BigInt(b.position);
  return byPosition === 0n ? 0 : byPosition < 0n ? -1 : 1;
};

/** Where the global order starts: before every event (positions start at 1). */
export const startOfGlobalOrder: GlobalPositionPair = { transactionId: '0', position: '0' };
