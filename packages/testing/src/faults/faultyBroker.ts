/**
 * A Broker decorator that misbehaves the way networks and brokers do, on any adapter:
 *
 * - on publish (`publishFaults`): lose the message, publish extra copies, delay copies (so messages,
 *   and a message and its duplicate, arrive out of order);
 * - on delivery (`deliveryFaults`): make the handler fail before it runs, or after it ran (the
 *   effect happened but the acknowledgement is lost), so the broker redelivers.
 *
 * It counts what it did, and `quiet()` waits until nothing more can arrive through it. The inner
 * broker is not owned: `destroy()` only cancels the copies still waiting on a timer.
 */
import type { Broker, BrokerMessage, DeliveredMessage, MessageHandler, SubscribeOptions, Subscription } from '@saga/core';
import { describeBacklog, type BrokerBacklog, type ConsumerGroup } from './brokerBacklog.js';

/** What happens to one published message. Absent fields: no fault. */
export interface PublishFault {
  /** Lost in transit: `publish` resolves, nobody receives it. */
  readonly drop?: boolean;
  /** How many copies reach the broker (default 1): 2 or more is a duplicate. */
  readonly copies?: number;
  /** Delay of each copy in ms (missing entries: 0). A delayed copy is published in the background. */
  readonly delaysMs?: readonly number[];
  /** Counts the delayed copies as `late` (held back past a timeout on purpose) rather than `delayed`. */
  readonly late?: boolean;
}

/** Decides the fault of each publish; `undefined` publishes it untouched. */
export type PublishPlan = (topic: string, message: BrokerMessage) => PublishFault | undefined;

/**
 * Decides the fault of each delivery. `attempt` counts the deliveries of this message id that this
 * decorator saw in this group (1 on the first). `fail-before`: the handler does not run and the
 * delivery fails; `fail-after`: the handler runs, then the delivery fails anyway (lost ack).
 */
export type DeliveryPlan = (delivery: DeliveredMessage, attempt: number, group: string) => 'fail-before' | 'fail-after' | undefined;

export interface FaultCounts {
  published: number;
  dropped: number;
  /** Extra copies published. */
  duplicated: number;
  /** Copies published after a delay. */
  delayed: number;
  /** Copies held back on purpose past a timeout (`late: true`). */
  late: number;
  /** Copies that reached the broker after a message published later on the same topic. */
  reordered: number;
  deliveries: number;
  failedDeliveries: number;
}

export interface QuietOptions {
  /**
   * The broker's own count of what it still holds for a group (see `BrokerBacklog`), for an inner
   * broker without `drain()`.
   */
  readonly backlog?: BrokerBacklog;
  /** Groups subscribed on the inner broker directly (audits, captures), counted by `backlog` too. */
  readonly groups?: readonly ConsumerGroup[];
  /**
   * Only for an inner broker that can neither be drained nor counted (`backlog`): how long nothing
   * must happen through the decorator. Default 200 ms.
   */
  readonly idleMs?: number;
  /** Give up after this long. Default 30 000 ms. */
  readonly timeoutMs?: number;
}

export interface FaultyBroker extends Broker {
  readonly inner: Broker;
  readonly counts: Readonly<FaultCounts>;
  publishFaults: PublishPlan | undefined;
  deliveryFaults: DeliveryPlan | undefined;
  /** Every message published through the decorator (before faults), in order. */
  readonly published: readonly { readonly topic: string; readonly message: BrokerMessage }[];
  /** Every group subscribed through the decorator, once each. */
  readonly groups: readonly ConsumerGroup[];
  /**
   * Resolves once nothing more can arrive: no delayed copy waits, no handler runs, and the inner
   * broker holds nothing more for any group, by its `drain()` (in memory) or by `options.backlog`
   * read twice in a row with no handler running in between. Without either, once nothing happened
   * for `options.idleMs`.
   */
  quiet(options?: QuietOptions): Promise<void>;
}

