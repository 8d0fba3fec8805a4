import { resolveSubscribeOptions } from '../ports/subscribeOptions.js';
import { afterHandlerFailure } from '../ports/deliveryFailure.js';
import { SagaError } from '@saga/definitions';
import { DeadLetterHeaders, deadLetterTopic, defaultSubscribeOptions } from '../ports/broker.js';
import type { Broker, BrokerMessage, DeliveredMessage, MessageHandler, SubscribeOptions, Subscription } from '../ports/broker.js';
import { systemClock } from '../ports/clock.js';
import type { Clock } from '../ports/clock.js';
import { toWireMessage } from '../ports/wireMessage.js';

export interface InMemoryBrokerOptions {
  /** Schedules `delayMs` and redelivery delays. Default: the system clock. */
  readonly clock?: Clock;
  /** Test hook: the probability (0–1) that a published message is delivered twice to each group. */
  readonly duplicateRate?: number;
  /** Test hook: every delivery (first ones and redeliveries) waits this long. */
  readonly delayMs?: number;
  /** Source of randomness for `duplicateRate`; pass a seeded one for reproducible tests. */
  readonly random?: () => number;
}

/** A message as it was dead-lettered, for tests to inspect (see `InMemoryBroker.deadLetters`). */
export interface DeadLetter extends BrokerMessage {
  /** The topic the message was published to (not the dead-letter topic). */
  readonly topic: string;
  readonly reason: string;
  readonly deliveries: number;
}

export interface DrainOptions {
  /** Rejects, naming what is still pending, when the broker is not quiet by then. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

interface Envelope {
  readonly topic: string;
  readonly message: BrokerMessage;
  deliveryCount: number;
  /** The limit of the member that took it last: the one whose failure decides its fate. */
  maxDeliveries: number;
}

interface GroupQueue {
  readonly topic: string;
  readonly name: string;
  readonly ready: Envelope[];
  readonly members: Member[];
  /** Round-robin start, so competing members share the work. */
  next: number;
}

interface Member {
  readonly group: GroupQueue;
  readonly handler: MessageHandler;
  readonly options: Required<SubscribeOptions>;
  readonly inFlight: Set<Envelope>;
  closed: boolean;
}

interface DrainWaiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly cancelTimeout: () => void;
}

const jsonCopy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;



/**
 * The Broker port in process memory: durable consumer groups per topic, competing consumers,
 * acknowledge-after-success, bounded redelivery and dead-lettering, as `brokerContract` requires.
 * Test hooks make it misbehave the way real brokers do (duplicates, latency) and `drain()` waits
 * until nothing is left to deliver.
 *
 * A group's queue exists from its first `subscribe` on; it keeps messages while the group has no
 * live member. Messages published to a topic no group ever subscribed to are dropped.
 */
export class InMemoryBroker implements Broker {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly duplicateRate: number;
  private readonly delayMs: number;
  private readonly topics = new Map<string, Map<string, GroupQueue>>();
  private readonly timers = new Set<{ cancel: () => void }>();
  private readonly deadLetterLog: DeadLetter[] = [];
  private readonly drainWaiters = new Set<DrainWaiter>();
  private duplicatesOwed = 0;
  private idleCheckScheduled = false;
  private destroyed = false;

  constructor(options: InMemoryBrokerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.duplicateRate = options.duplicateRate ?? 0;
    this.delayMs = options.delayMs ?? 0;
    if (!(this.duplicateRate >= 0 && this.duplicateRate <= 1)) {
      throw new SagaError(`InMemoryBroker duplicateRate must be between 0 and 1, got ${String(options.duplicateRate)}.`);
    }
    if (!(this.delayMs >= 0) || !Number.isFinite(this.delayMs)) {
      throw new SagaError(`InMemoryBroker delayMs must be a finite number ≥ 0, got ${String(options.delayMs)}.`);
    }
  }

