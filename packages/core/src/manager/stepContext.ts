import { SagaContext } from '@saga/definitions';
import { contextAt, type SagaExecution } from '@saga/execution';

/** The context a step's callbacks get: its parallel branch's, else the execution's. */
export const contextOf = (execution: SagaExecution, path: string): SagaContext => new SagaContext(contextAt(execution, path));
