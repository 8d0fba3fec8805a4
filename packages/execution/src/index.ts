export { SagaStatus, StepStatus, stepFailureStatuses, type StepFailureStatus } from './sagaStatus.js';
// The io-ts codecs stay internal: users get plain types and `decodeEvent`, never io-ts's.
export {
  sagaEventTypes,
  sagaEvent,
  isSagaEventType,
  type ErrorInfo,
  type SagaEvent,
  type SagaEventOf,
  type SagaEventType,
  type SagaEventData,
} from './sagaEvents.js';
// Decoding results are plain unions ({ ok: true, … } | { ok: false, error }), not fp-ts's Either.
export {
  decodeEvent,
  decodeHistory,
  tryDecodeEvent,
  tryDecodeHistory,
  type DecodedEvent,
  type DecodedHistory,
  type StoredEvent,
  type RecordedSagaEvent,
} from './decodeEvent.js';
export { CorruptedHistoryError, type HistoryProblem } from './corruptedHistoryError.js';
export { checkHistoryAgainstDefinition, definitionMismatches, streamMismatches, type HistoryMismatch, type PinnedDefinition } from './checkHistoryAgainstDefinition.js';
export type {
  SagaExecution,
  StepExecution,
  PendingRequest,
  ActiveTimer,
  TimerPurpose,
  TransactionState,
  TransactionStatus,
  ParticipantVote,
  CompensationState,
  Cancellation,
  OpenParallelStep,
  PendingChild,
} from './sagaExecution.js';
export { evolve, fold, replay, initialExecution, cancelledError, contextAt, containersOf } from './evolve.js';
export { stamp } from './stamp.js';
export { summarizeEvent, type EventSummary } from './summarizeEvent.js';
export { checkHistory, type CheckHistoryOptions, type HistoryFinding } from './checkHistory.js';
