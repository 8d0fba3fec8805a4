import type { Position } from '@eventstore/db-client';
import { SagaError } from '@saga/core';
import type { GlobalPosition } from '@saga/core';

/**
 * A `$all` position as the port hands it out: `<commit>:<prepare>`, both decimal. Opaque to callers;
 * ordered like the log (`comparePositions`), not like the text.
 */
export const formatPosition = (position: Position): GlobalPosition => `${position.commit.toString(10)}:${position.prepare.toString(10)}`;

/** Order of two positions in `$all`. */
export const comparePositions = (a: Position, b: Position): number =>
  a.commit !== b.commit ? (a.commit < b.commit ? -1 : 1) : a.prepare === b.prepare ? 0 : a.prepare < b.prepare ? -1 : 1;

const positionPattern = /^(0|[1-9]\d{0,19}):(0|[1-9]\d{0,19})$/;

/** The position `formatPosition` wrote, or undefined for any other text. */
export const readPosition = (text: string): Position | undefined => {
  const match = typeof text === 'string' ? positionPattern.exec(text) : null;
  return match === null ? undefined : { commit: BigInt(match[1] ?? '0'), prepare: BigInt(match[2] ?? '0') };
};

/** A position this store gave out; anything else is refused with a message that names it. */
export const parsePosition = (position: GlobalPosition): Position => {
  const parsed = readPosition(position);
  if (parsed === undefined) {
    throw new SagaError(
      `EventStoreDbEventStore: '${String(position)}' is not a position of this store (it gives '<commit>:<prepare>', as readAll and headPosition return them). Start from the beginning by omitting it.`,
    );
  }
  return parsed;
};

export const pastTheEnd = (position: GlobalPosition, head: Position | undefined): SagaError =>
  new SagaError(
    `EventStoreDbEventStore: position ${position} is past the end of $all (its last event is at ${head === undefined ? 'nothing: the database is empty' : formatPosition(head)}). ` +
      'Was the database restored from an older backup, or is this position from another server? Start from the beginning by omitting it.',
  );

/** The later of two positions (undefined counts as before everything). */
export const laterOf = (a: Position | undefined, b: Position | undefined): Position | undefined =>
  a === undefined ? b : b === undefined ? a : comparePositions(a, b) >= 0 ? a : b;
