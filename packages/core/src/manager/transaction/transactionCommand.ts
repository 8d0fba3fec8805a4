/**
 * Transaction commands as outbox entries. Each names the participant it is for, so what the
 * driver records as told (`TransactionNotified`) comes from the entry, not from its topic.
 */
import type { SagaExecution } from '@saga/execution';
import { traceHeaders } from '../../observability/telemetry.js';
import { replyTopic, transactionTopic } from '../../wire/headers.js';
import { encodeTransactionCommand, type TransactionAction } from '../../wire/sagaMessages.js';
import type { Outgoing } from '../decision.js';

/** A transaction command to one participant, in the saga's trace like its requests. */
export const transactionCommand = (service: string, action: TransactionAction, sagaId: string, reply?: { requestId: string; replyTo: string }): Outgoing => {
  const message = encodeTransactionCommand(action, sagaId, reply);
  return { topic: transactionTopic(service), service, message: { ...message, headers: { ...message.headers, ...traceHeaders() } } };
};

/** Asks one participant to vote (reserve); its reply comes to the execution's service. */
export const reserveCommand = (execution: SagaExecution, service: string, requestId: string): Outgoing =>
  transactionCommand(service, 'reserve', execution.id, { requestId, replyTo: replyTopic(execution.service) });

/**
 * The transaction commands an execution still owes, rebuilt from its state: the outcome of a
 * decided transaction not yet marked told, and the reserve commands of missing votes.
 */
export const owedTransactionCommands = (execution: SagaExecution): Outgoing[] => {
  const owed: Outgoing[] = [];
  const { status, participants, notified, votes } = execution.transaction;
  if ((status === 'committed' || status === 'rejected') && !notified) {
    for (const service of participants) owed.push(transactionCommand(service, status === 'committed' ? 'commit' : 'reject', execution.id));
  }
  if (status === 'reserving') {
    for (const vote of votes.filter((v) => v.vote === undefined)) owed.push(reserveCommand(execution, vote.service, vote.requestId));
  }
  return owed;
};

/** Services an outbox tells a transaction's outcome (commit or reject), for `TransactionNotified`. */
export const notifiedServices = (outbox: readonly Outgoing[]): string[] =>
  outbox.flatMap((o) => (o.service !== undefined && ['commit', 'reject'].includes(o.message.headers.transactionAction ?? '') ? [o.service] : []));
