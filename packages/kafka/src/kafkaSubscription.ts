/**
 * One member of a consumer group: a kafkajs consumer whose batches go into one `Pipeline` per
 * assigned partition (per-key order, `concurrency` handlers at once, offsets committed only past
 * settled messages).
 *
 * What keeps it correct on a real cluster (issue 15):
 * - **A partition does not move while its handlers run.** The group's assigner
 *   (`stickyInFlightAssigner.ts`) leaves a partition with the member that still has messages in
 *   flight on it; that member keeps its pipeline across the rebalance, skips what kafkajs fetches
 *   again from the committed offset, and commits in the new generation.
 * - **Commits only from the partition's current owner**: a pipeline of a partition that moved is
 *   abandoned, and its late outcomes commit nothing (kafkajs would retry a commit with the
 *   generation of the moment, letting it land after the rebalance).
 * - **Deliveries are counted durably** (`deliveryLedger.ts`): a message that kills its consumer is
 *   dead-lettered once `maxDeliveries` members or attempts have taken it.
 * - **A dead letter that cannot be stored is retried in place**, its partition paused and nothing
 *   after it committed; nothing is skipped.
 * - **`start()` resolves on the first join** (with the start offsets of a new group committed by
 *   the member, in its generation), and rejects when joining fails for good: kafkajs's `run()`
 *   itself resolves even then, reporting the failure as a CRASH event only.
 */
import { setMaxListeners } from 'node:events';
import { abandonedDelivery, abortableDelay, afterHandlerFailure, deadLetterReason, SagaError } from '@saga/core';
import type { DeliveredMessage, Logger, MessageHandler, SubscribeOptions, Subscription } from '@saga/core';
import type { ConsumerGroupJoinEvent, EachBatchPayload, KafkaMessage, PartitionAssigner } from 'kafkajs';
import { decodeDeliveries, DeliveryLedger } from './deliveryLedger.js';
import type { CommittedPartition, KafkaConsumer } from './kafkaClient.js';
import { decodeMessage } from './kafkaMessage.js';
import { Pipeline } from './pipeline.js';
import { Slots } from './slots.js';
import { stickyInFlightAssigner } from './stickyInFlightAssigner.js';

export interface DeadLetterRequest {
  readonly topic: string;
  readonly record: KafkaMessage;
  readonly id: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly reason: string;
  readonly deliveries: number;
}

export interface KafkaSubscriptionDeps {
  /** Makes the member's consumer, with the group's assigner. */
  readonly consumer: (partitionAssigners: PartitionAssigner[]) => KafkaConsumer;
  readonly topic: string;
  readonly group: string;
  readonly handler: MessageHandler;
  readonly options: Required<SubscribeOptions>;
  readonly heartbeatIntervalMs: number;
  /** How long `start()` waits for the first join before it gives up. */
  readonly joinTimeoutMs: number;
  readonly logger: Logger;
  /** The group's committed offsets (and their metadata) on the topic. */
  readonly committed: () => Promise<readonly CommittedPartition[]>;
  /** The end offset of every partition of the topic. */
  readonly ends: () => Promise<ReadonlyArray<{ readonly partition: number; readonly offset: string }>>;
  readonly deadLetter: (request: DeadLetterRequest) => Promise<void>;
  readonly onClose: () => void;
}

/** Joining the group failed for good: the subscription never started. */
export class KafkaJoinError extends SagaError {}

/** A commit for a partition this member no longer works on. */
class NotOursError extends Error {}

/** One assigned partition: its pipeline and its delivery ledger, kept while the partition stays here. */
interface PartitionWork {
  readonly partition: number;
  readonly pipeline: Pipeline;
  readonly ledger: DeliveryLedger;
  /** The last offset taken into the pipeline: what kafkajs fetches again after a rejoin is skipped. */
  lastTaken: bigint;
}

const retryDelayMs = (attempt: number): number => Math.min(5_000, 200 * 2 ** Math.min(attempt, 5));