/** Thrown by a delivery the plan made fail, so the broker redelivers it. */
export class SimulatedDeliveryFailure extends Error {
  override readonly name = 'SimulatedDeliveryFailure';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const faultyBroker = (inner: Broker): FaultyBroker => {
  const counts: FaultCounts = { published: 0, dropped: 0, duplicated: 0, delayed: 0, late: 0, reordered: 0, deliveries: 0, failedDeliveries: 0 };
  const published: { topic: string; message: BrokerMessage }[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const attempts = new Map<string, number>();
  const sequence = new Map<string, number>();
  const highestForwarded = new Map<string, number>();
  const groups = new Map<string, ConsumerGroup>();
  let inFlight = 0;
  let lastActivity = Date.now();
  // Bumped by every publish, forward and delivery: unchanged across a check, nothing moved meanwhile.
  let activity = 0;
  let destroyed = false;
  const touch = (): void => {
    lastActivity = Date.now();
    activity += 1;
  };
  /** What the decorator itself still has going, or undefined. */
  const ownWork = (): string | undefined =>
    timers.size > 0 || inFlight > 0 ? `${timers.size} delayed copies waiting, ${inFlight} deliveries being handled` : undefined;

  /**
   * Whether the inner broker holds nothing more, or what it still holds. A drain (in memory) waits
   * for everything queued, delayed and being handled. A backlog is read twice: a message that moved
   * while the first read went from queue to queue (a handler's publish just before it, a dead
   * letter or a retry copy the adapter sends between a handler and its acknowledgement) is in its
   * new queue for the second.
   */
  const innerIdle = async (options: QuietOptions, deadline: number): Promise<string | undefined> => {
    const drainable = inner as Partial<{ drain(options?: { timeoutMs?: number }): Promise<void> }>;
    if (typeof drainable.drain === 'function') {
      await drainable.drain({ timeoutMs: Math.max(deadline - Date.now(), 1) });
      return undefined;
    }
    if (options.backlog) {
      const counted = [...groups.values(), ...(options.groups ?? [])];
      for (let read = 0; read < 2; read += 1) {
        const held = await options.backlog(counted);
        if (held.length > 0) return `the broker holds ${describeBacklog(held)}`;
      }
      return undefined;
    }
    // No way to ask the broker (an adapter without a backlog): the one bounded quiet period left.
    const idleMs = options.idleMs ?? 200;
    const idleFor = Date.now() - lastActivity;
    return idleFor >= idleMs ? undefined : `last activity ${idleFor} ms ago (waiting for ${idleMs} ms without any)`;
  };

  const forward = async (topic: string, message: BrokerMessage, seq: number): Promise<void> => {
    const highest = highestForwarded.get(topic) ?? 0;
    if (seq < highest) counts.reordered += 1;
    else highestForwarded.set(topic, seq);
    touch();
    await inner.publish(topic, message);
  };

  const broker: FaultyBroker = {
    inner,
    counts,
    published,
    publishFaults: undefined,
    deliveryFaults: undefined,
    setup: () => inner.setup(),
    destroy: async () => {
      destroyed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
    publish: async (topic, message) => {
      counts.published += 1;
      published.push({ topic, message });
      touch();
      const seq = (sequence.get(topic) ?? 0) + 1;
      sequence.set(topic, seq);
      const fault = broker.publishFaults?.(topic, message);
      if (fault?.drop) {
        counts.dropped += 1;
        return;
      }
      const copies = Math.max(1, Math.floor(fault?.copies ?? 1));
      counts.duplicated += copies - 1;
      for (let copy = 0; copy < copies; copy += 1) {
        const delay = fault?.delaysMs?.[copy] ?? 0;
        if (delay <= 0) {
          await forward(topic, message, seq);
          continue;
        }
        if (fault?.late) counts.late += 1;
        else counts.delayed += 1;
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (destroyed) return;
          // A late copy that cannot be published is a lost copy, as on a real network.
          forward(topic, message, seq).catch(() => undefined);
        }, delay);
        timers.add(timer);
      }
    },
    get groups() {
      return [...groups.values()];
    },
    subscribe: (topic: string, group: string, handler: MessageHandler, options?: SubscribeOptions): Promise<Subscription> => {
      groups.set(`${topic}\u0000${group}`, { topic, group });
      return inner.subscribe(
        topic,
        group,
        async (delivery) => {
          counts.deliveries += 1;
          inFlight += 1;
          touch();
          try {
            const key = `${group}\u0000${topic}\u0000${delivery.id}`;
            const attempt = (attempts.get(key) ?? 0) + 1;
            attempts.set(key, attempt);
            const fault = broker.deliveryFaults?.(delivery, attempt, group);
            if (fault === 'fail-before') {
              counts.failedDeliveries += 1;
              throw new SimulatedDeliveryFailure(`Simulated failure before handling ${delivery.id} on ${topic} (delivery ${attempt})`);
            }
            await handler(delivery);
            if (fault === 'fail-after') {
              counts.failedDeliveries += 1;
              throw new SimulatedDeliveryFailure(`Simulated lost acknowledgement of ${delivery.id} on ${topic} (delivery ${attempt})`);
            }
          } finally {
            inFlight -= 1;
            touch();
          }
        },
        options,
      );
    },
    quiet: async (options = {}) => {
      const deadline = Date.now() + (options.timeoutMs ?? 30_000);
      for (;;) {
        let left = ownWork();
        if (left === undefined) {
          const before = activity;
          left = await innerIdle(options, deadline);
          // A handler ran while the broker was asked: what it published may not have been counted.
          if (left === undefined && (activity !== before || ownWork() !== undefined)) left = 'deliveries were handled meanwhile';
          if (left === undefined) return;
        }
        if (Date.now() > deadline) throw new Error(`The broker did not become quiet: ${left}.`);
        await sleep(10);
      }
    },
  };
  return broker;
};
