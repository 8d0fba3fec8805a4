/** A real client against a port where nothing listens: needs no server, and runs everywhere. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSagaError } from '@saga/core';
import { captureLogger } from '@saga/testing';
import { EventStoreDbEventStore } from './eventStoreDbEventStore.js';

describe('EventStoreDbEventStore and an unreachable server', () => {
  const opened: EventStoreDbEventStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.destroy()));
  });

  it('fails setup naming the hosts and the variable to fix, never the user or password', async () => {
    const store = new EventStoreDbEventStore({
      connectionString: 'esdb://admin:changeit-s3cret@127.0.0.1:1?tls=false',
      retry: { retries: 1, minDelayMs: 10, maxDelayMs: 10 },
    });
    opened.push(store);
    const error = await store.setup().catch((e: unknown) => e);
    expect(isSagaError(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('127.0.0.1:1');
    expect(message).toContain('after 2 attempts');
    expect(message).toContain('SAGA_STORE_URL');
    expect(message).not.toContain('changeit-s3cret');
    expect(message).not.toContain('admin');
  }, 30_000);

  it('removes the options client 6.x would print the whole connection string for (password included), and says which', () => {
    const printed = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const logger = captureLogger();
      const store = new EventStoreDbEventStore({
        connectionString: 'esdb://admin:changeit-s3cret@127.0.0.1:1?tls=false&appName=orders&tlsVerifyCert=false&keepAliveTimeout=10000',
        logger,
      });
      opened.push(store);
      expect(printed.mock.calls.flat().join(' ')).not.toContain('changeit-s3cret');
      expect(logger.entries).toEqual([expect.objectContaining({ level: 'warn', fields: { ignored: ['appName', 'tlsVerifyCert'], target: '127.0.0.1:1' } })]);
      expect(JSON.stringify(logger.entries)).not.toContain('changeit-s3cret');
    } finally {
      printed.mockRestore();
    }
  });
});
