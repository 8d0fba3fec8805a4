/**
 * Header names on the wire. Requests carry `sagaId`, `requestId`, `replyTo`, `user` and
 * `transactions`; replies carry `sagaId`, `requestId`, `status` and `relatedServices`.
 */
export const Headers = {
  sagaId: 'sagaId',
  requestId: 'requestId',
  replyTo: 'replyTo',
  user: 'user',
  transactions: 'transactions',
  status: 'status',
  relatedServices: 'relatedServices',
  purpose: 'purpose',
  transactionAction: 'transactionAction',
} as const;

/** The topic a service's manager consumes replies from. */
export const replyTopic = (service: string): string => `${service}.reply`;

/** The topic a participant consumes reserve/commit/reject commands from. */
export const transactionTopic = (service: string): string => `${service}.transaction`;
