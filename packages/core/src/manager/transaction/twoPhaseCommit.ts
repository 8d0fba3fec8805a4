/**
 * The two-phase commit over the participants of an ended execution: votes asked (reserve), then
 * commit when all said yes, else reject. A participant that does not vote in time counts as a no.
 */
import { SagaResponseStatus } from '@saga/definitions';
import { SagaStatus, sagaEvent, type ActiveTimer, type ParticipantVote, type SagaExecution } from '@saga/execution';
import type { ReplyEnvelope } from '../../wire/sagaMessages.js';
import type { Action } from '../action.js';
import type { DecisionBuilder } from '../decisionBuilder.js';
import { detailOf } from '../replyFailure.js';
import { reserveCommand, transactionCommand } from './transactionCommand.js';

/** What an ended execution's transaction asks for: votes to decide, votes to ask for (autocommit), or nothing. */
export const nextTransactionAction = (execution: SagaExecution): Action => {
  const { transaction } = execution;
  if (transaction.status === 'reserving') {
    return transaction.votes.every((v) => v.vote !== undefined) ? { type: 'decideVotes' } : { type: 'await' };
  }
  if (execution.autocommit && execution.status === SagaStatus.Finished && transaction.status === 'pending') return { type: 'requestVotes' };
  return { type: 'idle' };
};

/** Asks every participant to vote; the decision stops there until the votes (or their timer) come. */
export const requestVotes = (d: DecisionBuilder): boolean => {
  const execution = d.execution;
  const votes = execution.transaction.participants.map((service) => ({ service, requestId: d.newId() }));
  d.record(sagaEvent('VotesRequested', { votes }));
  d.schedule('votes', d.options.commitTimeoutMs);
  for (const { service, requestId } of votes) d.sendOutgoing(reserveCommand(execution, service, requestId));
  return false;
};

/** Tells the participants to undo what they reserved, unless the transaction is already decided. */
export const rejectParticipants = (d: DecisionBuilder, reason: string): void => {
  const { transaction, id } = d.execution;
  if (transaction.participants.length === 0 || transaction.status === 'committed' || transaction.status === 'rejected') return;
  d.record(sagaEvent('TransactionRejected', { services: [...transaction.participants], reason }));
  for (const service of transaction.participants) d.sendOutgoing(transactionCommand(service, 'reject', id));
};

/** Every vote is in: commit on all yes; any no rejects, and the execution fails with the reasons (it goes on). */
export const decideVotes = (d: DecisionBuilder): boolean => {
  const execution = d.execution;
  const services = execution.transaction.votes.map((v) => v.service);
  const against = execution.transaction.votes.filter((v) => v.vote === false);
  if (against.length === 0) {
    d.record(sagaEvent('TransactionCommitted', { services }));
    for (const service of services) d.sendOutgoing(transactionCommand(service, 'commit', execution.id));
    return false;
  }
  const reason = against.map((v) => `${v.service} voted no${v.reason ? ` (${v.reason})` : ''}`).join('; ');
  rejectParticipants(d, reason);
  d.record(sagaEvent('CommitFailed', { error: { name: 'CommitFailedError', message: reason } }));
  return true;
};

/** The vote a reply answers, while votes are being collected. */
export const awaitedVote = (execution: SagaExecution, requestId: string): ParticipantVote | undefined =>
  execution.transaction.status === 'reserving' ? execution.transaction.votes.find((v) => v.requestId === requestId) : undefined;

/** Records a participant's vote; the reason when it was already cast. */
export const recordVote = (d: DecisionBuilder, vote: ParticipantVote, reply: ReplyEnvelope): string | undefined => {
  if (vote.vote !== undefined) return `duplicate vote ${reply.requestId} from ${vote.service}`;
  const reason = reply.status === SagaResponseStatus.SUCCESS ? undefined : `${vote.service} replied ${reply.status}: ${detailOf(reply.payload)}`;
  d.record(sagaEvent('VoteReceived', { service: vote.service, requestId: reply.requestId, vote: reply.status === SagaResponseStatus.SUCCESS, ...(reason ? { reason } : {}) }));
  return undefined;
};

/** The votes timer fired: a participant that does not answer in time counts as a no, as in any two-phase commit. */
export const votesTimedOut = (d: DecisionBuilder, timer: ActiveTimer): void => {
  const execution = d.execution;
  for (const vote of execution.transaction.votes.filter((v) => v.vote === undefined)) {
    d.warnings.push(`${vote.service} did not vote on execution ${execution.id} by ${timer.dueAt}; counted as a no.`);
    d.record(sagaEvent('VoteReceived', { service: vote.service, requestId: vote.requestId, vote: false, reason: `no vote by ${timer.dueAt}` }));
  }
};
