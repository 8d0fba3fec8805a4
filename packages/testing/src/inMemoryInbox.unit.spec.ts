// The inbox contract on the in-memory inbox: the reference run. Its records live as long as the
// object, so "reopening" hands back the same object (what a participant restarted in the same
// process would find); it has no transaction, so the suite checks what is recorded, not rollbacks.
import { InMemoryInbox } from '@saga/core';
import { inboxContract } from './inboxContract.js';

inboxContract(
  'InMemoryInbox',
  async () => {
    const inbox = new InMemoryInbox();
    const effects = new Map<string, number>();
    return {
      inbox,
      reopen: async () => inbox,
      write: async (_transaction: undefined, key: string) => void effects.set(key, (effects.get(key) ?? 0) + 1),
      count: async (key: string) => effects.get(key) ?? 0,
    };
  },
  { transactional: false },
);
