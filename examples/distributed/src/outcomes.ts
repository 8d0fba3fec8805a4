/**
 * What became of an order: the saga's outcome read from its execution, and whether what the three
 * services recorded about the order agrees with it (nothing left reserved, charged or scheduled for
 * an order whose saga failed).
 */
import { SagaStatus, type SagaExecution } from '@saga/core';
import type { ExpectedOutcome } from './orders.js';

export type Outcome = ExpectedOutcome | 'timed-out' | 'other';

export const outcomeOf = (execution: SagaExecution): Outcome => {
  if (execution.status === SagaStatus.Finished) return execution.transaction.status === 'committed' ? 'finished' : 'other';
  const error = execution.error;
  if (error?.name === 'ReplyTimeoutError') return 'timed-out';
  if (error?.name === 'ErrorReply' && error.message.includes('card declined')) return 'declined';
  if (error?.name === 'ErrorReply' && error.message.includes('no carrier')) return 'undeliverable';
  return 'other';
};

/** What each service must have recorded for an order, by outcome (absent: never asked). */
const expectedStates: Record<ExpectedOutcome, Record<string, string | undefined>> = {
  finished: { stock: 'reserved', payment: 'charged', shipping: 'scheduled' },
  declined: { stock: 'released', payment: 'declined', shipping: undefined },
  undeliverable: { stock: 'released', payment: 'refunded', shipping: 'refused' },
};
/** States that an order whose saga failed must not be left in. */
const held = new Set(['reserved', 'charged', 'scheduled']);

/** Why the services' records disagree with the outcome, or undefined when they agree. */
export const stateProblem = (outcome: Outcome, states: Readonly<Record<string, string>>): string | undefined => {
  if (outcome === 'finished' || outcome === 'declined' || outcome === 'undeliverable') {
    const expected = expectedStates[outcome];
    const wrong = Object.entries(expected).filter(([service, state]) => states[service] !== state);
    return wrong.length === 0 ? undefined : wrong.map(([service, state]) => `${service} is ${states[service] ?? 'untouched'}, expected ${state ?? 'untouched'}`).join('; ');
  }
  // A saga compensated after a timeout may have been cut short anywhere; nothing may stay held.
  const left = Object.entries(states).filter(([, state]) => held.has(state));
  return left.length === 0 ? undefined : `left ${left.map(([service, state]) => `${service} ${state}`).join(', ')} after the saga failed`;
};

export const describeStates = (states: Readonly<Record<string, string>>): string =>
  ['stock', 'payment', 'shipping']
    .filter((service) => states[service] !== undefined)
    .map((service) => `${service} ${states[service]}`)
    .join(' · ');
