import { describe, expect, it } from 'vitest';
import { describeHosts, normalizeConnectionString } from './connectionString.js';
import { EventStoreDbEventStore } from './eventStoreDbEventStore.js';
import { parseEventStoreDbUrl } from './eventStoreDbUrl.js';
import { createEventStore } from './index.js';

describe('EventStoreDB / KurrentDB URLs', () => {
  it('accepts esdb:// and the KurrentDB schemes, in the form the client parses', () => {
    expect(normalizeConnectionString('esdb://localhost:2113?tls=false')).toBe('esdb://localhost:2113?tls=false');
    expect(normalizeConnectionString('kurrentdb://admin:changeit@node1:2113,node2:2113?nodePreference=leader')).toBe(
      'esdb://admin:changeit@node1:2113,node2:2113?nodePreference=leader',
    );
    expect(normalizeConnectionString('KurrentDB+discover://cluster.example:2113')).toBe('esdb+discover://cluster.example:2113');
    expect(normalizeConnectionString('kurrent://localhost')).toBe('esdb://localhost');
  });

  it('rejects other schemes without showing the password', () => {
    for (const url of ['https://admin:hunter2@localhost:2113', 'tcp://admin:hunter2@localhost:1113', 'localhost:2113', '']) {
      expect(() => normalizeConnectionString(url)).toThrow(/use esdb:\/\/host:2113\?tls=false/);
      try {
        normalizeConnectionString(url);
      } catch (error) {
        expect((error as Error).message).not.toContain('hunter2');
      }
    }
  });

  it('names the hosts for messages, never the credentials', () => {
    expect(describeHosts('esdb://admin:chan@ge:it@node1:2113,node2:2114?tls=true')).toBe('node1:2113,node2:2114');
    expect(describeHosts('esdb://localhost:2113')).toBe('localhost:2113');
  });

  // Passwords as users write them: with an unescaped '@', ':', '%', '?', '/' or '#'.
  it.each([
    ['esdb://admin:s3cr@t:x%y@node1:2113?tls=false', 'node1:2113'],
    ['esdb://admin:s3cr?et@node1:2113,node2:2114?tls=false', 'node1:2113,node2:2114'],
    ['esdb://admin:s3cr/et@node1:2113?tls=false', 'node1:2113'],
    ['esdb://admin:s3cr#et@node1:2113', 'node1:2113'],
  ])('names the hosts of %s, never the password', (url, hosts) => {
    expect(describeHosts(url)).toBe(hosts);
  });

  it.each([
    'esdb://admin@localhost:2113?tls=false&password=s3cr3t&x=1',
    'kurrentdb://localhost:2113?PassWord=s3cr3t',
  ])('refuses a password in the query of %s (the client ignores it and prints it), without showing it', (url) => {
    expect(() => normalizeConnectionString(url)).toThrow(/does not read a password from the query; give it as esdb:\/\/user:password@host:2113/);
    expect(() => normalizeConnectionString(url)).not.toThrow(/s3cr3t/);
  });

  it('takes namespace, listTimeoutMs, deadlineMs and maxConcurrentCalls for the store and passes every other parameter on verbatim', () => {
    expect(parseEventStoreDbUrl('esdb://localhost:2113?tls=false&namespace=orders.&tlsCAFile=%2Fetc%2Fca.pem&listTimeoutMs=5000')).toEqual({
      connectionString: 'esdb://localhost:2113?tls=false&tlsCAFile=%2Fetc%2Fca.pem',
      namespace: 'orders.',
      listTimeoutMs: 5000,
    });
    expect(parseEventStoreDbUrl('esdb://localhost:2113?deadlineMs=2000&maxConcurrentCalls=32&tls=false')).toEqual({
      connectionString: 'esdb://localhost:2113?tls=false',
      deadlineMs: 2000,
      maxConcurrentCalls: 32,
    });
    expect(() => parseEventStoreDbUrl('esdb://localhost:2113?maxConcurrentCalls=100')).not.toThrow(); // the store checks the range:
    expect(() => createEventStore('esdb://localhost:2113?maxConcurrentCalls=100')).toThrow(/maxConcurrentCalls must be a whole number from 1 to 90, got 100/);
    expect(parseEventStoreDbUrl('esdb://localhost:2113')).toEqual({ connectionString: 'esdb://localhost:2113' });
    expect(() => parseEventStoreDbUrl('esdb://localhost:2113?listTimeoutMs=soon')).toThrow(/listTimeoutMs must be a whole number/);
    expect(() => parseEventStoreDbUrl('esdb://localhost:2113?namespace=$system')).toThrow(/must not start with '\$'/);
  });

  it('builds a store without connecting (the first use connects); createEventStore is the same function', async () => {
    const store = createEventStore('kurrentdb://admin:changeit@db.example:2113?tls=false&namespace=audit.');
    expect(store).toBeInstanceOf(EventStoreDbEventStore);
    expect(store.namespace).toBe('audit.');
    expect(store.target).toBe('db.example:2113');
    await store.destroy();
  });

  it("hides the password when the client cannot parse the rest of the string", () => {
    const attempt = () => new EventStoreDbEventStore({ connectionString: 'esdb://admin:hunter2@localhost:notaport' });
    expect(attempt).toThrow(/Invalid EventStoreDB\/KurrentDB connection string/);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
