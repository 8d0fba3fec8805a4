import type { Broker } from '@saga/core';
import { KafkaBroker } from './kafkaBroker.js';

/** What `SagaManager.fromConfig` calls for `kafka://` URLs. */
export const createBroker = (url: string): Broker => new KafkaBroker({ url });
