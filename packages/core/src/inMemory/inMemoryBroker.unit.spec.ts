// Core-level checks of the in-memory broker. The Broker contract and the test hooks (duplicates,
// delay, drain) are exercised in @saga/testing, which can import the contract suite.
import { describe, expect, it } from 'vitest';
import type { DeliveredMessage } from '../ports/broker.js';
import { deadLetterTopic } from '../ports/broker.js';
import { InMemoryBroker } from './inMemoryBroker.js';

const message = (id: string) => ({ id, headers: {}, body: { id } });

describe('InMemoryBroker', () => {
  it('shares the work of a group between its members', async () => {
    const broker = new InMemoryBroker();
    const byMember: Record<string, string[]> = { a: [], b: [] };
    await broker.subscribe('t', 'g', async (m) => void byMember.a?.push(m.id));
    await broker.subscribe('t', 'g', async (m) => void byMember.b?.push(m.id));
    for (let i = 0; i < 6; i += 1) await broker.publish('t', message(`m${i}`));
    await broker.drain();
    expect(byMember.a).toHaveLength(3);
    expect(byMember.b).toHaveLength(3);
  });

  it('keeps publication order for a single consumer', async () => {
    const broker = new InMemoryBroker();
    const ids: string[] = [];
    await broker.subscribe('t', 'g', async (m) => {
      await new Promise((resolve) => setTimeout(resolve, m.id === 'm0' ? 5 : 0));
      ids.push(m.id);
    }, { concurrency: 1 });
    for (let i = 0; i < 5; i += 1) await broker.publish('t', message(`m${i}`));
    await broker.drain();
    expect(ids).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('dead-letters after maxDeliveries to subscribers of the dead-letter topic', async () => {
    const broker = new InMemoryBroker();
    const dead: DeliveredMessage[] = [];
    await broker.subscribe(deadLetterTopic('t'), 'ops', async (m) => void dead.push(m));
    let attempts = 0;
    await broker.subscribe('t', 'g', async () => {
      attempts += 1;
      throw new Error('nope');
    }, { maxDeliveries: 2, redeliveryDelayMs: 1 });
    await broker.publish('t', message('m'));
    await broker.drain();
    expect(attempts).toBe(2);
    expect(dead.map((m) => [m.id, m.topic, m.headers['x-deliveries'], m.headers['x-dead-letter-reason']])).toEqual([
      ['m', 't.dead-letter', '2', 'Error: nope'],
    ]);
  });

  it('closing a subscription twice is harmless', async () => {
    const broker = new InMemoryBroker();
    const subscription = await broker.subscribe('t', 'g', async () => {});
    await subscription.close();
    await subscription.close();
    await broker.destroy();
  });
});
