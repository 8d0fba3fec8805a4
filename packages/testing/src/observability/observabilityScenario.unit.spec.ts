import { InMemoryBroker } from '@saga/core';
import { observabilityScenario } from './observabilityScenario.js';

observabilityScenario('InMemoryBroker', async () => new InMemoryBroker());