export class KafkaSubscription implements Subscription {
  readonly #deps: KafkaSubscriptionDeps;
  readonly #slots: Slots;
  readonly #stopping = new AbortController();
  readonly #consumer: KafkaConsumer;
  #closed = false;
  readonly #works = new Map<number, PartitionWork>();
  /** The partitions of the last join, loaded. */
  #ready: Promise<void> = Promise.resolve();
  #joined = false;
  #firstJoin: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(deps: KafkaSubscriptionDeps) {
    this.#deps = deps;
    // Every handler waiting to be retried, every dead letter waiting to be tried again and the fetch
    // waiting for room listen to it at once (each removes its listener when its wait ends): more than
    // Node's default of 10 with `concurrency` above it, which made Node warn of a leak.
    setMaxListeners(0, this.#stopping.signal);
    this.#slots = new Slots(deps.options.concurrency);
    this.#consumer = deps.consumer([stickyInFlightAssigner((topic) => (topic === deps.topic ? this.#busy() : []))]);
  }

  async start(): Promise<void> {
    const { topic, group, joinTimeoutMs } = this.#deps;
    const consumer = this.#consumer;
    const firstJoin = new Promise<void>((resolve, reject) => {
      this.#firstJoin = { resolve, reject };
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => this.#crashed(payload.error, payload.restart));
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => void this.#onJoin(payload));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.#take(payload) });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new KafkaJoinError(`Group '${group}' did not join on '${topic}' within ${joinTimeoutMs} ms; the errors logged before this one say why.`)),
        joinTimeoutMs,
      );
    });
    try {
      await Promise.race([firstJoin, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopping.abort();
    this.#abandonAll();
    this.#deps.onClose();
    // Leaving the group hands its partitions, from the last committed offset, to the other members;
    // handlers still running are not awaited (their late outcome is not committed).
    await this.#consumer.disconnect().catch((error: unknown) => {
      this.#deps.logger.warn({ topic: this.#deps.topic, group: this.#deps.group, error: deadLetterReason(error) }, 'Leaving the Kafka group failed');
    });
  }

  /** Partitions with messages in flight: the assigner keeps them here. */
  #busy(): number[] {
    return [...this.#works.values()].filter((work) => work.pipeline.busy).map((work) => work.partition);
  }

  #abandonAll(): void {
    for (const work of this.#works.values()) work.pipeline.abandon();
    this.#works.clear();
  }

