// The fault-injection tools themselves: the crashing store, the faulty broker, the seeded generator
// and the fuzzer must do exactly what the suite relies on.
import { describe, expect, it, vi } from 'vitest';
import {
  InMemoryBroker,
  InMemoryEventStore,
  PoisonMessageError,
  SagaParticipant,
  decodeReply,
  decodeRequest,
  deadLetterTopic,
  transactionTopic,
  type Broker,
  type BrokerMessage,
  type DeliveredMessage,
} from '@saga/core';
import type { BrokerBacklog } from './brokerBacklog.js';
import { waitFor } from '../waitFor.js';
import { SimulatedCrashError, canonicalJson, crashingStore, lostEvents } from './crashingStore.js';
import { faultyBroker } from './faultyBroker.js';
import { malformedMessage, randomJson, type MalformedKind } from './malformedMessages.js';
import { seededRandom } from './prng.js';

const event = (type: string, data: Record<string, unknown> = {}) => ({ type, data: data as never });

describe('crashingStore', () => {
  it('makes the n-th append durable, then dies: that call and every later one throw', async () => {
    const inner = new InMemoryEventStore();
    const store = crashingStore(inner, { crashAfterAppends: 2 });
    await store.append('saga-a', [event('A')], 'no_stream');
    await expect(store.append('saga-a', [event('B'), event('C')], 0)).rejects.toBeInstanceOf(SimulatedCrashError);
    expect(store.crash).toEqual({ stream: 'saga-a', append: 2, lastRevision: 2 });
    await expect(store.crashed).resolves.toEqual(store.crash);
    expect((await inner.read('saga-a')).map((e) => e.type)).toEqual(['A', 'B', 'C']);
    await expect(store.read('saga-a')).rejects.toBeInstanceOf(SimulatedCrashError);
    await expect(store.append('saga-a', [event('D')], 2)).rejects.toBeInstanceOf(SimulatedCrashError);
    await expect(store.listStreams()).rejects.toBeInstanceOf(SimulatedCrashError);
    expect(store.appended.map((a) => [a.firstRevision, a.events.map((e) => e.type)])).toEqual([
      [0, ['A']],
      [1, ['B', 'C']],
    ]);
  });

  it('without a crash point it only records; a dead store hears no append notice after its death', async () => {
    const inner = new InMemoryEventStore();
    const recording = crashingStore(inner);
    await recording.append('saga-b', [event('A')], 'no_stream');
    expect(recording.appends).toBe(1);
    expect(recording.crash).toBeUndefined();
    const dying = crashingStore(inner, { crashAfterAppends: 2 });
    let heard = 0;
    let witnessed = 0;
    dying.onAppended(() => void (heard += 1));
    inner.onAppended(() => void (witnessed += 1));
    await dying.append('saga-b', [event('B')], 0);
    await waitFor(() => heard === 1 && witnessed === 1, { timeoutMs: 1_000, message: 'the living store to hear its append' });
    await expect(dying.append('saga-b', [event('C')], 1)).rejects.toBeInstanceOf(SimulatedCrashError);
    await waitFor(() => witnessed === 2, { timeoutMs: 1_000, message: 'the notice of the append that killed it' });
    // Whether the notice of its own last append came before its death is a race; nothing after it.
    const atDeath = heard;
    expect(atDeath).toBeLessThanOrEqual(2);
    await inner.append('saga-b', [event('D')], 2);
    await inner.append('saga-b', [event('E')], 3);
    await waitFor(() => witnessed === 4, { timeoutMs: 1_000, message: 'the notices of two appends after its death' });
    expect(heard).toBe(atDeath);
  });

  it('forwards the global order and the execution index while alive, and refuses them once dead', async () => {
    const inner = new InMemoryEventStore();
    const store = crashingStore(inner, { crashAfterAppends: 2 });
    const entry = {
      executionId: 'e-1',
      service: 'svc',
      definitionName: 'order',
      definitionVersion: '1',
      status: 'running',
      phase: 'forward' as const,
      open: true,
      startedAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      user: null,
      nextDueAt: null,
      waitingFor: null,
      revision: 0,
    };
    await store.append('saga-e-1', [event('A')], 'no_stream', { index: entry });
    expect(store.index.consistency).toBe('inline');
    expect(await inner.index.get('e-1')).toEqual(entry);
    expect(await store.index.get('e-1')).toEqual(entry);
    expect((await store.index.query({ service: 'svc' })).entries).toEqual([entry]);
    expect(await store.index.claim({ service: 'svc', owner: 'w', leaseMs: 1_000 })).toEqual([entry]);
    await store.index.put([{ ...entry, executionId: 'e-2' }]);
    await store.index.remove(['e-2']);
    expect(await inner.index.get('e-2')).toBeUndefined();
    expect(await store.index.lag()).toEqual({ events: 0 });
    expect(await store.headPosition()).toBe(await inner.headPosition());
    expect((await store.readAll()).events.map((e) => [e.stream, e.type])).toEqual([['saga-e-1', 'A']]);
    const closed = { ...entry, status: 'finished', phase: 'ended' as const, open: false, revision: 1 };
    await expect(store.append('saga-e-1', [event('B')], 0, { index: closed })).rejects.toBeInstanceOf(SimulatedCrashError);
    // The append that killed it is durable, index entry included.
    expect(await inner.index.get('e-1')).toEqual(closed);
    await expect(store.readAll()).rejects.toBeInstanceOf(SimulatedCrashError);
    await expect(store.headPosition()).rejects.toBeInstanceOf(SimulatedCrashError);
    await expect(store.index.get('e-1')).rejects.toBeInstanceOf(SimulatedCrashError);
    await expect(store.index.query()).rejects.toBeInstanceOf(SimulatedCrashError);
    await expect(store.index.claim({ service: 'svc', owner: 'w', leaseMs: 1_000 })).rejects.toBeInstanceOf(SimulatedCrashError);
    await expect(store.index.put([entry])).rejects.toBeInstanceOf(SimulatedCrashError);
    await expect(store.index.remove(['e-1'])).rejects.toBeInstanceOf(SimulatedCrashError);
    await expect(store.index.lag()).rejects.toBeInstanceOf(SimulatedCrashError);
    expect(await inner.index.get('e-1')).toEqual(closed);
  });

  it('lostEvents finds acknowledged events that are missing or different, whatever the key order', async () => {
    const inner = new InMemoryEventStore();
    const store = crashingStore(inner);
    await store.append('saga-c', [event('A', { x: 1, y: 2 }), event('B')], 'no_stream');
    const stored = await inner.read('saga-c');
    expect(lostEvents(store.appended, 'saga-c', stored)).toEqual([]);
    expect(lostEvents(store.appended, 'saga-c', stored.slice(0, 1))).toEqual(['saga-c @ 1 (B) was acknowledged but is not in the stream']);
    expect(lostEvents(store.appended, 'saga-c', [stored[1], stored[0]].map((e, revision) => ({ ...(e as (typeof stored)[number]), revision })))).toHaveLength(2);
    expect(canonicalJson({ b: 1, a: { d: 1, c: [2, { f: 1, e: 0 }] } })).toBe(canonicalJson({ a: { c: [2, { e: 0, f: 1 }], d: 1 }, b: 1 }));
  });
});

