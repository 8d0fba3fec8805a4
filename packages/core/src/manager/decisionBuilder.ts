import { randomUUID } from 'node:crypto';
import type { ResolvedRetryPolicy } from '@saga/definitions';
import { evolve, sagaEvent, type SagaEvent, type SagaExecution, type TimerPurpose } from '@saga/execution';
import type { BrokerMessage } from '../ports/broker.js';
import type { Outcome } from './callUserCode.js';
import { withRetries, type DecideOptions } from './decideOptions.js';
import type { ChildCommand, Decision, Outgoing, ReplyLatency } from './decision.js';

/** Accumulates events and messages while the decision runs, keeping the folded state current. */
export class DecisionBuilder {
  readonly events: SagaEvent[] = [];
  readonly outbox: Outgoing[] = [];
  readonly children: ChildCommand[] = [];
  readonly warnings: string[] = [];
  /** Set when the decision stops at a durable boundary and must be appended before going on. */
  more = false;
  readonly ignoredReplies: string[] = [];
  readonly replyLatencies: ReplyLatency[] = [];
  constructor(
    public execution: SagaExecution,
    readonly options: DecideOptions,
    /** The execution's first event is not stored yet (a start): a durable step waits for it. */
    readonly startUnstored = false,
  ) {}

  record(...events: SagaEvent[]): void {
    for (const event of events) {
      this.events.push(event);
      this.execution = evolve(this.execution, event);
    }
  }

  send(topic: string, message: BrokerMessage): void {
    this.outbox.push({ topic, message });
  }

  /** Queues a message that is already an outbox entry (a transaction command, which names its service). */
  sendOutgoing(outgoing: Outgoing): void {
    this.outbox.push(outgoing);
  }

  schedule(purpose: TimerPurpose, delayMs: number, about: { requestId?: string; path?: string } = {}): void {
    const dueAt = new Date(this.options.now().getTime() + delayMs).toISOString();
    this.record(sagaEvent('TimerScheduled', { timerId: this.newId(), purpose, dueAt, ...about }));
  }

  newId(): string {
    return (this.options.newId ?? randomUUID)();
  }

  retry<T>(policy: ResolvedRetryPolicy, call: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
    return (this.options.retry ?? withRetries)(policy, call);
  }

  /** Whether something this decision holds is not stored yet. */
  get unstored(): boolean {
    return this.startUnstored || this.events.length > 0;
  }

  done(ignored?: string): Decision {
    return {
      events: this.events,
      execution: this.execution,
      outbox: this.outbox,
      ...(ignored ? { ignored } : {}),
      ...(this.warnings.length > 0 ? { warnings: this.warnings } : {}),
      ...(this.more ? { more: true } : {}),
      ...(this.children.length > 0 ? { children: this.children } : {}),
      ...(this.ignoredReplies.length > 0 ? { ignoredReplies: this.ignoredReplies } : {}),
      ...(this.replyLatencies.length > 0 ? { replyLatencies: this.replyLatencies } : {}),
    };
  }
}
