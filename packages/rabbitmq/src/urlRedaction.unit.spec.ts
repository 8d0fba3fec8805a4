// Passwords as users write them (an unescaped '@', ':', '%', '/', '?', or ?password= in the query)
// never reach a message: neither the server's description nor the error for a URL that is not amqp://.
import { describe, expect, it } from 'vitest';
import { describeServer } from './amqpConnection.js';
import { RabbitMqBroker } from './rabbitMqBroker.js';

const hostile = [
  'amqp://app:s3cr@t:x%y@rabbit.internal:5672/orders',
  'amqp://app:s3cr/et@rabbit.internal:5672/orders',
  'amqps://app:s3cr?et@rabbit.internal/orders',
  'amqp://app@rabbit.internal/orders?password=s3cr3t&x=1',
];

describe('RabbitMQ URLs in messages', () => {
  it.each(hostile)('describeServer(%s) names the server, never the password', (url) => {
    const described = describeServer(url);
    expect(described).toContain('rabbit.internal');
    expect(described).not.toMatch(/s3cr|x%y/);
  });

  it.each(hostile.map((url) => url.replace(/^amqps?/, 'rabbitmq')))('a URL that is not amqp:// (%s) is refused without its password', (url) => {
    expect(() => new RabbitMqBroker({ url })).toThrow(/needs an amqp:\/\/ or amqps:\/\/ url/);
    expect(() => new RabbitMqBroker({ url })).not.toThrow(/s3cr|x%y/);
  });
});
