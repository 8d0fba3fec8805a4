/**
 * The fault suite's `backlog` on RabbitMQ (for this package's tests; excluded from the build): what
 * the server still holds for a consumer group, read from its queues rather than waited out. Open it
 * once per spec file (`await amqpBacklog(url)`) and `close()` it in afterAll.
 *
 * AMQP tells a queue's ready messages only (a passive declare), not the ones delivered and not yet
 * acknowledged. Those are seen elsewhere: a message in a handler by the fault decorator (a delivery
 * being handled), and what the adapter sends between a handler and its acknowledgement (a retry copy,
 * a dead letter) in the queue it lands in, which the decorator reads a second time.
 */
import { connect } from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import type { BrokerBacklog, GroupBacklog } from '@saga/testing';
import { defaultExchange, groupQueue, retryQueue } from './topology.js';

export interface AmqpBacklog {
  readonly backlog: BrokerBacklog;
  close(): Promise<void>;
}

export const amqpBacklog = async (url: string, exchange = defaultExchange): Promise<AmqpBacklog> => {
  const connection: ChannelModel = await connect(url);
  // A lost connection fails the next read; unheard, its 'error' event would end the test process.
  connection.on('error', () => undefined);
  let channel: Channel | undefined;
  const openChannel = async (): Promise<Channel> => {
    const opened = await connection.createChannel();
    // A passive declare of a missing queue closes the channel: amqplib rejects the declare (handled
    // below) and also emits 'error' on the channel, which, unheard, is an uncaught exception (seen in
    // CI: a retry queue never declared, in the heavy messy-delivery case).
    opened.on('error', () => undefined);
    return opened;
  };
  /** Ready messages of `queue`; a queue that does not exist (expired, never declared) holds none. */
  const ready = async (queue: string): Promise<number> => {
    channel ??= await openChannel();
    const open = channel;
    try {
      return (await open.checkQueue(queue)).messageCount;
    } catch (error) {
      // A passive declare of a missing queue closes the channel with 404: take a new one next time.
      if (channel === open) channel = undefined;
      if ((error as { code?: unknown }).code === 404) return 0;
      throw error;
    }
  };
  return {
    backlog: async (groups) => {
      const held: GroupBacklog[] = [];
      for (const { topic, group } of groups) {
        // The group's queue, and its retry queue where a failed message waits out its redelivery delay.
        const messages = (await ready(groupQueue({ exchange }, topic, group))) + (await ready(retryQueue({ exchange }, topic, group)));
        if (messages > 0) held.push({ topic, group, messages });
      }
      return held;
    },
    close: () => connection.close().catch(() => {}),
  };
};
