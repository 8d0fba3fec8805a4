/**
 * The points in a manager's life where a crash test stops it, each as a trigger on its store or its
 * broker (the engine itself has no test branches). `haltAtCrashPoint` wraps a process's real store
 * and broker so that the process halts at the chosen point, and at no other.
 *
 * Triggers count events and messages as the engine makes them (deterministic for one saga), so a
 * point names "the second request", not "some time after 300 ms".
 */
import { Headers, type Broker, type BrokerMessage, type EventStore, type NewEvent } from '@saga/core';
import { haltingBroker, type HaltingBrokerOptions } from './haltingBroker.js';
import { haltingEventStore, type StoreAcknowledgement, type HaltingEventStoreOptions } from './haltingEventStore.js';

export const engineCrashPoints = {
  /** The decision that sends the second request is stored; the request is not published. */
  'append-before-publish': 'after an append is acknowledged, before its publish',
  /** The second request is published (the broker confirmed it); its reply has not been applied. */
  'publish-before-reply': 'after a publish, before the reply',
  /** The second reply arrived and was decided on; its append is never made. */
  'reply-before-append': 'after a reply arrives, before its append',
  /** Every vote is in; the outcome (commit or reject) is not stored. */
  'votes-before-outcome': 'between the votes and the outcome',
  /** The outcome is stored; its commit/reject commands are not published. */
  'outcome-before-publish': 'after the outcome is stored, before commit/reject is published',
  /** The first remote compensation is done and stored; the compensations before it are not. */
  'mid-compensation': 'halfway through a compensation',
  /** A reply timeout fired; what it decided is not stored. */
  'timer-due': 'while a timer is due',
  /** The first message a process publishes: in a process that is recovering, the first re-send. */
  'first-publish': 'during recovery itself (the first re-send)',
} as const;

export type EngineCrashPoint = keyof typeof engineCrashPoints;

export const isEngineCrashPoint = (name: string): name is EngineCrashPoint => Object.hasOwn(engineCrashPoints, name);

type Trigger = {
  readonly store?: Pick<HaltingEventStoreOptions, 'beforeAppend' | 'afterAppend'>;
  readonly broker?: Pick<HaltingBrokerOptions, 'beforePublish' | 'afterPublish' | 'onDelivery'>;
};

/** True on the n-th call whose arguments match, and only then. */
const nth = <A extends unknown[]>(n: number, match: (...args: A) => boolean): ((...args: A) => boolean) => {
  let seen = 0;
  return (...args: A) => match(...args) && ++seen === n;
};

const has = (...types: string[]) => (_stream: string, events: readonly NewEvent[]): boolean => events.some((e) => types.includes(e.type));

/** A step's request (not a compensation's, not a transaction command). */
const isStepRequest = (_topic: string, message: BrokerMessage): boolean =>
  message.headers[Headers.replyTo] !== undefined && message.headers[Headers.transactionAction] === undefined && message.headers[Headers.purpose] !== 'compensate';

const triggers: Record<EngineCrashPoint, () => Trigger> = {
  'append-before-publish': () => ({ store: { afterAppend: nth(2, has('RequestSent')) } }),
  'publish-before-reply': () => ({ broker: { afterPublish: nth(2, isStepRequest) } }),
  'reply-before-append': () => ({ store: { beforeAppend: nth(2, has('ReplyReceived')) } }),
  'votes-before-outcome': () => ({ store: { beforeAppend: nth(1, has('TransactionCommitted', 'TransactionRejected')) } }),
  'outcome-before-publish': () => ({ store: { afterAppend: nth(1, has('TransactionCommitted', 'TransactionRejected')) } }),
  'mid-compensation': () => ({ store: { afterAppend: nth(1, (_s: string, events: readonly NewEvent[]) => events.some((e) => e.type === 'StepCompensated' && typeof e.data.requestId === 'string')) } }),
  'timer-due': () => ({ store: { beforeAppend: nth(1, has('TimerFired')) } }),
  'first-publish': () => ({ broker: { beforePublish: nth(1, () => true) } }),
};

export interface HaltAtCrashPointOptions {
  /** The point, or undefined for a process that must not halt (it still reports acknowledged appends). */
  readonly point: EngineCrashPoint | undefined;
  readonly store: EventStore;
  readonly broker: Broker;
  /** Reports the point and never returns (`haltForKill`). */
  readonly halt: (point: string, details: Readonly<Record<string, unknown>>) => Promise<never>;
  readonly onAcknowledged?: (append: StoreAcknowledgement) => Promise<void> | void;
}

/** The process's store and broker, wrapped so that it halts at `point`. */
export const haltAtCrashPoint = (options: HaltAtCrashPointOptions): { readonly store: EventStore; readonly broker: Broker } => {
  const trigger = options.point === undefined ? {} : triggers[options.point]();
  const name = options.point ?? 'none';
  // Once halted at the point, the whole process stands still: its store and broker both.
  let halted = false;
  const isHalted = (): boolean => halted;
  const halt = (where: string, details: Readonly<Record<string, unknown>>): Promise<never> => {
    halted = true;
    return options.halt(name, { ...details, where });
  };
  return {
    store: haltingEventStore(options.store, { ...trigger.store, halt, halted: isHalted, ...(options.onAcknowledged ? { onAcknowledged: options.onAcknowledged } : {}) }),
    broker: haltingBroker(options.broker, { ...trigger.broker, halt, halted: isHalted }),
  };
};
