/** `saga tail`'s lines: one per event, time, execution, revision, type, step and a summary. */
import { decodeEvent, executionIdOf, summarizeEvent, type GlobalEvent } from '@saga/core';
import type { Io } from '../io.js';
import { preciseTime } from './time.js';

export const tailLine = (io: Io, stored: GlobalEvent): string => {
  const id = executionIdOf(stored.stream).slice(0, 8);
  const head = `${io.style.dim(preciseTime(stored.recordedAt))}  ${io.style.cyan(id)}  #${String(stored.revision).padEnd(3)}`;
  try {
    const event = decodeEvent(stored, stored.stream);
    const { step, summary } = summarizeEvent(event);
    return `${head} ${event.type.padEnd(23)} ${(step ?? '').padEnd(8)} ${summary}`;
  } catch (error) {
    return `${head} ${io.style.red(`${stored.type} ✗ ${error instanceof Error ? error.message : String(error)}`)}`;
  }
};

/** Prints each event once, in the order given, even if the feed hands one over again: the last revision printed per stream. */
export const eventPrinter = (io: Io): ((events: readonly GlobalEvent[]) => void) => {
  const printed = new Map<string, number>();
  return (events) => {
    for (const event of events) {
      if (event.revision <= (printed.get(event.stream) ?? -1)) continue;
      printed.set(event.stream, event.revision);
      io.out(tailLine(io, event));
    }
  };
};
