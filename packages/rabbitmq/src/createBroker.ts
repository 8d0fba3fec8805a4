import type { Broker } from '@saga/core';
import { RabbitMqBroker } from './rabbitMqBroker.js';

/** What `SagaManager.fromConfig` calls for `amqp://` and `amqps://` URLs. */
export const createBroker = (url: string): Broker => new RabbitMqBroker({ url });
