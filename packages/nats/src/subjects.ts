/**
 * Topics as NATS subjects, streams and consumers.
 *
 *   topic `order.reply`            → subject `saga.order.reply`, in stream `SAGA_order` (one stream
 *                                    per service: the topic's first token), interest retention.
 *   topic `order.reply.dead-letter` → subject `saga-dead-letter.order.reply`, in the one stream
 *                                    `SAGA_DEAD_LETTERS`, limits retention (kept for `deadLetterMaxAgeMs`).
 *   group `order` on `order.reply` → durable pull consumer `order_order_reply_<hash>` filtered on the subject.
 */
import { createHash } from 'node:crypto';
import { SagaError, deadLetterTopic, isDeadLetterTopic } from '@saga/core';

export interface Naming {
  /** First token of every work subject. Default `saga`. */
  readonly subjectPrefix: string;
  /** First part of every stream name. Default `SAGA`. */
  readonly streamPrefix: string;
}

const deadLetterSuffix = deadLetterTopic('');

/** Subject tokens cannot be empty, and `*`, `>` and whitespace would make a topic a wildcard or two. */
export const checkTopic = (topic: string): void => {
  if (typeof topic !== 'string' || topic.length === 0) throw new SagaError('A topic name must be a non-empty string.');
  const bad = topic.split('.').find((token) => token.length === 0 || /[\s*>]/u.test(token));
  if (bad !== undefined) {
    throw new SagaError(`Topic '${topic}' cannot be a NATS subject: tokens between dots must be non-empty and contain no spaces, '*' or '>'.`);
  }
};

export const checkGroup = (group: string): void => {
  if (typeof group !== 'string' || group.length === 0) throw new SagaError('A group name must be a non-empty string.');
};

export const deadLetterSubjectRoot = (naming: Naming): string => `${naming.subjectPrefix}-dead-letter`;

export const subjectOf = (naming: Naming, topic: string): string =>
  isDeadLetterTopic(topic) ? `${deadLetterSubjectRoot(naming)}.${topic.slice(0, -deadLetterSuffix.length)}` : `${naming.subjectPrefix}.${topic}`;

export interface StreamPlace {
  readonly stream: string;
  readonly subjects: readonly string[];
  readonly deadLetters: boolean;
}

export const streamOf = (naming: Naming, topic: string): StreamPlace => {
  if (isDeadLetterTopic(topic)) return deadLetterStream(naming);
  const service = topic.split('.')[0] ?? topic;
  const root = `${naming.subjectPrefix}.${service}`;
  return { stream: `${naming.streamPrefix}_${escapedName(service)}`, subjects: [root, `${root}.>`], deadLetters: false };
};

export const deadLetterStream = (naming: Naming): StreamPlace => ({
  stream: `${naming.streamPrefix}_DEAD_LETTERS`,
  subjects: [`${deadLetterSubjectRoot(naming)}.>`],
  deadLetters: true,
});

/** Readable, and unique per (topic, group) thanks to the hash of both. */
export const consumerNameOf = (topic: string, group: string): string => {
  const hash = createHash('sha256').update(`${topic}\u0000${group}`).digest('hex').slice(0, 12);
  return `${safeName(group).slice(0, 40)}_${safeName(topic).slice(0, 60)}_${hash}`;
};

/** Stream and consumer names allow no dots, wildcards, whitespace or path separators. */
const safeName = (text: string): string => text.replace(/[^A-Za-z0-9_-]/gu, '_');

/** A stream per service must stay one per service: escape (reversibly) rather than replace. */
const escapedName = (text: string): string => text.replace(/[^A-Za-z0-9-]/gu, (c) => `_${(c.codePointAt(0) ?? 0).toString(16)}_`);
