// A saga whose remote step succeeds and whose local step after it fails: the decider specs of a
// failure with a participant to reject (the two-phase commit's reject path).
import { Saga, SagaRequest } from '@saga/definitions';

export const failsLateSaga = new Saga('fails_late')
  .remoteStep()
  .onExecute(() => new SagaRequest('stock.reserve'))
  .localStep()
  .onExecute(() => new Error('no courier'))
  .commit();
