/**
 * What a case must show once its saga settled, checked from the participants' own records (the
 * ledger) and the execution's stream, and the figures printed for it. Pure: no I/O.
 *
 * Without a durable participant inbox, a participant killed after its effect and before its
 * acknowledgement applies that effect again when the message comes back (its memory of the request
 * died with it): the documented at-least-once figure is exactly 2 for that one request (or that one
 * commit), 1 for everything else, and the check asserts that figure rather than skipping it.
 */
import type { SagaExecution } from '@saga/core';
import type { StoreAcknowledgement } from '@saga/testing';
import type { LedgerRecord } from './participantLedger.js';

export interface HistoryEntry {
  readonly revision: number;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface CaseExpectation {
  readonly outcome: 'committed' | 'rejected';
  /** Services that must hear the outcome (every service that answered). */
  readonly participants: readonly string[];
  /** A request whose effect is allowed, and required, to show exactly twice (participant killed mid-handler, no durable inbox). */
  readonly appliedTwice?: string;
  /** An outcome hook that must show exactly twice, for the same reason (participant killed mid-commit). */
  readonly heardTwice?: { readonly service: string; readonly hook: 'commit' | 'reject' };
  /** Requests never answered on purpose (a held request): no effect. */
  readonly unanswered?: readonly string[];
  /**
   * The participants were killed without a durable inbox: besides the request or hook they were
   * killed in, a message handled before the kill whose acknowledgement had not reached the broker
   * comes back to the new process, which has no memory of it. Such a one may show twice, once in
   * each process (never twice in one): the documented at-least-once figure.
   */
  readonly redeliveredAfterKill?: boolean;
}

/** A second run is allowed only where it is the documented redelivery: one run in each of two processes. */
const onceOrRedelivered = (pids: readonly number[], allowed: boolean): boolean => pids.length === 1 || (allowed && pids.length === 2 && pids[0] !== pids[1]);

export interface CaseFigures {
  readonly outcome: string;
  readonly events: number;
  readonly requests: number;
  readonly effects: number;
  readonly maxEffectsPerRequest: number;
  readonly outcomesOwed: number;
  readonly outcomesHeard: number;
  /** Outcome hook runs in all (more than `outcomesHeard` where a participant heard it twice). */
  readonly outcomeHookRuns: number;
  readonly acknowledgedEvents: number;
  readonly acknowledgedMissing: number;
}

export interface CaseCheckInput {
  readonly execution: SagaExecution;
  readonly history: readonly HistoryEntry[];
  readonly ledger: readonly LedgerRecord[];
  /** Appends the killed processes were told were stored. */
  readonly acknowledged: readonly StoreAcknowledgement[];
  readonly expectation: CaseExpectation;
}

export const checkCase = (input: CaseCheckInput): { readonly figures: CaseFigures; readonly problems: readonly string[] } => {
  const { execution, history, ledger, expectation } = input;
  const problems: string[] = [];
  const sagaId = execution.id;
  const outcome = execution.transaction.status;
  if (outcome !== expectation.outcome) problems.push(`the transaction is ${outcome}, expected ${expectation.outcome} (${execution.error?.message ?? execution.status})`);

  // Every request the saga sent took effect once at its participant (twice only where documented).
  const sent = history.filter((e) => e.type === 'RequestSent' || e.type === 'CompensationRequestSent').map((e) => String(e.data.requestId));
  const effects = ledger.filter((r): r is Extract<LedgerRecord, { kind: 'effect' }> => r.kind === 'effect' && r.sagaId === sagaId);
  const perRequest = new Map<string, number>();
  for (const record of effects) perRequest.set(record.requestId, (perRequest.get(record.requestId) ?? 0) + 1);
  // A refused request (an ERROR reply) changed nothing at its participant.
  const refused = new Set(history.filter((e) => e.type === 'ReplyReceived' && Number(e.data.status) !== 200).map((e) => String(e.data.requestId)));
  for (const requestId of sent) {
    const expected = expectation.unanswered?.includes(requestId) || refused.has(requestId) ? 0 : requestId === expectation.appliedTwice ? 2 : 1;
    const got = perRequest.get(requestId) ?? 0;
    const runs = effects.filter((r) => r.requestId === requestId);
    const where = runs.map((r) => `${r.target} in pid ${r.pid}`);
    if (expected === 1 && onceOrRedelivered(runs.map((r) => r.pid), expectation.redeliveredAfterKill === true)) continue;
    if (got !== expected) problems.push(`request ${requestId} took effect ${got} times at its participant, expected ${expected} (${where.join(', ') || 'never'})`);
  }
  for (const requestId of perRequest.keys()) if (!sent.includes(requestId)) problems.push(`an effect for request ${requestId}, which the saga never sent`);
  if (expectation.appliedTwice !== undefined && !sent.includes(expectation.appliedTwice)) problems.push(`the request halted mid-handler (${expectation.appliedTwice}) is not in the stream`);

  // Every participant heard the outcome, once (twice only where documented), and never the other one.
  const decided = history.find((e) => e.type === 'TransactionCommitted' || e.type === 'TransactionRejected');
  const hook = decided?.type === 'TransactionCommitted' ? 'commit' : 'reject';
  const owed = decided ? (decided.data.services as readonly string[]) : [];
  for (const service of expectation.participants) if (!owed.includes(service)) problems.push(`the ${hook} was owed to ${owed.join(', ') || 'nobody'}, not to ${service}, which answered`);
  let heard = 0;
  let hookRuns = 0;
  for (const service of owed) {
    const calls = ledger.filter((r) => r.kind === 'hook' && r.sagaId === sagaId && r.service === service);
    const rightCalls = calls.filter((r) => r.kind === 'hook' && r.hook === hook);
    const right = rightCalls.length;
    const wrong = calls.filter((r) => r.kind === 'hook' && r.hook === (hook === 'commit' ? 'reject' : 'commit')).length;
    const expected = expectation.heardTwice?.service === service && expectation.heardTwice.hook === hook ? 2 : 1;
    if (right > 0) heard += 1;
    hookRuns += right;
    const redelivered = expected === 1 && onceOrRedelivered(rightCalls.map((r) => r.pid), expectation.redeliveredAfterKill === true);
    if (right !== expected && !redelivered) problems.push(`${service} heard the ${hook} ${right} times, expected ${expected}`);
    if (wrong > 0) problems.push(`${service} heard ${hook === 'commit' ? 'reject' : 'commit'} although the transaction was ${outcome}`);
  }

  // No event acknowledged to a killed process is missing or changed after recovery.
  let acknowledgedEvents = 0;
  let acknowledgedMissing = 0;
  for (const append of input.acknowledged) {
    const first = append.lastRevision - append.events.length + 1;
    append.events.forEach((event, index) => {
      acknowledgedEvents += 1;
      const stored = history.find((e) => e.revision === first + index);
      if (stored?.type !== event.type) {
        acknowledgedMissing += 1;
        problems.push(`acknowledged ${event.type} at revision ${first + index} of ${append.stream} is ${stored ? `a ${stored.type}` : 'missing'} after recovery`);
      }
    });
  }

  return {
    figures: {
      outcome,
      events: history.length,
      requests: sent.length,
      effects: effects.length,
      maxEffectsPerRequest: Math.max(0, ...perRequest.values()),
      outcomesOwed: owed.length,
      outcomesHeard: heard,
      outcomeHookRuns: hookRuns,
      acknowledgedEvents,
      acknowledgedMissing,
    },
    problems,
  };
};
