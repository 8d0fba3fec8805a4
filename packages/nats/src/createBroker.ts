import type { Broker } from '@saga/core';
import { NatsBroker } from './natsBroker.js';

/** What `SagaManager.fromConfig` calls for `nats://` URLs. */
export const createBroker = (url: string): Broker => new NatsBroker({ url });