describe('faultyBroker', () => {
  const collect = async (broker: ReturnType<typeof faultyBroker>, topic: string): Promise<DeliveredMessage[]> => {
    const received: DeliveredMessage[] = [];
    await broker.subscribe(topic, 'g', async (m) => void received.push(m));
    return received;
  };

  it('drops, duplicates and delays as the plan says, and counts it', async () => {
    const broker = faultyBroker(new InMemoryBroker());
    const received = await collect(broker, 't');
    broker.publishFaults = (_topic, message) => (message.id === 'lost' ? { drop: true } : message.id === 'twice' ? { copies: 2, delaysMs: [0, 30] } : undefined);
    await broker.publish('t', { id: 'lost', headers: {}, body: null });
    await broker.publish('t', { id: 'twice', headers: {}, body: null });
    await broker.publish('t', { id: 'plain', headers: {}, body: null });
    await broker.quiet();
    expect(received.map((m) => m.id)).toEqual(['twice', 'plain', 'twice']);
    expect(broker.counts).toMatchObject({ published: 3, dropped: 1, duplicated: 1, delayed: 1, reordered: 1, deliveries: 3 });
  });

  it('fails deliveries before or after the handler, so the broker redelivers; attempts are counted per message', async () => {
    const broker = faultyBroker(new InMemoryBroker());
    const handled: string[] = [];
    const attempts: number[] = [];
    await broker.subscribe(
      't',
      'g',
      async (m) => void handled.push(m.id),
      { redeliveryDelayMs: 1 },
    );
    broker.deliveryFaults = (_delivery, attempt) => {
      attempts.push(attempt);
      return attempt === 1 ? 'fail-before' : attempt === 2 ? 'fail-after' : undefined;
    };
    await broker.publish('t', { id: 'm', headers: {}, body: null });
    await broker.quiet();
    expect(attempts).toEqual([1, 2, 3]);
    expect(handled).toEqual(['m', 'm']);
    expect(broker.counts).toMatchObject({ deliveries: 3, failedDeliveries: 2 });
  });

  it('quiet() waits for delayed copies; destroy() cancels them', async () => {
    const inner = new InMemoryBroker();
    const broker = faultyBroker(inner);
    const received = await collect(broker, 't');
    broker.publishFaults = () => ({ delaysMs: [60] });
    await broker.publish('t', { id: 'later', headers: {}, body: null });
    expect(received).toEqual([]);
    await broker.quiet();
    expect(received.map((m) => m.id)).toEqual(['later']);
    // The copy's timer is the decorator's: on fake timers, its due time can be passed at once, and
    // the inner broker drained then has everything the copy would have become.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await broker.publish('t', { id: 'never', headers: {}, body: null });
      await broker.destroy();
      vi.advanceTimersByTime(1_000);
    } finally {
      vi.useRealTimers();
    }
    await inner.drain();
    expect(received.map((m) => m.id)).toEqual(['later']);
  });

  /** The in-memory broker as RabbitMQ and NATS look to the decorator: no drain(). */
  const undrainable = (inner: InMemoryBroker): Broker => ({
    setup: () => inner.setup(),
    destroy: () => inner.destroy(),
    publish: (topic, message) => inner.publish(topic, message),
    subscribe: (topic, group, handler, options) => inner.subscribe(topic, group, handler, options),
  });

  it('quiet() without drain() waits until the backlog is empty twice in a row, over its own groups and the ones it is given', async () => {
    const broker = faultyBroker(undrainable(new InMemoryBroker()));
    await collect(broker, 't');
    const asked: string[][] = [];
    let holding = 3;
    const backlog: BrokerBacklog = async (groups) => {
      asked.push(groups.map((g) => `${g.topic}/${g.group}`));
      holding -= 1;
      return holding > 0 ? [{ topic: 't', group: 'g', messages: holding }] : [];
    };
    await broker.quiet({ backlog, groups: [{ topic: 't.dead-letter', group: 'audit' }] });
    // 2 and 1 held; then empty, and empty again.
    expect(asked).toEqual(Array.from({ length: 4 }, () => ['t/g', 't.dead-letter/audit']));
  });

  it('quiet() asks the backlog again when a handler ran while it was read, and fails naming what is held', async () => {
    const broker = faultyBroker(undrainable(new InMemoryBroker()));
    const received = await collect(broker, 't');
    let reads = 0;
    const backlog: BrokerBacklog = async () => {
      reads += 1;
      // A message moving between two reads: the counts do not show it, the handler that runs does.
      if (reads === 1) await broker.publish('t', { id: 'moving', headers: {}, body: null });
      return [];
    };
    await broker.quiet({ backlog });
    expect(reads).toBe(4);
    expect(received.map((m) => m.id)).toEqual(['moving']);
    const stuck: BrokerBacklog = async () => [{ topic: 't', group: 'g', messages: 2 }];
    await expect(broker.quiet({ backlog: stuck, timeoutMs: 50 })).rejects.toThrow(/did not become quiet: the broker holds 2 on t \(group g\)/);
  });
});

