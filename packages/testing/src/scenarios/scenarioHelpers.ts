/** What the engine scenarios ask of an execution: its event types, and its end. */
import type { SagaExecution, SagaManager } from '@saga/core';
import { waitFor } from '../waitFor.js';

/** The types of an execution's events, in order. */
export const historyTypes = async (manager: SagaManager, id: string): Promise<string[]> => (await manager.history(id)).map((e) => e.type);

/** Waits until the execution ended and awaits nothing (no request, no child). */
export const ended = (manager: SagaManager, id: string, timeoutMs = 10_000): Promise<SagaExecution> =>
  waitFor(
    async () => {
      const execution = await manager.get(id).catch(() => undefined);
      return execution && execution.phase === 'ended' && execution.pendingRequests.length === 0 && execution.pendingChildren.length === 0 ? execution : undefined;
    },
    { timeoutMs, message: `execution ${id} did not end` },
  );
