import { describe, expect, it } from 'vitest';
import { groupQueue, parkingQueue, retryQueue } from './topology.js';

describe('queue names', () => {
  it('keep their names on the default exchange, and start with any other exchange', () => {
    const saga = { exchange: 'saga' };
    expect([groupQueue(saga, 'order.reply', 'order'), retryQueue(saga, 'order.reply', 'order'), parkingQueue(saga, 'order.reply')]).toEqual([
      'order.reply::order',
      'order.reply::order::retry',
      'order.reply.dead-letter::parked',
    ]);
    const staging = { exchange: 'staging' };
    expect([groupQueue(staging, 'order.reply', 'order'), retryQueue(staging, 'order.reply', 'order'), parkingQueue(staging, 'order.reply')]).toEqual([
      'staging::order.reply::order',
      'staging::order.reply::order::retry',
      'staging::order.reply.dead-letter::parked',
    ]);
  });
});
