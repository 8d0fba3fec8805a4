// Transaction commands name their participant: what is recorded as told comes from that name,
// whatever the topic looks like.
import { describe, expect, it } from 'vitest';
import { encodeTransactionCommand } from '../../wire/sagaMessages.js';
import { notifiedServices, transactionCommand } from './transactionCommand.js';

describe('transaction commands', () => {
  it('carry the service they are for, next to its transaction topic', () => {
    expect(transactionCommand('ledger.transactional', 'commit', 'exec-1')).toMatchObject({
      topic: 'ledger.transactional.transaction',
      service: 'ledger.transactional',
      message: { headers: { sagaId: 'exec-1', transactionAction: 'commit' } },
    });
  });

  it('notifiedServices reads the service of commit and reject commands, never a topic', () => {
    const outbox = [
      transactionCommand('stock', 'commit', 'exec-1'),
      transactionCommand('payment', 'reject', 'exec-1'),
      transactionCommand('ledger', 'reserve', 'exec-1', { requestId: 'v-1', replyTo: 'orders.reply' }),
      // A command without a service is not counted, even on a topic that looks like a transaction topic.
      { topic: 'audit.transaction', message: encodeTransactionCommand('commit', 'exec-1') },
      { topic: 'renamed-topic', service: 'billing', message: encodeTransactionCommand('commit', 'exec-1') },
    ];
    expect(notifiedServices(outbox)).toEqual(['stock', 'payment', 'billing']);
  });
});