describe('seededRandom', () => {
  it('is reproducible from its seed and spreads over its range', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const draws = Array.from({ length: 1000 }, () => a.int(10));
    expect(Array.from({ length: 1000 }, () => b.int(10))).toEqual(draws);
    expect(new Set(draws).size).toBe(10);
    expect(seededRandom(43).int(1_000_000)).not.toBe(seededRandom(42).int(1_000_000));
    const c = seededRandom(7);
    expect(Array.from({ length: 200 }, () => c.between(3, 5)).every((n) => n >= 3 && n <= 5)).toBe(true);
    expect(() => c.pick([])).toThrow(RangeError);
  });
});

describe('malformedMessage', () => {
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  /** Transaction commands have no exported decoder: a real participant must dead-letter every one. */
  const deadLetteredByParticipant = async (messages: readonly BrokerMessage[]): Promise<number> => {
    const broker = new InMemoryBroker();
    const participant = new SagaParticipant({ broker, service: 'fuzzed', logger: quiet });
    let reserved = 0;
    participant.onReserve(() => {
      reserved += 1;
      return true;
    });
    await participant.setup();
    let dead = 0;
    await broker.subscribe(deadLetterTopic(transactionTopic('fuzzed')), 'audit', async () => void (dead += 1));
    for (const message of messages) await broker.publish(transactionTopic('fuzzed'), message);
    await broker.drain();
    await participant.destroy();
    await broker.destroy();
    expect(reserved).toBe(0);
    return dead;
  };
  const decoders: Record<'reply' | 'request', (m: BrokerMessage) => unknown> = { reply: decodeReply, request: decodeRequest };
  const targets = { sagaIds: ['exec-1', 'exec-2'], requestIds: ['req-1'], replyTopics: ['order.reply'] };
  /** What a transport that drops empty headers and trims values delivers. */
  const transported = (message: BrokerMessage): BrokerMessage => ({
    ...message,
    headers: Object.fromEntries(Object.entries(message.headers).filter(([, v]) => v !== '').map(([k, v]) => [k, v.trim()])),
  });

  it.each(['reply', 'request'] as const)('every generated %s is refused as poison by the decoder, also after a transport drops empty headers (2,000 seeded cases)', (kind) => {
    const prng = seededRandom(2024);
    for (let i = 0; i < 2_000; i += 1) {
      const { message, defect } = malformedMessage(prng, kind, targets);
      expect(() => decoders[kind](message), `${kind} with ${defect}: ${JSON.stringify(message.headers)}`).toThrow(PoisonMessageError);
      expect(() => decoders[kind](transported(message)), `${kind} with ${defect}, transported`).toThrow(PoisonMessageError);
    }
  });

  it('every generated transaction command is dead-lettered by a participant, also after a transport drops empty headers (2 × 1,000 seeded cases)', async () => {
    const prng = seededRandom(2025);
    const messages = Array.from({ length: 1_000 }, () => malformedMessage(prng, 'transaction' as MalformedKind, targets).message);
    expect(await deadLetteredByParticipant(messages)).toBe(1_000);
    expect(await deadLetteredByParticipant(messages.map((m) => ({ ...transported(m), id: `${m.id}-t` })))).toBe(1_000);
  });

  it('random bodies are JSON', () => {
    const prng = seededRandom(5);
    for (let i = 0; i < 500; i += 1) {
      const body = randomJson(prng);
      expect(JSON.parse(JSON.stringify(body))).toEqual(body);
    }
  });
});

describe('waitFor (used by the suite) on a crashing store', () => {
  it('surfaces the crash as the last error', async () => {
    const store = crashingStore(new InMemoryEventStore(), { crashAfterAppends: 1 });
    await store.append('saga-x', [event('A')], 'no_stream').catch(() => undefined);
    await expect(waitFor(() => store.read('saga-x'), { timeoutMs: 50 })).rejects.toThrow(/SimulatedCrashError/);
  });
});
