// The in-memory inbox stays bounded (the participant's hook records used to grow with every saga)
// and its retention timer prunes by age; the participant's dedupeCapacity still sizes it.
import { describe, expect, it } from 'vitest';
import { SagaResponseStatus } from '@saga/definitions';
import type { Clock } from '../ports/clock.js';
import { InMemoryBroker } from '../inMemory/inMemoryBroker.js';
import { Headers, transactionTopic } from '../wire/headers.js';
import { encodeRequest, type ReplyEnvelope } from '../wire/sagaMessages.js';
import { InMemoryInbox } from './inMemoryInbox.js';
import { pruneOnSchedule, resolveInboxRetention } from './inboxRetention.js';
import { SagaParticipant } from './sagaParticipant.js';

/** A clock whose time and timers move only when the test says so. */
const manualClock = () => {
  let now = 0;
  const timers: Array<{ at: number; callback: () => void }> = [];
  const clock: Clock = {
    now: () => new Date(now),
    setTimeout: (callback, ms) => {
      const timer = { at: now + ms, callback };
      timers.push(timer);
      return () => void timers.splice(timers.indexOf(timer), 1);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const timer of timers.filter((t) => t.at <= now)) {
      timers.splice(timers.indexOf(timer), 1);
      timer.callback();
    }
  };
  return { clock, advance, pending: () => timers.length };
};

const reply = (requestId: string): ReplyEnvelope => ({ sagaId: 's', requestId, status: SagaResponseStatus.SUCCESS, relatedServices: [], payload: null });

describe('InMemoryInbox', () => {
  it('holds at most `capacity` requests and `capacity` sagas, however many sagas a participant hears of', async () => {
    const broker = new InMemoryBroker();
    const inbox = new InMemoryInbox({ capacity: 3 });
    const participant = new SagaParticipant({ broker, service: 'stock', inbox });
    const committed: string[] = [];
    participant.onCommit((sagaId) => void committed.push(sagaId));
    await participant.setup();
    for (let saga = 0; saga < 50; saga += 1) {
      await broker.publish(transactionTopic('stock'), { id: `m${saga}`, headers: { [Headers.sagaId]: `s${saga}`, [Headers.transactionAction]: 'commit' }, body: null });
    }
    await broker.drain();
    expect(committed).toHaveLength(50);
    expect(inbox.size).toBeLessThanOrEqual(6);
    await participant.destroy();
    await broker.destroy();
  });

  it('dedupeCapacity sizes the default inbox: a request id pushed out runs again', async () => {
    const broker = new InMemoryBroker();
    const participant = new SagaParticipant({ broker, service: 'stock', dedupeCapacity: 1 });
    const runs: string[] = [];
    participant.handle('stock.reserve', (_payload, meta) => void runs.push(meta.requestId));
    await participant.setup();
    const send = async (requestId: string) => {
      await broker.publish('stock.reserve', encodeRequest({ sagaId: 's1', requestId, replyTo: 'order.reply', purpose: 'execute', payload: null }));
      await broker.drain();
    };
    await send('r1');
    await send('r1');
    await send('r2');
    await send('r1');
    expect(runs).toEqual(['r1', 'r2', 'r1']);
    await participant.destroy();
    await broker.destroy();
  });

  it('prunes by age on its retention timer from setup to destroy', async () => {
    const { clock, advance, pending } = manualClock();
    const inbox = new InMemoryInbox({ retentionMs: 1_000, pruneEveryMs: 100, clock });
    await inbox.setup();
    await inbox.handleOnce({ participant: 'p', requestId: 'old', sagaId: 's' }, async () => ({ value: reply('old'), keepEffects: true }));
    advance(600);
    await inbox.handleOnce({ participant: 'p', requestId: 'new', sagaId: 's' }, async () => ({ value: reply('new'), keepEffects: true }));
    advance(500); // 'old' is 1,100 ms old, 'new' 500 ms
    await Promise.resolve();
    expect(inbox.size).toBe(1);
    await inbox.destroy();
    expect(pending()).toBe(0);
  });

  it('a retention that is not a positive number is refused, naming the option', () => {
    expect(() => resolveInboxRetention('InMemoryInbox', { retentionMs: 0 })).toThrow(/InMemoryInbox: retentionMs must be a positive number/);
    expect(() => resolveInboxRetention('InMemoryInbox', { pruneEveryMs: Number.NaN })).toThrow(/pruneEveryMs/);
  });

  it('a failed prune is logged and tried again at the next tick', async () => {
    const { clock, advance } = manualClock();
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (_fields: Record<string, unknown>, message: string) => void warnings.push(message), error() {} };
    let calls = 0;
    const stop = pruneOnSchedule('test', async () => {
      calls += 1;
      if (calls === 1) throw new Error('database down');
      return 0;
    }, resolveInboxRetention('test', { retentionMs: 10, clock }), logger);
    advance(10);
    await new Promise((resolve) => setImmediate(resolve));
    advance(10);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(2);
    expect(warnings).toEqual(['Inbox: pruning failed; trying again at the next tick']);
    stop();
  });
});
