/**
 * The fault suite's `backlog` on NATS JetStream (for this package's tests; excluded from the build):
 * what the server still holds for a consumer group, read from its durable consumer rather than waited
 * out. Open it once per spec file (`await natsBacklog(url, naming)`) and `close()` it in afterAll.
 *
 * A consumer's `num_pending` counts the messages of its subject not delivered yet; `num_ack_pending`
 * those delivered and not acknowledged, including a failed one nak'ed with a redelivery delay: both 0,
 * the group has nothing more coming from what is in the stream.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { BrokerBacklog, GroupBacklog } from '@saga/testing';
import { parseNatsUrl } from './natsConnection.js';
import { consumerNameOf, streamOf, type Naming } from './subjects.js';

export interface NatsBacklog {
  readonly backlog: BrokerBacklog;
  close(): Promise<void>;
}

export const natsBacklog = async (url: string, naming: Naming): Promise<NatsBacklog> => {
  const { servers, credentials } = parseNatsUrl(url);
  const nc: NatsConnection = await connect({ servers, ...credentials });
  const jsm = await jetstreamManager(nc);
  return {
    backlog: async (groups) => {
      const held: GroupBacklog[] = [];
      for (const { topic, group } of groups) {
        const info = await jsm.consumers.info(streamOf(naming, topic).stream, consumerNameOf(topic, group)).catch((error: unknown) => {
          // A consumer that does not exist (its stream deleted) holds nothing.
          if (/consumer not found|stream not found/iu.test(String(error))) return undefined;
          throw error;
        });
        const messages = info === undefined ? 0 : info.num_pending + info.num_ack_pending;
        if (messages > 0) held.push({ topic, group, messages });
      }
      return held;
    },
    close: () => nc.close().catch(() => {}),
  };
};
