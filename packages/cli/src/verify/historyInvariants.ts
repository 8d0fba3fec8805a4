/**
 * The rules between the events of one history, as `saga verify` and the report list them: problems
 * and warnings, each with its revision. The rules themselves are @saga/execution's `checkHistory`
 * (the fault suite asserts the same ones); this file only sorts its findings by severity.
 */
import { checkHistory as historyFindings, executionIdOf, fold, type HistoryFinding, type RecordedSagaEvent, type SagaExecution } from '@saga/core';

export interface Finding {
  /** The revision of the event that breaks the rule; absent for a rule about the whole stream. */
  readonly revision?: number;
  readonly message: string;
}

export interface HistoryCheck {
  /** Rules broken: the history was not written by a correct engine, or was altered. */
  readonly problems: readonly Finding[];
  /** Oddities that a correct engine can produce (clocks of different machines disagree). */
  readonly warnings: readonly Finding[];
  /** The fold of the whole history. */
  readonly execution: SagaExecution;
}

const finding = ({ revision, message }: HistoryFinding): Finding => (revision === undefined ? { message } : { revision, message });

export const checkHistory = (events: readonly RecordedSagaEvent[], stream?: string): HistoryCheck => {
  // The rules between the history and its stream are the engine's own (it refuses such a stream).
  const executionId = stream?.startsWith('saga-') ? executionIdOf(stream) : undefined;
  const findings = historyFindings(events, executionId === undefined ? {} : { executionId });
  return {
    problems: findings.filter((f) => f.severity === 'problem').map(finding),
    warnings: findings.filter((f) => f.severity === 'warning').map(finding),
    execution: fold(events),
  };
};
