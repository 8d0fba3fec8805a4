/**
 * The invariants of one execution's history, for tests: decodes the recorded events and applies
 * @saga/execution's `checkHistory` (a model of the history written independently of the engine's
 * fold, which it then compares with the fold of the same events).
 *
 *   const violations = checkInvariants(await manager.history(id), definition);
 *   expect(violations).toEqual([]);
 *
 * Pure: no I/O, no user code. Returns every violation found (an empty list when the history holds),
 * each as `rev <n> <EventType>: <what is wrong>`. Warnings (clocks that disagree) are not violations.
 */
import { checkHistory, decodeEvent, type JsonObject, type RecordedSagaEvent, type Saga, type SagaExecution } from '@saga/core';

/** An event as a store, `manager.history()` or a decoded history gives it. */
export interface HistoryEvent {
  readonly revision: number;
  readonly type: string;
  readonly data: unknown;
  readonly recordedAt?: string;
}

export interface CheckInvariantsOptions {
  /** The execution the history was read for: its SagaStarted must name it (a stream copied under another id does not). */
  readonly executionId?: string;
  /** The fold to compare the model with. Default: the engine's `fold` (tests of the checker pass a broken one). */
  readonly fold?: (events: readonly RecordedSagaEvent[]) => SagaExecution;
}

/**
 * Checks one execution's recorded events. With `definition`, also checks that no compensation was
 * skipped (every step that finished and has an onFailure is compensated before SagaFailed).
 */
export const checkInvariants = (events: readonly HistoryEvent[], definition?: Saga, options: CheckInvariantsOptions = {}): string[] => {
  const decoded: RecordedSagaEvent[] = [];
  const undecodable: string[] = [];
  for (const event of events) {
    try {
      decoded.push(decodeEvent({ revision: event.revision, type: event.type, data: event.data as JsonObject, recordedAt: event.recordedAt ?? '' }, 'history'));
    } catch (error) {
      undecodable.push(`rev ${event.revision} ${event.type}: does not decode (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  // The rules are between events: with one missing, they would report its absence everywhere.
  if (undecodable.length > 0) return undecodable;
  const findings = checkHistory(decoded, {
    ...(definition ? { definition } : {}),
    ...(options.fold ? { fold: options.fold } : {}),
    ...(options.executionId === undefined ? {} : { executionId: options.executionId }),
  });
  return findings
    .filter((f) => f.severity === 'problem')
    .map((f) => (f.revision === undefined ? f.message : `rev ${f.revision} ${f.type ?? '?'}: ${f.message}`));
};
