// The InMemoryBroker's test hooks and the details the contract does not pin down.
import { describe, expect, it } from 'vitest';
import { DeadLetterHeaders, InMemoryBroker, PoisonMessageError, deadLetterTopic, isSagaError } from '@saga/core';
import type { DeliveredMessage } from '@saga/core';
import { FakeClock } from './fakeClock.js';
import { waitFor } from './waitFor.js';

const message = (id: string, body: DeliveredMessage['body'] = { id }) => ({ id, headers: {}, body });

const collect = () => {
  const received: DeliveredMessage[] = [];
  return { received, handler: async (m: DeliveredMessage) => void received.push(m) };
};

describe('InMemoryBroker', () => {
  it('never calls a handler inside publish()', async () => {
    const broker = new InMemoryBroker();
    const inbox = collect();
    await broker.subscribe('t', 'g', inbox.handler);
    const publishing = broker.publish('t', message('m1'));
    expect(inbox.received).toEqual([]);
    await publishing;
    await broker.drain();
    expect(inbox.received.map((m) => m.id)).toEqual(['m1']);
  });

  it('drops messages published before any group subscribed, keeps them for a known group with no live member', async () => {
    const broker = new InMemoryBroker();
    await broker.publish('t', message('before-any-group'));
    const first = await broker.subscribe('t', 'g', async () => {});
    await first.close();
    await broker.publish('t', message('while-group-offline'));
    await broker.drain();
    const inbox = collect();
    await broker.subscribe('t', 'g', inbox.handler);
    await broker.drain();
    expect(inbox.received.map((m) => m.id)).toEqual(['while-group-offline']);
  });

  it('gives each delivery its own copy of the message', async () => {
    const broker = new InMemoryBroker();
    const body = { list: [1] };
    const seen: unknown[] = [];
    await broker.subscribe('t', 'g', async (m) => {
      seen.push(JSON.parse(JSON.stringify(m.body)));
      (m.body as { list: number[] }).list.push(99);
      if (m.deliveryCount === 1) throw new Error('again');
    }, { redeliveryDelayMs: 0 });
    await broker.publish('t', { id: 'm', headers: {}, body });
    body.list.push(2);
    await broker.drain();
    expect(seen).toEqual([{ list: [1] }, { list: [1] }]);
  });

  describe('duplicate hooks', () => {
    it('duplicateNext(n) delivers the next n messages twice to every group', async () => {
      const broker = new InMemoryBroker();
      const one = collect();
      const two = collect();
      await broker.subscribe('t', 'g1', one.handler);
      await broker.subscribe('t', 'g2', two.handler);
      broker.duplicateNext(2);
      for (const id of ['a', 'b', 'c']) await broker.publish('t', message(id));
      await broker.drain();
      expect(one.received.map((m) => m.id)).toEqual(['a', 'a', 'b', 'b', 'c']);
      expect(two.received.map((m) => m.id)).toEqual(['a', 'a', 'b', 'b', 'c']);
    });

    it('duplicateRate duplicates that share of messages', async () => {
      let roll = 0;
      // Every other draw is below the rate.
      const broker = new InMemoryBroker({ duplicateRate: 0.5, random: () => (roll++ % 2 === 0 ? 0.1 : 0.9) });
      const inbox = collect();
      await broker.subscribe('t', 'g', inbox.handler);
      for (const id of ['a', 'b', 'c', 'd']) await broker.publish('t', message(id));
      await broker.drain();
      expect(inbox.received.map((m) => m.id)).toEqual(['a', 'a', 'b', 'c', 'c', 'd']);
    });

    it('duplicateRate 1 duplicates everything, 0 nothing', async () => {
      for (const [rate, expected] of [
        [1, 4],
        [0, 2],
      ] as const) {
        const broker = new InMemoryBroker({ duplicateRate: rate });
        const inbox = collect();
        await broker.subscribe('t', 'g', inbox.handler);
        await broker.publish('t', message('a'));
        await broker.publish('t', message('b'));
        await broker.drain();
        expect(inbox.received).toHaveLength(expected);
      }
    });

    it('rejects invalid hook values', () => {
      expect(() => new InMemoryBroker({ duplicateRate: 2 })).toThrow(/duplicateRate/);
      expect(() => new InMemoryBroker({ delayMs: -1 })).toThrow(/delayMs/);
      expect(() => new InMemoryBroker().duplicateNext(-1)).toThrow(/duplicateNext/);
    });
  });

  describe('delayMs', () => {
    it('delays every delivery', async () => {
      const broker = new InMemoryBroker({ delayMs: 60 });
      const times: number[] = [];
      const started = performance.now();
      await broker.subscribe('t', 'g', async () => void times.push(performance.now() - started));
      await broker.publish('t', message('a'));
      await broker.publish('t', message('b'));
      await broker.drain();
      expect(times).toHaveLength(2);
      // Timers may fire a millisecond early on some platforms.
      for (const elapsed of times) expect(elapsed).toBeGreaterThanOrEqual(55);
    });

    it('adds to redelivery delays, and runs on the given clock', async () => {
      const clock = new FakeClock(0);
      const broker = new InMemoryBroker({ delayMs: 100, clock });
      const at: number[] = [];
      await broker.subscribe(
        't',
        'g',
        async (m) => {
          at.push(clock.now().getTime());
          if (m.deliveryCount === 1) throw new Error('retry me');
        },
        { redeliveryDelayMs: 50 },
      );
      await broker.publish('t', message('a'));
      await clock.advanceAsync(99);
      expect(at).toEqual([]);
      await clock.advanceAsync(1);
      expect(at).toEqual([100]);
      await clock.advanceAsync(149);
      expect(at).toEqual([100]);
      await clock.advanceAsync(1);
      expect(at).toEqual([100, 250]);
      await broker.drain();
    });
  });

  describe('drain', () => {
    it('resolves at once when nothing is pending', async () => {
      await new InMemoryBroker().drain();
    });

    it('waits for redeliveries and for messages that handlers publish', async () => {
      const broker = new InMemoryBroker();
      const replies = collect();
      await broker.subscribe('requests', 'worker', async (m) => {
        if (m.deliveryCount < 3) throw new Error('flaky');
        // Published from a callback after the handler resolved: drain must still wait for it.
        setImmediate(() => void broker.publish('replies', message(`reply-to-${m.id}`)));
      }, { redeliveryDelayMs: 20 });
      await broker.subscribe('replies', 'caller', replies.handler);
      await broker.publish('requests', message('r1'));
      await broker.drain();
      expect(replies.received.map((m) => m.id)).toEqual(['reply-to-r1']);
    });

    it('ignores messages kept for a group that has no live member', async () => {
      const broker = new InMemoryBroker();
      const subscription = await broker.subscribe('t', 'g', async () => {});
      await subscription.close();
      await broker.publish('t', message('kept'));
      await broker.drain({ timeoutMs: 500 });
    });

    it('times out naming what is still pending', async () => {
      const broker = new InMemoryBroker();
      await broker.subscribe('stuck-topic', 'stuck-group', () => new Promise<void>(() => {}));
      await broker.publish('stuck-topic', message('m'));
      await expect(broker.drain({ timeoutMs: 50 })).rejects.toThrow(/1 message\(s\) in handlers.*'stuck-topic'\/'stuck-group'/);
      await broker.destroy();
    });

    it('resolves when the broker is destroyed', async () => {
      const broker = new InMemoryBroker();
      await broker.subscribe('t', 'g', () => new Promise<void>(() => {}));
      await broker.publish('t', message('m'));
      const draining = broker.drain({ timeoutMs: 5_000 });
      await broker.destroy();
      await draining;
    });
  });

  describe('dead letters', () => {
    it('records dead letters for inspection, filtered by original topic', async () => {
      const broker = new InMemoryBroker();
      await broker.subscribe('a', 'g', async () => {
        throw new PoisonMessageError('bad a');
      });
      await broker.subscribe('b', 'g', async () => {
        throw new Error('bad b');
      }, { maxDeliveries: 2, redeliveryDelayMs: 0 });
      await broker.publish('a', { id: 'm-a', headers: { h: '1' }, body: { x: 1 } });
      await broker.publish('b', message('m-b'));
      await broker.drain();
      expect(broker.deadLetters().map((d) => d.id)).toEqual(['m-a', 'm-b']);
      const [letter] = broker.deadLetters('a');
      expect(letter).toMatchObject({ id: 'm-a', topic: 'a', deliveries: 1, body: { x: 1 } });
      expect(letter?.reason).toBe('PoisonMessageError: bad a');
      expect(letter?.headers).toEqual({
        h: '1',
        [DeadLetterHeaders.reason]: 'PoisonMessageError: bad a',
        [DeadLetterHeaders.originalTopic]: 'a',
        [DeadLetterHeaders.deliveries]: '1',
      });
      expect(broker.deadLetters('b')).toMatchObject([{ id: 'm-b', deliveries: 2, reason: 'Error: bad b' }]);
      expect(broker.deadLetters(deadLetterTopic('a'))).toEqual(broker.deadLetters('a'));
      expect(broker.deadLetters('nothing')).toEqual([]);
    });

    it('dead-letters a message whose consumer closed on its last allowed delivery', async () => {
      const broker = new InMemoryBroker();
      const dead = collect();
      await broker.subscribe(deadLetterTopic('t'), 'dlq', dead.handler);
      let started = false;
      const subscription = await broker.subscribe('t', 'g', () => ((started = true), new Promise<void>(() => {})), { maxDeliveries: 1 });
      await broker.publish('t', message('m'));
      await waitFor(() => started);
      await subscription.close();
      await broker.drain();
      expect(dead.received.map((m) => m.headers[DeadLetterHeaders.reason])).toEqual([
        'The consumer closed before acknowledging, after 1 deliveries',
      ]);
    });
  });

  describe('lifecycle and validation', () => {
    it('throws a SagaError when publishing or subscribing after destroy()', async () => {
      const broker = new InMemoryBroker();
      await broker.destroy();
      await broker.destroy();
      const error = await broker.publish('t', message('m')).catch((e: unknown) => e);
      expect(isSagaError(error)).toBe(true);
      expect(String((error as Error).message)).toMatch(/destroyed/);
      await expect(broker.subscribe('t', 'g', async () => {})).rejects.toThrow(/destroyed/);
    });

    it('rejects messages it could not carry', async () => {
      const broker = new InMemoryBroker();
      await expect(broker.publish('t', { id: '', headers: {}, body: null })).rejects.toThrow(/id/);
      await expect(broker.publish('', message('m'))).rejects.toThrow(/topic/);
      await expect(broker.publish('t', { id: 'm', headers: {}, body: undefined as never })).rejects.toThrow(/not JSON/);
      await expect(broker.publish('t', { id: 'm', headers: { h: 1 as never }, body: null })).rejects.toThrow(/header 'h'/);
      await expect(broker.subscribe('t', 'g', async () => {}, { concurrency: 0 })).rejects.toThrow(/concurrency/);
    });

    it('ignores the late acknowledgement of a closed consumer', async () => {
      const broker = new InMemoryBroker();
      let finishFirst: (() => void) | undefined;
      const first = await broker.subscribe('t', 'g', () => new Promise<void>((resolve) => (finishFirst = resolve)));
      await broker.publish('t', message('m'));
      await waitFor(() => finishFirst !== undefined);
      const second = collect();
      await broker.subscribe('t', 'g', second.handler);
      await first.close();
      finishFirst?.();
      await broker.drain();
      expect(second.received.map((m) => [m.id, m.deliveryCount])).toEqual([['m', 2]]);
    });
  });
});
