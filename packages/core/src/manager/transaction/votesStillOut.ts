import type { SagaExecution } from '@saga/execution';

/**
 * How many of an execution's asked votes are still out once `arrived` are counted, when `arrived`
 * holds at least one of them; otherwise 0 (the replies are no votes, or nothing is being voted on).
 * The worker holds a batch that has some votes and lacks others for a moment (`voteLingerMs`), so
 * that votes answering at once become one decision and one append instead of one each.
 */
export const votesStillOut = (execution: SagaExecution, arrived: readonly { readonly requestId: string }[]): number => {
  if (execution.transaction.status !== 'reserving') return 0;
  const ids = new Set(arrived.map((reply) => reply.requestId));
  const open = execution.transaction.votes.filter((vote) => vote.vote === undefined);
  if (!open.some((vote) => ids.has(vote.requestId))) return 0;
  return open.filter((vote) => !ids.has(vote.requestId)).length;
};
