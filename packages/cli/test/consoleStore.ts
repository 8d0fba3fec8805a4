/**
 * The store the console tests open: `recordStore`'s executions (finished, compensated, paused,
 * corrupted) plus a ledger booking whose compensation stopped (for resume), an order whose context
 * and user are hostile (markup, a style terminator, terminal escapes), and a stream whose first
 * event does not decode.
 */
import { randomUUID } from 'node:crypto';
import { executionStream, InMemoryBroker, Saga, SagaManager } from '@saga/core';
import { SqliteEventStore } from '@saga/sqlite';
import { bookLedger } from './fixtures/ledgerSaga.mjs';
import { recordStore, type RecordedStore } from './recordedStore.js';

export const hostileValue = '<script>alert("ctx")</script></style><img src=x id=pwned>\u001b[2J';
/** How the hostile value reads once its escape character is shown escaped. */
export const hostileShown = '<script>alert("ctx")</script></style><img src=x id=pwned>\\u001b[2J';
export const hostileUser = '<b id=bold>mallory</b>';

export interface ConsoleStore extends RecordedStore {
  readonly console: { readonly stuck: string; readonly hostile: string; readonly unreadable: string };
}

const note = new Saga('take_note', { version: '1' })
  .localStep()
  .onExecute((ctx) => ctx.with({ seen: true }))
  .commit();

export const recordConsoleStore = async (dir: string): Promise<ConsoleStore> => {
  const recorded = await recordStore(dir);
  const store = new SqliteEventStore({ filename: recorded.file });
  const billing = new SagaManager({ store, broker: new InMemoryBroker(), service: 'billing', compensationRetry: { attempts: 1 } });
  await billing.setup();
  try {
    const stuck = (await billing.run({ definition: bookLedger, raiseOnError: false, user: 'carol' })).id;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const hostile = (await billing.run({ definition: note, context: { note: hostileValue, [hostileValue]: 'key' }, user: hostileUser })).id;
    // Not even its first event decodes (and the index never heard of it).
    const unreadable = randomUUID();
    await store.append(executionStream(unreadable), [{ type: 'SagaStarted', data: { executionId: unreadable } }], 'no_stream');
    return { ...recorded, console: { stuck, hostile, unreadable } };
  } finally {
    await billing.destroy();
    await store.destroy();
  }
};
