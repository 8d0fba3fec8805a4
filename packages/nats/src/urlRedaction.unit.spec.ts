// Passwords and tokens as users write them (an unescaped '@', ':', '%', '/', '?', ?token= in the
// query, credentials on a later server) never reach a message.
import { describe, expect, it } from 'vitest';
import { parseNatsUrl } from './natsConnection.js';

describe('NATS URLs in messages', () => {
  it.each([
    ['nats://app:s3cr@t:x@nats1:4222', 'nats1:4222'],
    ['nats://nats1:4222?token=s3cr3t&x=1', 'nats1:4222'],
    ['nats://nats1:4222,app:s3cr@t@nats2:4223', 'nats1:4222, nats2:4223'],
    ['nats://app:s3cr3t@nats1:4222,app:s3cr3t@nats2:4223', 'nats1:4222, nats2:4223'],
  ])('%s is described by its servers, never its credentials', (url, servers) => {
    const { where } = parseNatsUrl(url);
    expect(where.startsWith(`${servers} (`)).toBe(true);
    expect(where).not.toMatch(/s3cr|x%y/);
  });

  it.each(['nats://app:s3cr/et@nats1:4222', 'nats://app:s3cr?et@nats1:4222', 'http://app:s3cr3t@nats1:4222?password=s3cr3t'])(
    'a URL it cannot use (%s) is refused without its password',
    (url) => {
      expect(() => parseNatsUrl(url)).toThrow(/NATS|NatsBroker/);
      expect(() => parseNatsUrl(url)).not.toThrow(/s3cr/);
    },
  );
});
