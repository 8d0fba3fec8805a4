import type { SagaExecution } from '@saga/execution';
import { Headers } from '../wire/headers.js';
import { pendingOutbox, type Outgoing } from './decide.js';

/**
 * What an execution still owes beyond one decision's own messages, sent again when a writer takes
 * the execution over from a state it read rather than kept. Its append moved the lease to it, so a
 * previous writer that died between its append and its publish is nobody else's to cover: no sweep
 * takes an execution over while its lease is live, and the start-up recovery of a worker with a
 * stable id takes only what nobody holds. Same request ids as before: participants de-duplicate.
 */
export const owedBeforeHandover = (execution: SagaExecution, own: readonly Outgoing[]): Outgoing[] => {
  const sent = new Set(own.map(identity));
  return pendingOutbox(execution).filter((outgoing) => !sent.has(identity(outgoing)));
};

/**
 * A message's identity across rebuilds: a transaction command's message id is new each time; its
 * action and request id (reserve) or saga (commit, reject) are not.
 */
const identity = ({ topic, message }: Outgoing): string => {
  const { headers } = message;
  return [topic, headers[Headers.transactionAction] ?? '', headers[Headers.requestId] ?? headers[Headers.sagaId] ?? message.id].join('\u0000');
};
