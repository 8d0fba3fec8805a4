import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { amqpBacklog } from './testBacklog.js';
import { amqpTestServer } from './testServer.js';

// The fault suite's backlog reader meets queues that do not exist (a retry queue never declared, a
// queue expired): each such read closes its channel with 404. It must count them as empty and go on,
// without the channel's 'error' event escaping as an uncaught exception (which vitest reports as an
// unhandled error and fails the run: seen in CI, in the heavy messy-delivery case).
const server = await amqpTestServer();
const queues = server.url === undefined ? undefined : await amqpBacklog(server.url);
afterAll(async () => {
  await queues?.close();
  await server.stop();
});

describe.skipIf(server.skip !== undefined)('the fault suite backlog on RabbitMQ', () => {
  it('reads queues that do not exist as empty, again and again, without an uncaught error', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const groups = Array.from({ length: 3 }, () => ({ topic: `nowhere-${randomUUID()}.reserve`, group: 'nobody' }));
      expect(await queues?.backlog(groups)).toEqual([]);
      expect(await queues?.backlog(groups), 'a second read, on the channels opened after the 404s').toEqual([]);
      // The channel's close frame and its 'error' event are handled on the socket's read, before the
      // declare's rejection reaches us; a round trip more lets anything left over surface.
      expect(await queues?.backlog([groups[0]!])).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });
});
