/** What a decision comes to: events to append, and what to do once they are stored. */
import type { Saga } from '@saga/definitions';
import type { SagaEvent, SagaExecution } from '@saga/execution';
import type { BrokerMessage } from '../ports/broker.js';

export interface Outgoing {
  readonly topic: string;
  readonly message: BrokerMessage;
  /**
   * The participant a transaction command (reserve, commit, reject) is for. Carried so that what
   * is recorded as told (`TransactionNotified`) never depends on how a topic is spelled.
   */
  readonly service?: string;
}

/** What the driver does to child executions once a decision is stored: start one, or ask it to compensate. */
export type ChildCommand =
  | { readonly kind: 'start'; readonly definition: Saga; readonly started: Extract<SagaEvent, { type: 'SagaStarted' }> }
  | { readonly kind: 'compensate'; readonly childId: string; readonly parentId: string };

export interface Decision {
  readonly events: readonly SagaEvent[];
  /**
   * The execution after `events`, as the decision folded them while it ran: revisions counted, but
   * not stamped (no `recordedAt` yet, so `updatedAt`, a start's `startedAt` and a request's `sentAt`
   * are still the previous ones). What the index entry of the append is read off.
   */
  readonly execution: SagaExecution;
  readonly outbox: readonly Outgoing[];
  /** Child executions to start or to compensate, after the events are stored (like the outbox). */
  readonly children?: readonly ChildCommand[];
  /** Why nothing was decided, when `events` is empty and the input was a message (for the log). */
  readonly ignored?: string;
  /** Of replies decided together, why each one that changed nothing was ignored (one log line each). */
  readonly ignoredReplies?: readonly string[];
  /** What an operator should hear about once the events are stored: replies that never came. */
  readonly warnings?: readonly string[];
  /**
   * The decision stopped at a durable boundary (before or after a durable local step): append it,
   * then decide again with `{ kind: 'continue' }`.
   */
  readonly more?: boolean;
  /**
   * Replies this decision applied, with the time from their request being stored to the reply
   * (by the injected clock): decide stays free of metrics, and the caller records them once the
   * decision is stored, so a decision retried after a conflict counts once.
   */
  readonly replyLatencies?: readonly ReplyLatency[];
}

export interface ReplyLatency {
  readonly target: string;
  readonly ms: number;
}
