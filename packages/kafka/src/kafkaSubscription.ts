/**
 * One member of a consumer group: a kafkajs consumer in the group feeding a `Pipeline` (per-key
 * order, `concurrency` handlers at once, offsets committed only past finished messages). A failed
 * handler is called again in place after `redeliveryDelayMs` — Kafka has no per-message
 * redelivery, and retrying in place keeps the execution's later messages behind it — until
 * `maxDeliveries`; then the message is dead-lettered and its offset committed.
 */
import { abortableDelay, afterHandlerFailure, deadLetterReason } from '@saga/core';
import type { DeliveredMessage, Logger, MessageHandler, SubscribeOptions, Subscription } from '@saga/core';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { decodeMessage } from './kafkaMessage.js';
import { Pipeline } from './pipeline.js';
import { Slots } from './slots.js';

export interface DeadLetterRequest {
  readonly topic: string;
  readonly record: KafkaMessage;
  readonly id: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly reason: string;
  readonly deliveries: number;
}

export interface KafkaSubscriptionDeps {
  readonly consumer: Consumer;
  readonly topic: string;
  readonly group: string;
  readonly handler: MessageHandler;
  readonly options: Required<SubscribeOptions>;
  readonly heartbeatIntervalMs: number;
  readonly logger: Logger;
  readonly deadLetter: (request: DeadLetterRequest) => Promise<void>;
  readonly onClose: () => void;
}

export class KafkaSubscription implements Subscription {
  readonly #deps: KafkaSubscriptionDeps;
  readonly #pipeline: Pipeline;
  readonly #stopping = new AbortController();
  #closed = false;

  constructor(deps: KafkaSubscriptionDeps) {
    this.#deps = deps;
    this.#pipeline = new Pipeline(new Slots(deps.options.concurrency), {
      commit: (partition, offset) => this.#commit(partition, offset),
      failed: (partition, offset, error) => void this.#refetch(partition, offset, error),
    });
  }

  async start(): Promise<void> {
    const { consumer, topic, group, logger } = this.#deps;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      logger.error({ topic, group, error: deadLetterReason(payload.error), restart: payload.restart }, 'The Kafka consumer crashed');
    });
    // A (re)join fetches again from the committed offsets: what was taken and not finished is
    // delivered again from there, so the pipeline forgets it.
    consumer.on(consumer.events.GROUP_JOIN, () => this.#pipeline.reset());
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.#take(payload) });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopping.abort();
    this.#pipeline.reset();
    this.#deps.onClose();
    // Leaving the group hands its partitions, from the last committed offset, to the other members;
    // handlers still running are not awaited (their late outcome is not committed).
    await this.#deps.consumer.disconnect().catch((error: unknown) => {
      this.#deps.logger.warn({ topic: this.#deps.topic, group: this.#deps.group, error: deadLetterReason(error) }, 'Leaving the Kafka group failed');
    });
  }

  /**
   * Takes a batch into the pipeline and returns, so kafkajs fetches the next one while handlers
   * run. The fetch position moves on (`resolveOffset`); the committed offset waits for the handlers.
   */
  async #take(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    // Taken but not started: a little more than the handlers, so a slot never waits for a fetch.
    const limit = this.#deps.options.concurrency * 2;
    for (const record of batch.messages) {
      while (this.#pipeline.pending >= limit) {
        if (this.#closed || !isRunning() || isStale()) return;
        await Promise.race([this.#pipeline.below(limit), abortableDelay(this.#deps.heartbeatIntervalMs, this.#stopping.signal)]);
        // Waiting for handlers must not cost the membership; a rebalance ends the batch here.
        try {
          await heartbeat();
        } catch {
          return;
        }
      }
      if (this.#closed || !isRunning() || isStale()) return;
      const key = record.key === null ? null : record.key.toString('utf8');
      this.#pipeline.add(batch.partition, record.offset, key, (current) => this.#deliver(batch.topic, record, current));
      resolveOffset(record.offset);
    }
  }

  async #commit(partition: number, offset: string): Promise<void> {
    if (this.#closed) return;
    await this.#deps.consumer.commitOffsets([{ topic: this.#deps.topic, partition, offset }]).catch((error: unknown) => {
      // A rebalance took the partition: its new owner starts from the last commit that succeeded.
      this.#deps.logger.debug({ topic: this.#deps.topic, group: this.#deps.group, partition, offset, error: deadLetterReason(error) }, 'Could not commit an offset');
    });
  }

  /** A message could not be settled: forget what was taken, and fetch again from it after a pause. */
  async #refetch(partition: number, offset: string, error: unknown): Promise<void> {
    const { topic, group, logger, consumer } = this.#deps;
    logger.error({ topic, group, partition, offset, error: deadLetterReason(error) }, 'Could not settle a message; it will be delivered again');
    this.#pipeline.reset();
    await abortableDelay(Math.max(this.#deps.options.redeliveryDelayMs, 1_000), this.#stopping.signal);
    if (this.#closed) return;
    try {
      consumer.seek({ topic, partition, offset });
    } catch (seekError) {
      logger.warn({ topic, group, partition, offset, error: deadLetterReason(seekError) }, 'Could not seek back; the message comes again after the next rebalance');
    }
  }

  /** True once the message is settled (handled or dead-lettered); false when it was given up. */
  async #deliver(topic: string, record: KafkaMessage, current: () => boolean): Promise<boolean> {
    const { handler, options } = this.#deps;
    const decoded = decodeMessage(topic, record);
    if (!decoded.ok) {
      await this.#deps.deadLetter({ topic, record, id: decoded.id, headers: decoded.headers, reason: decoded.reason, deliveries: 1 });
      return true;
    }
    for (let deliveryCount = 1; ; deliveryCount += 1) {
      if (this.#closed || !current()) return false;
      const delivered: DeliveredMessage = { ...decoded.message, topic, deliveryCount };
      try {
        await handler(delivered);
        return true;
      } catch (error) {
        if (this.#closed || !current()) return false;
        const failed = afterHandlerFailure(error, deliveryCount, options.maxDeliveries);
        if (failed.action === 'dead-letter') {
          const { id, headers } = decoded.message;
          await this.#deps.deadLetter({ topic, record, id, headers, reason: failed.reason, deliveries: failed.deliveries });
          return true;
        }
      }
      await abortableDelay(options.redeliveryDelayMs, this.#stopping.signal);
    }
  }
}
