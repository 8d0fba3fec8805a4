import { afterAll } from 'vitest';
import { observabilityScenario } from '@saga/testing';
import { RabbitMqBroker } from './rabbitMqBroker.js';
import { amqpTestServer } from './testServer.js';

// Issue 8's check: the trace of one saga stays connected across a real broker, where no in-process
// context can leak from publisher to consumer: only the message headers carry it.
const server = await amqpTestServer();
afterAll(() => server.stop());

observabilityScenario('RabbitMqBroker', async () => new RabbitMqBroker({ url: server.url ?? '', queueExpiresMs: 60_000 }), { skip: server.skip });
