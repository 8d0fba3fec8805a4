/**
 * What a broker still holds for the consumer groups of a fault world, in the broker's own words: the
 * fault suite's "nothing more arrives" is decided on it, on brokers that cannot be drained in
 * process (RabbitMQ, NATS), rather than after a quiet period.
 */

/** One consumer group of one topic, as it was subscribed. */
export interface ConsumerGroup {
  readonly topic: string;
  readonly group: string;
}

/** Messages a broker holds for one group. */
export interface GroupBacklog extends ConsumerGroup {
  readonly messages: number;
}

/**
 * Asks the broker how many messages it still holds for each of `groups`: not delivered yet, waiting
 * out a redelivery delay, or delivered and not acknowledged (where the broker can tell). Returns the
 * groups that hold any; an empty list when none does.
 */
export type BrokerBacklog = (groups: readonly ConsumerGroup[]) => Promise<readonly GroupBacklog[]>;

/** One line naming what `backlog` found, for a timeout's message. */
export const describeBacklog = (backlog: readonly GroupBacklog[]): string =>
  backlog
    .slice(0, 5)
    .map((b) => `${b.messages} on ${b.topic} (group ${b.group})`)
    .join(', ') + (backlog.length > 5 ? `, and ${backlog.length - 5} more groups` : '');
