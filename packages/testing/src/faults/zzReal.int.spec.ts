// SCRATCH (deleted after the run): the fault suite on the real adapters, imported by path.
import { afterAll } from 'vitest';
import { InMemoryBroker, InMemoryEventStore, type Broker, type EventStore } from '@saga/core';
import { faultSuite } from './faultSuite.js';

const pgMod = (await import('../../../postgres/dist/index.js' as string)) as { PostgresEventStore: new (o: object) => EventStore };
const pgServer = (await import('../../../postgres/src/testServer.ts' as string)) as { postgresTestServer: () => Promise<{ url?: string; skip?: string; freshSchema(l?: string): string; stop(): Promise<void> }> };
const rabbitMod = (await import('../../../rabbitmq/dist/index.js' as string)) as { RabbitMqBroker: new (o: object) => Broker };
const natsMod = (await import('../../../nats/dist/index.js' as string)) as { NatsBroker: new (o: object) => Broker };
const natsServer = (await import('../../../nats/src/testServer.ts' as string)) as { natsTestServer: () => Promise<{ url?: string; naming: object; stop(): Promise<void> }> };

const pg = await pgServer.postgresTestServer();
const nats = await natsServer.natsTestServer();
afterAll(async () => { await pg.stop(); await nats.stop(); });
const which = process.env.ZZ_COMBO ?? 'pg+rabbit';
const store = (): EventStore => which.startsWith('pg') ? new pgMod.PostgresEventStore({ connectionString: pg.url, schema: pg.freshSchema('faults'), pool: { max: 4 } }) : new InMemoryEventStore();
const broker = (): Broker => which.endsWith('rabbit') ? new rabbitMod.RabbitMqBroker({ url: process.env.SAGA_TEST_AMQP_URL, queueExpiresMs: 60_000 }) : which.endsWith('nats') ? new natsMod.NatsBroker({ url: nats.url, ...nats.naming }) : new InMemoryBroker();
faultSuite(which, async () => ({ store: store(), broker: broker() }));
