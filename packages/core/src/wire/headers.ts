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

// eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
const controlCharacter = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Why a header value would not arrive as sent, or undefined when it would: brokers frame headers
 * by lines (NATS), trim them (NATS), or store them where \u0000 is refused (PostgreSQL).
 */
export const headerValueProblem = (value: string): string | undefined => {
  if (controlCharacter.test(value)) return 'holds a line break or another control character';
  if (value.trim() !== value) return 'starts or ends with white space';
  return undefined;
};