  #crashed(error: Error, restart: boolean): void {
    const { topic, group, logger } = this.#deps;
    const reason = deadLetterReason(error);
    // kafkajs left the group on the crash: every partition may be another member's now.
    this.#abandonAll();
    if (!this.#joined) {
      if (restart) logger.warn({ topic, group, error: reason }, 'Joining the Kafka group failed; kafkajs tries again');
      else this.#firstJoin?.reject(new KafkaJoinError(`Group '${group}' could not join on '${topic}': ${reason}.`, { cause: error }));
      return;
    }
    if (restart) logger.warn({ topic, group, error: reason }, 'The Kafka consumer crashed; kafkajs restarts it');
    else if (!this.#closed) {
      logger.error(
        { topic, group, error: reason },
        'The Kafka consumer stopped for good: this subscription receives nothing more. Fix the cause, then close it and subscribe again.',
      );
    }
  }

  /** A new generation: drop the partitions that moved away, load the ones that arrived. */
  async #onJoin(payload: ConsumerGroupJoinEvent['payload']): Promise<void> {
    const assigned = new Set(payload.memberAssignment[this.#deps.topic] ?? []);
    for (const [partition, work] of this.#works) {
      if (assigned.has(partition)) continue;
      work.pipeline.abandon();
      this.#works.delete(partition);
    }
    const arrived = [...assigned].filter((partition) => !this.#works.has(partition));
    this.#ready = this.#load(arrived);
    try {
      await this.#ready;
      this.#joined = true;
      this.#firstJoin?.resolve();
    } catch (error) {
      this.#deps.logger.warn({ topic: this.#deps.topic, group: this.#deps.group, error: deadLetterReason(error) }, 'Could not read the committed offsets after joining');
    }
  }

  /**
   * Reads the committed offsets (and delivery counts) of newly assigned partitions. Where the group
   * never committed, commits the end of the partition: a new group starts there. The member does it
   * in its generation, for its partitions, so it races no other member (an admin `setOffsets` would).
   */
  async #load(partitions: readonly number[]): Promise<void> {
    if (partitions.length === 0) return;
    const committed = await this.#deps.committed();
    const missing: number[] = [];
    for (const partition of partitions) {
      const entry = committed.find((c) => c.partition === partition);
      if (entry === undefined || entry.offset === '-1') missing.push(partition);
      else this.#works.set(partition, this.#work(partition, BigInt(entry.offset), decodeDeliveries(entry.metadata)));
    }
    if (missing.length === 0) return;
    const ends = await this.#deps.ends();
    // kafkajs counts its runner as running only after GROUP_JOIN; a commit before that is dropped.
    await new Promise((resolve) => setImmediate(resolve));
    for (const partition of missing) {
      const end = BigInt(ends.find((e) => e.partition === partition)?.offset ?? '0');
      const work = this.#work(partition, -1n, new Map());
      this.#works.set(partition, work);
      await work.ledger.advance(end);
    }
  }

  #work(partition: number, head: bigint, started: Map<bigint, number>): PartitionWork {
    const { topic, group, logger } = this.#deps;
    const ledger = new DeliveryLedger(head, started, async (offset, metadata) => {
      if (this.#closed || this.#works.get(partition) !== work) throw new NotOursError(`partition ${partition} is no longer this member's`);
      await this.#consumer.commitOffsets([{ topic, partition, offset, metadata }]);
    });
    const pipeline = new Pipeline(this.#slots, {
      commit: (next) =>
        ledger.advance(BigInt(next)).catch((error: unknown) => {
          logger.debug({ topic, group, partition, offset: next, error: deadLetterReason(error) }, 'Did not commit an offset');
        }),
      failed: (offset, error) => logger.error({ topic, group, partition, offset, error: deadLetterReason(error) }, 'Delivering a message failed; nothing after it is committed until the partition is fetched again'),
    });
    const work: PartitionWork = { partition, pipeline, ledger, lastTaken: head - 1n };
    return work;
  }

  /**
   * Takes a batch into its partition's pipeline and returns, so kafkajs fetches the next one while
   * handlers run. The fetch position moves on (`resolveOffset`); the committed offset waits for the handlers.
   */
  async #take(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    await this.#ready.catch(() => undefined);
    const work = this.#works.get(batch.partition);
    if (work === undefined) {
      // Its committed offset could not be read after the join: read it again, then fetch again.
      await abortableDelay(this.#deps.heartbeatIntervalMs, this.#stopping.signal);
      if (!this.#closed && !this.#works.has(batch.partition)) this.#ready = this.#load([batch.partition]);
      return;
    }
    // Taken but not started: a little more than the handlers, so a slot never waits for a fetch.
    const limit = this.#deps.options.concurrency * 2;
    for (const record of batch.messages) {
      const offset = BigInt(record.offset);
      if (offset <= work.lastTaken) {
        // Taken before a rebalance that left the partition here: it is in the pipeline already.
        resolveOffset(record.offset);
        continue;
      }
      while (work.pipeline.pending >= limit) {
        if (this.#closed || !isRunning() || isStale()) return;
        await Promise.race([work.pipeline.below(limit), abortableDelay(this.#deps.heartbeatIntervalMs, this.#stopping.signal)]);
        if (this.#closed) return;
        // Waiting for handlers must not cost the membership; a rebalance ends the batch here, and
        // kafkajs rejoins (this partition, busy, stays with us).
        await heartbeat();
      }
      if (this.#closed || !isRunning() || isStale() || this.#works.get(batch.partition) !== work) return;
      work.lastTaken = offset;
      const key = record.key === null ? null : record.key.toString('utf8');
      work.pipeline.add(record.offset, key, (live) => this.#deliver(work, record, () => live() && !this.#closed));
      resolveOffset(record.offset);
    }
  }

  /** True once the message is settled (handled or dead-lettered); false when the partition was given up. */
  async #deliver(work: PartitionWork, record: KafkaMessage, live: () => boolean): Promise<boolean> {
    const { handler, options, topic } = this.#deps;
    const offset = BigInt(record.offset);
    const decoded = decodeMessage(topic, record);
    if (!decoded.ok) {
      return this.#deadLetterInPlace(work, { topic, record, id: decoded.id, headers: decoded.headers, reason: decoded.reason, deliveries: 1 }, live);
    }
    const { id, headers } = decoded.message;
    for (;;) {
      if (!live()) return false;
      const deliveryCount = work.ledger.deliver(offset);
      if (!(await this.#recorded(work, record, live))) return false;
      const abandoned = abandonedDelivery(deliveryCount, options.maxDeliveries);
      if (abandoned !== undefined) {
        return this.#settled(work, offset, await this.#deadLetterInPlace(work, { topic, record, id, headers, reason: abandoned.reason, deliveries: abandoned.deliveries }, live));
      }
      const delivered: DeliveredMessage = { ...decoded.message, topic, deliveryCount };
      try {
        await handler(delivered);
        return this.#settled(work, offset, true);
      } catch (error) {
        if (!live()) return false;
        const failed = afterHandlerFailure(error, deliveryCount, options.maxDeliveries);
        if (failed.action === 'dead-letter') {
          return this.#settled(work, offset, await this.#deadLetterInPlace(work, { topic, record, id, headers, reason: failed.reason, deliveries: failed.deliveries }, live));
        }
      }
      await abortableDelay(options.redeliveryDelayMs, this.#stopping.signal);
    }
  }

  /** Writes the delivery count before the handler runs, trying again while the partition is ours. */
  async #recorded(work: PartitionWork, record: KafkaMessage, live: () => boolean): Promise<boolean> {
    const { topic, group, logger } = this.#deps;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await work.ledger.flush();
        return true;
      } catch (error) {
        if (error instanceof NotOursError || !live()) return false;
        if (attempt === 0) logger.warn({ topic, group, partition: work.partition, offset: record.offset, error: deadLetterReason(error) }, 'Could not record a delivery; trying again before the handler runs');
        await abortableDelay(retryDelayMs(attempt), this.#stopping.signal);
      }
    }
  }

  #settled(work: PartitionWork, offset: bigint, settled: boolean): boolean {
    if (settled) work.ledger.settle(offset);
    return settled;
  }

  /**
   * Stores the dead letter, trying again in place for as long as it fails (the partition paused,
   * nothing after it committed), until it is stored or the partition is no longer ours.
   */
  async #deadLetterInPlace(work: PartitionWork, request: DeadLetterRequest, live: () => boolean): Promise<boolean> {
    const { topic, group, logger } = this.#deps;
    const partitions = [{ topic, partitions: [work.partition] }];
    let paused = false;
    try {
      for (let attempt = 0; ; attempt += 1) {
        try {
          await this.#deps.deadLetter(request);
          return true;
        } catch (error) {
          if (attempt % 20 === 0) {
            logger.error(
              { topic, group, partition: work.partition, offset: request.record.offset, attempts: attempt + 1, error: deadLetterReason(error) },
              'Could not store a dead letter; trying again, with the partition paused',
            );
          }
          if (!paused) {
            this.#consumer.pause(partitions);
            paused = true;
          }
          if (!live()) return false;
          await abortableDelay(retryDelayMs(attempt), this.#stopping.signal);
          if (!live()) return false;
        }
      }
    } finally {
      if (paused && !this.#closed) this.#consumer.resume(partitions);
    }
  }
}