  async setup(): Promise<void> {
    this.assertUsable('set up');
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const timer of this.timers) timer.cancel();
    this.timers.clear();
    for (const groups of this.topics.values()) {
      for (const group of groups.values()) {
        for (const member of group.members) {
          member.closed = true;
          member.inFlight.clear();
        }
      }
    }
    this.topics.clear();
    // Nothing can be delivered any more, so whoever waits for quiet has it.
    for (const waiter of this.drainWaiters) {
      waiter.cancelTimeout();
      waiter.resolve();
    }
    this.drainWaiters.clear();
  }

  async publish(topic: string, message: BrokerMessage): Promise<void> {
    this.assertUsable(`publish to '${topic}' on`);
    assertName('topic', topic);
    const stored = toStoredMessage(topic, message);
    let copies = 1;
    if (this.duplicatesOwed > 0) {
      this.duplicatesOwed -= 1;
      copies = 2;
    } else if (this.duplicateRate > 0 && this.random() < this.duplicateRate) {
      copies = 2;
    }
    this.route(topic, stored, copies);
  }

  async subscribe(topic: string, group: string, handler: MessageHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    this.assertUsable(`subscribe to '${topic}' on`);
    assertName('topic', topic);
    assertName('group', group);
    const resolved = resolveSubscribeOptions(options);

    let groups = this.topics.get(topic);
    if (groups === undefined) {
      groups = new Map();
      this.topics.set(topic, groups);
    }
    let queue = groups.get(group);
    if (queue === undefined) {
      queue = { topic, name: group, ready: [], members: [], next: 0 };
      groups.set(group, queue);
    }
    const member: Member = { group: queue, handler, options: resolved, inFlight: new Set(), closed: false };
    queue.members.push(member);
    this.pump(queue);
    return { close: async () => this.close(member) };
  }

  /** Test hook: the next `count` published messages are each delivered twice to every group. */
  duplicateNext(count = 1): void {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new SagaError(`duplicateNext expects a whole number ≥ 0, got ${String(count)}.`);
    }
    this.duplicatesOwed += count;
  }

  /**
   * Test hook: the messages dead-lettered so far, oldest first. `topic` narrows them to one topic and
   * may name either the original topic or its dead-letter topic (`deadLetterTopic(topic)`).
   */
  deadLetters(topic?: string): readonly DeadLetter[] {
    return this.deadLetterLog
      .filter((letter) => topic === undefined || letter.topic === topic || deadLetterTopic(letter.topic) === topic)
      .map(jsonCopy);
  }

  /**
   * Test hook: resolves once nothing is left to do: no handler running, no (re)delivery waiting on a
   * timer, no message queued for a group that has a live member. Messages that handlers publish are
   * waited for too. Messages kept for a group with no live member do not count (no one would take
   * them). Delays run on the broker's clock: with a fake clock, advance it while draining.
   */
  async drain(options: DrainOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (this.destroyed) return;
    await new Promise<void>((resolve, reject) => {
      // A real timer on purpose: the drain deadline is about the test run, not the simulated time.
      const timer = setTimeout(() => {
        this.drainWaiters.delete(waiter);
        reject(new SagaError(`InMemoryBroker.drain() timed out after ${timeoutMs} ms: ${this.describePending()}.`));
      }, timeoutMs);
      const waiter: DrainWaiter = { resolve, reject, cancelTimeout: () => clearTimeout(timer) };
      this.drainWaiters.add(waiter);
      this.checkIdle();
    });
  }

  private route(topic: string, message: BrokerMessage, copies: number): void {
    const groups = this.topics.get(topic);
    if (groups === undefined) return;
    for (const group of groups.values()) {
      for (let copy = 0; copy < copies; copy += 1) {
        this.enqueue(group, { topic, message, deliveryCount: 0, maxDeliveries: defaultSubscribeOptions.maxDeliveries }, this.delayMs);
      }
    }
  }

  private enqueue(group: GroupQueue, envelope: Envelope, delayMs: number): void {
    if (delayMs <= 0) {
      group.ready.push(envelope);
      this.pump(group);
      return;
    }
    this.later(() => {
      group.ready.push(envelope);
      this.pump(group);
    }, delayMs);
  }

  private later(action: () => void, ms: number): void {
    const timer = { cancel: () => {} };
    this.timers.add(timer);
    timer.cancel = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      if (this.destroyed) return;
      action();
      this.checkIdle();
    }, ms);
  }

  private pump(group: GroupQueue): void {
    while (group.ready.length > 0) {
      const member = pickMember(group);
      if (member === undefined) return;
      const envelope = group.ready.shift();
      if (envelope === undefined) return;
      this.deliver(member, envelope);
    }
  }

  private deliver(member: Member, envelope: Envelope): void {
    envelope.deliveryCount += 1;
    envelope.maxDeliveries = member.options.maxDeliveries;
    member.inFlight.add(envelope);
    const delivered: DeliveredMessage = { ...jsonCopy(envelope.message), topic: envelope.topic, deliveryCount: envelope.deliveryCount };
    // Always a later tick: a handler never runs inside publish() or subscribe().
    void Promise.resolve()
      .then(() => member.handler(delivered))
      .then(
        () => this.settle(member, envelope, { ok: true }),
        (error: unknown) => this.settle(member, envelope, { ok: false, error }),
      );
  }

  private settle(member: Member, envelope: Envelope, outcome: { ok: true } | { ok: false; error: unknown }): void {
    // Not in flight any more: the member was closed and the message went back to its group, so this
    // late acknowledgement is ignored, as a real broker ignores an ack on a closed channel.
    if (!member.inFlight.delete(envelope) || this.destroyed) return;
    const group = member.group;
    if (!outcome.ok) {
      const failed = afterHandlerFailure(outcome.error, envelope.deliveryCount, member.options.maxDeliveries);
      if (failed.action === 'dead-letter') this.deadLetter(envelope, failed.reason);
      else this.enqueue(group, envelope, member.options.redeliveryDelayMs + this.delayMs);
    }
    this.pump(group);
    this.checkIdle();
  }

  private close(member: Member): void {
    if (member.closed) return;
    member.closed = true;
    const group = member.group;
    const index = group.members.indexOf(member);
    if (index >= 0) group.members.splice(index, 1);
    if (group.next >= group.members.length) group.next = 0;

    const unacknowledged = [...member.inFlight];
    member.inFlight.clear();
    const requeue: Envelope[] = [];
    for (const envelope of unacknowledged) {
      if (envelope.deliveryCount >= envelope.maxDeliveries) {
        this.deadLetter(envelope, `The consumer closed before acknowledging, after ${envelope.deliveryCount} deliveries`);
      } else {
        requeue.push(envelope);
      }
    }
    // Back at the head of the queue: they were taken before anything still waiting.
    group.ready.unshift(...requeue);
    this.pump(group);
    this.checkIdle();
  }

  private deadLetter(envelope: Envelope, reason: string): void {
    const headers = {
      ...envelope.message.headers,
      [DeadLetterHeaders.reason]: reason,
      [DeadLetterHeaders.originalTopic]: envelope.topic,
      [DeadLetterHeaders.deliveries]: String(envelope.deliveryCount),
    };
    const message: BrokerMessage = { id: envelope.message.id, headers, body: envelope.message.body };
    this.deadLetterLog.push({ ...jsonCopy(message), topic: envelope.topic, reason, deliveries: envelope.deliveryCount });
    this.route(deadLetterTopic(envelope.topic), message, 1);
  }

  private isIdle(): boolean {
    if (this.timers.size > 0) return false;
    for (const groups of this.topics.values()) {
      for (const group of groups.values()) {
        if (group.members.some((member) => member.inFlight.size > 0)) return false;
        if (group.members.length > 0 && group.ready.length > 0) return false;
      }
    }
    return true;
  }

  private checkIdle(): void {
    if (this.drainWaiters.size === 0 || this.idleCheckScheduled || !this.isIdle()) return;
    this.idleCheckScheduled = true;
    // Confirm on a later turn: a handler that just resolved may have left follow-up work (a reply
    // published from a `.then`) that only starts once the current microtasks have run.
    setImmediate(() => {
      this.idleCheckScheduled = false;
      if (!this.isIdle()) return;
      for (const waiter of this.drainWaiters) {
        waiter.cancelTimeout();
        waiter.resolve();
      }
      this.drainWaiters.clear();
    });
  }

  private describePending(): string {
    let inFlight = 0;
    let queued = 0;
    const where = new Set<string>();
    for (const groups of this.topics.values()) {
      for (const group of groups.values()) {
        const running = group.members.reduce((sum, member) => sum + member.inFlight.size, 0);
        const waiting = group.members.length > 0 ? group.ready.length : 0;
        inFlight += running;
        queued += waiting;
        if (running + waiting > 0) where.add(`'${group.topic}'/'${group.name}'`);
      }
    }
    const places = where.size > 0 ? ` (in ${[...where].join(', ')})` : '';
    return `${inFlight} message(s) in handlers that have not finished, ${queued} queued, ${this.timers.size} waiting on a timer${places}`;
  }

  private assertUsable(action: string): void {
    if (this.destroyed) {
      throw new SagaError(`Cannot ${action} an InMemoryBroker that was destroyed: create a new broker.`);
    }
  }
}

const pickMember = (group: GroupQueue): Member | undefined => {
  const count = group.members.length;
  for (let offset = 0; offset < count; offset += 1) {
    const index = (group.next + offset) % count;
    const member = group.members[index];
    if (member !== undefined && member.inFlight.size < member.options.concurrency) {
      group.next = (index + 1) % count;
      return member;
    }
  }
  return undefined;
};


const assertName = (what: string, name: string): void => {
  if (typeof name !== 'string' || name.length === 0) {
    throw new SagaError(`A ${what} name must be a non-empty string.`);
  }
};

/** Validates and copies, so later changes by the publisher cannot reach a consumer. */
const toStoredMessage = (topic: string, message: BrokerMessage): BrokerMessage => {
  const { id, headers, text } = toWireMessage(topic, message);
  return { id, headers, body: JSON.parse(text) as BrokerMessage['body'] };
};
