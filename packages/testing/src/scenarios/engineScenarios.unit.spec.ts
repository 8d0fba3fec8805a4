import { InMemoryEventStore } from '@saga/core';
import { engineScenarios } from './engineScenarios.js';

engineScenarios('InMemoryEventStore', async () => new InMemoryEventStore());
