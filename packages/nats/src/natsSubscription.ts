/**
 * One member of a consumer group: a loop that pulls from the group's durable consumer only as many
 * messages as it has free handler slots (`concurrency`), so nothing waits in a client buffer while
 * its ack timer runs. Each message is acknowledged after its handler; a failure is nak'ed with
 * `redeliveryDelayMs`; a message past `maxDeliveries` (or a poison one) is dead-lettered, then
 * terminated. While a handler runs, the message is kept in progress (`working()`), so a slow
 * handler is not mistaken for a dead consumer.
 */
import { abandonedDelivery, abortableDelay, afterHandlerFailure, deadLetterReason } from '@saga/core';
import type { DeliveredMessage, Logger, MessageHandler, SubscribeOptions, Subscription } from '@saga/core';
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { endPull } from './endPull.js';
import { decodeMessage, readHeaderBlock } from './natsMessage.js';

export interface DeadLetterRequest {
  readonly topic: string;
  readonly data: Uint8Array;
  readonly id: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly reason: string;
  readonly deliveries: number;
}

export interface NatsSubscriptionDeps {
  readonly consumer: Consumer;
  readonly topic: string;
  readonly group: string;
  readonly handler: MessageHandler;
  readonly options: Required<SubscribeOptions>;
  readonly ackWaitMs: number;
  /** How long one pull waits for messages before the next one is sent. */
  readonly pullExpiresMs: number;
  readonly logger: Logger;
  readonly deadLetter: (request: DeadLetterRequest) => Promise<void>;
  readonly onClose: () => void;
}

interface InFlight {
  readonly message: JsMsg;
  settled: boolean;
}

export class NatsSubscription implements Subscription {
  readonly #deps: NatsSubscriptionDeps;
  readonly #inFlight = new Set<InFlight>();
  #slotFreed: (() => void) | undefined;
  #pull: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  readonly #stopping = new AbortController();
  #closed = false;

  constructor(deps: NatsSubscriptionDeps) {
    this.#deps = deps;
  }

  start(): void {
    // A message is re-marked in progress well before its ack wait runs out.
    this.#keepAlive = setInterval(() => {
      for (const entry of this.#inFlight) if (!entry.settled) entry.message.working();
    }, Math.max(this.#deps.ackWaitMs / 3, 100));
    this.#keepAlive.unref();
    this.#loop = this.#run();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopping.abort();
    this.#deps.onClose();
    clearInterval(this.#keepAlive);
    this.#slotFreed?.();
    // What this member holds goes back to the group now, not after the ack wait: messages still on
    // their way to the pull are taken in and nak'ed by the loop (see endPull.ts); those whose handler
    // is running are nak'ed here, and the handler is not awaited (its late outcome is dropped).
    const ending = this.#pull === undefined ? undefined : endPull(this.#pull);
    for (const entry of this.#inFlight) {
      if (entry.settled) continue;
      entry.settled = true;
      entry.message.nak(minimumNakDelayMs);
    }
    this.#inFlight.clear();
    await ending;
    await this.#loop;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      const free = this.#deps.options.concurrency - this.#inFlight.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.#slotFreed = resolve));
        this.#slotFreed = undefined;
        continue;
      }
      try {
        const pull = await this.#deps.consumer.fetch({ max_messages: free, expires: this.#deps.pullExpiresMs });
        this.#pull = pull;
        // Closed while the pull was being sent: close() had no pull to end.
        if (this.#closed) void endPull(pull);
        for await (const message of pull) {
          // Pulled, never handed to a handler: back to the group at once.
          if (this.#closed) {
            message.nak(minimumNakDelayMs);
            continue;
          }
          this.#dispatch(message);
        }
        failures = 0;
      } catch (error) {
        if (this.#closed) break;
        // Disconnected, or the consumer was deleted: the client reconnects by itself; pull again.
        failures += 1;
        this.#deps.logger.warn({ topic: this.#deps.topic, group: this.#deps.group, attempt: failures, error: deadLetterReason(error) }, 'Pulling from NATS failed; retrying');
        await abortableDelay(Math.min(100 * 2 ** Math.min(failures, 6), 5_000), this.#stopping.signal);
      } finally {
        this.#pull = undefined;
      }
    }
  }

  #dispatch(message: JsMsg): void {
    const entry: InFlight = { message, settled: false };
    this.#inFlight.add(entry);
    void this.#handle(entry)
      .catch((error: unknown) => {
        this.#deps.logger.error({ topic: this.#deps.topic, group: this.#deps.group, error: deadLetterReason(error) }, 'Could not settle a message; it will be redelivered');
        this.#settle(entry, () => message.nak(Math.max(this.#deps.options.redeliveryDelayMs, 1_000)));
      })
      .finally(() => {
        this.#inFlight.delete(entry);
        this.#slotFreed?.();
      });
  }

  async #handle(entry: InFlight): Promise<void> {
    const { topic, options } = this.#deps;
    const { message } = entry;
    const deliveryCount = message.info.deliveryCount;
    const decoded = decodeMessage(topic, message.data, readHeaderBlock(message));
    if (!decoded.ok) {
      await this.#deadLetter(entry, { id: decoded.id, headers: decoded.headers, reason: decoded.reason, deliveries: deliveryCount });
      return;
    }
    const { id, headers } = decoded.message;
    const abandoned = abandonedDelivery(deliveryCount, options.maxDeliveries);
    if (abandoned !== undefined) {
      await this.#deadLetter(entry, { id, headers, reason: abandoned.reason, deliveries: abandoned.deliveries });
      return;
    }
    const delivered: DeliveredMessage = { ...decoded.message, topic, deliveryCount };
    try {
      await this.#deps.handler(delivered);
    } catch (error) {
      const failed = afterHandlerFailure(error, deliveryCount, options.maxDeliveries);
      if (failed.action === 'dead-letter') {
        await this.#deadLetter(entry, { id, headers, reason: failed.reason, deliveries: failed.deliveries });
      } else {
        this.#settle(entry, () => message.nak(Math.max(options.redeliveryDelayMs, minimumNakDelayMs)));
      }
      return;
    }
    this.#settle(entry, () => message.ack());
  }

  async #deadLetter(entry: InFlight, letter: Omit<DeadLetterRequest, 'topic' | 'data'>): Promise<void> {
    if (entry.settled) return;
    await this.#deps.deadLetter({ topic: this.#deps.topic, data: entry.message.data, ...letter });
    // Terminated, not acknowledged: the server stops redelivering and says so in an advisory.
    this.#settle(entry, () => entry.message.term());
  }

  /** Once per message: after close() nak'ed it, a late outcome must not reach the server. */
  #settle(entry: InFlight, action: () => void): void {
    if (entry.settled) return;
    entry.settled = true;
    action();
  }
}

/**
 * Never a plain nak: a nats-server (2.9) that redelivers at once may hand the message to a pull
 * request whose member just left, take the delivery back, and report the next delivery with the
 * same count. A delay of even 1 ms takes the other path, and counts right.
 */
const minimumNakDelayMs = 1;
