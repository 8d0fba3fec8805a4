/**
 * The behaviour every `ParticipantInbox` must have, written once and run by each adapter:
 *
 *   inboxContract('PostgresInbox', async () => ({ inbox, reopen, write, count }));
 *
 * `open` is called before every test and gives fresh storage: an inbox on it (the suite sets it up
 * and destroys it), `reopen()` for another inbox object on the same storage (what a restarted
 * participant opens; the suite destroys the first one before), and an effect the suite makes through
 * the inbox's transaction (`write`) with a way to count what of it was kept (`count`). The last part
 * runs a real `SagaParticipant` on the inbox over an in-memory broker: restarts, refusals, hooks.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Headers,
  InMemoryBroker,
  SagaBusinessError,
  SagaParticipant,
  SagaResponseStatus,
  decodeReply,
  encodeRequest,
  transactionTopic,
  type DeliveredMessage,
  type InboxWork,
  type ParticipantInbox,
  type ReplyEnvelope,
  type TransactionAction,
} from '@saga/core';
import { uniqueName } from './uniqueName.js';
import { waitFor } from './waitFor.js';

export interface InboxFixture<Tx> {
  /** An inbox on fresh, empty storage. */
  readonly inbox: ParticipantInbox<Tx>;
  /** Another inbox object on the same storage, as a restarted process opens it. */
  reopen(): Promise<ParticipantInbox<Tx>>;
  /** Makes an effect named `key` through the inbox's transaction (a row in a table of the test's). */
  write(transaction: Tx, key: string): Promise<void>;
  /** How many effects named `key` were kept (committed). */
  count(key: string): Promise<number>;
  /** Releases the storage after the test (inboxes are destroyed by the suite). */
  close?(): Promise<void>;
}

export interface InboxContractOptions {
  /** Skips the whole suite; the reason is shown in the suite's title. */
  readonly skip?: string;
  /**
   * Whether the inbox's transaction rolls back effects (a throw, a refusal). Default true; `false`
   * for the in-memory inbox, which has no transaction: the suite then checks only what is recorded.
   */
  readonly transactional?: boolean;
}

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => {
    resolve = res;
  });
  return { promise, resolve };
};

const replyOf = (requestId: string, sagaId: string, status: SagaResponseStatus = SagaResponseStatus.SUCCESS, payload: ReplyEnvelope['payload'] = { ok: requestId }): ReplyEnvelope => ({
  sagaId,
  requestId,
  status,
  relatedServices: ['stock'],
  payload,
});

const kept = <T>(value: T): InboxWork<T> => ({ value, keepEffects: true });

export const inboxContract = <Tx>(name: string, open: () => Promise<InboxFixture<Tx>>, options: InboxContractOptions = {}): void => {
  const suite = options.skip ? describe.skip : describe;
  const transactional = options.transactional ?? true;
  const title = `ParticipantInbox contract: ${name}`;

  suite(options.skip ? `${title} (skipped: ${options.skip})` : title, () => {
    let fixture: InboxFixture<Tx>;
    let inbox: ParticipantInbox<Tx>;
    const opened: ParticipantInbox<Tx>[] = [];
    const participant = uniqueName('stock');

    /** Destroys the inbox in use and opens the storage again, as a restarted participant does. */
    const restart = async (): Promise<ParticipantInbox<Tx>> => {
      await inbox.destroy();
      inbox = await fixture.reopen();
      opened.push(inbox);
      await inbox.setup();
      return inbox;
    };

    beforeEach(async () => {
      fixture = await open();
      inbox = fixture.inbox;
      opened.push(inbox);
      await inbox.setup();
    });
    afterEach(async () => {
      for (const each of opened.splice(0)) await each.destroy();
      await fixture.close?.();
    });

    describe('handleOnce', () => {
      it('runs once per request; a duplicate gets the recorded reply and does not run', async () => {
        let runs = 0;
        const run = async (tx: Tx) => {
          runs += 1;
          await fixture.write(tx, 'r1');
          return kept(replyOf('r1', 's1', SagaResponseStatus.SUCCESS, { run: runs }));
        };
        const request = { participant, requestId: 'r1', sagaId: 's1' };
        expect(await inbox.handleOnce(request, run)).toEqual({ reply: replyOf('r1', 's1', SagaResponseStatus.SUCCESS, { run: 1 }), duplicate: false });
        expect(await inbox.handleOnce(request, run)).toEqual({ reply: replyOf('r1', 's1', SagaResponseStatus.SUCCESS, { run: 1 }), duplicate: true });
        expect(runs).toBe(1);
        expect(await fixture.count('r1')).toBe(1);
      });

      it('keeps records per participant: the same requestId at another participant runs there', async () => {
        await inbox.handleOnce({ participant, requestId: 'r1', sagaId: 's1' }, async () => kept(replyOf('r1', 's1')));
        const other = await inbox.handleOnce({ participant: `${participant}-other`, requestId: 'r1', sagaId: 's1' }, async () =>
          kept(replyOf('r1', 's1', SagaResponseStatus.SUCCESS, 'other')),
        );
        expect(other).toEqual({ reply: replyOf('r1', 's1', SagaResponseStatus.SUCCESS, 'other'), duplicate: false });
      });

      it('a recorded reply is found by a new inbox object on the same storage (a restarted participant)', async () => {
        await inbox.handleOnce({ participant, requestId: 'r1', sagaId: 's1' }, async (tx) => {
          await fixture.write(tx, 'r1');
          return kept(replyOf('r1', 's1'));
        });
        const again = await restart();
        let runs = 0;
        const answer = await again.handleOnce({ participant, requestId: 'r1', sagaId: 's1' }, async () => {
          runs += 1;
          return kept(replyOf('r1', 's1', SagaResponseStatus.SUCCESS, 'second run'));
        });
        expect(answer).toEqual({ reply: replyOf('r1', 's1'), duplicate: true });
        expect(runs).toBe(0);
        expect(await fixture.count('r1')).toBe(1);
      });

      it('keeps ids and replies with quotes, backslashes and non-ASCII text exactly as given', async () => {
        const odd = `r'1\\"; DROP TABLE x; -- ü 😀 \\u0041`;
        const payload = { text: `it's a "quote" \\ back\\slash ü 😀`, nested: [`'`, '\\', { "k'ey": 'va"lue' }] };
        const request = { participant: `${participant}'"\\`, requestId: odd, sagaId: `s'${odd}` };
        const first = await inbox.handleOnce(request, async () => kept(replyOf(odd, request.sagaId, SagaResponseStatus.SUCCESS, payload)));
        const again = await inbox.handleOnce(request, async () => kept(replyOf(odd, request.sagaId, SagaResponseStatus.SUCCESS, 'second run')));
        expect(again).toEqual({ reply: first.reply, duplicate: true });
        expect(again.reply.payload).toEqual(payload);
        expect(again.reply.requestId).toBe(odd);
      });

      it('concurrent duplicates: one run, and both get its reply', async () => {
        const gate = deferred();
        let runs = 0;
        const run = async (tx: Tx) => {
          runs += 1;
          await gate.promise;
          await fixture.write(tx, 'r1');
          return kept(replyOf('r1', 's1', SagaResponseStatus.SUCCESS, { run: runs }));
        };
        const request = { participant, requestId: 'r1', sagaId: 's1' };
        const first = inbox.handleOnce(request, run);
        const second = inbox.handleOnce(request, run);
        await waitFor(() => runs >= 1, { message: 'the first run to start' });
        gate.resolve();
        const answers = await Promise.all([first, second]);
        expect(answers.map((a) => a.reply)).toEqual([replyOf('r1', 's1', SagaResponseStatus.SUCCESS, { run: 1 }), replyOf('r1', 's1', SagaResponseStatus.SUCCESS, { run: 1 })]);
        expect(answers.map((a) => a.duplicate).sort()).toEqual([false, true]);
        expect(runs).toBe(1);
        expect(await fixture.count('r1')).toBe(1);
      });

      it('a run that throws records nothing and keeps no effect: the next delivery runs again', async () => {
        const request = { participant, requestId: 'r1', sagaId: 's1' };
        await expect(
          inbox.handleOnce(request, async (tx) => {
            await fixture.write(tx, 'r1');
            throw new Error('the reply could not be built');
          }),
        ).rejects.toThrow('the reply could not be built');
        if (transactional) expect(await fixture.count('r1')).toBe(0);
        const retried = await inbox.handleOnce(request, async () => kept(replyOf('r1', 's1', SagaResponseStatus.SUCCESS, 'retried')));
        expect(retried).toEqual({ reply: replyOf('r1', 's1', SagaResponseStatus.SUCCESS, 'retried'), duplicate: false });
      });

      it('keepEffects: false records the reply and rolls back what the run did (a refusal)', async () => {
        const refusal = replyOf('r1', 's1', SagaResponseStatus.ERROR, { message: 'out of stock' });
        const request = { participant, requestId: 'r1', sagaId: 's1' };
        await inbox.handleOnce(request, async (tx) => {
          await fixture.write(tx, 'r1');
          return { value: refusal, keepEffects: false };
        });
        if (transactional) expect(await fixture.count('r1')).toBe(0);
        let runs = 0;
        const again = await inbox.handleOnce(request, async () => {
          runs += 1;
          return kept(replyOf('r1', 's1'));
        });
        expect(again).toEqual({ reply: refusal, duplicate: true });
        expect(runs).toBe(0);
      });
    });

    describe('transactionOnce', () => {
      const command = (sagaId: string, action: TransactionAction) => ({ participant, sagaId, action });

      it('reserve: the vote is recorded once, across a restart', async () => {
        let runs = 0;
        const vote = async (tx: Tx) => {
          runs += 1;
          await fixture.write(tx, 'reserve-s1');
          return kept(true);
        };
        expect(await inbox.transactionOnce(command('s1', 'reserve'), vote)).toEqual({ action: 'reserve', value: true, duplicate: false });
        expect(await inbox.transactionOnce(command('s1', 'reserve'), vote)).toEqual({ action: 'reserve', value: true, duplicate: true });
        const again = await restart();
        expect(await again.transactionOnce(command('s1', 'reserve'), vote)).toEqual({ action: 'reserve', value: true, duplicate: true });
        expect(runs).toBe(1);
        expect(await fixture.count('reserve-s1')).toBe(1);
      });

      it('reserve: a no vote is recorded and rolls back what the hook did', async () => {
        await inbox.transactionOnce(command('s1', 'reserve'), async (tx) => {
          await fixture.write(tx, 'reserve-s1');
          return { value: false, keepEffects: false };
        });
        if (transactional) expect(await fixture.count('reserve-s1')).toBe(0);
        expect(await inbox.transactionOnce(command('s1', 'reserve'), async () => kept(true))).toEqual({ action: 'reserve', value: false, duplicate: true });
      });

      for (const [first, second] of [
        ['commit', 'reject'],
        ['reject', 'commit'],
      ] as const) {
        it(`${first} takes effect once; a ${second} after it does not run, across a restart`, async () => {
          const runs: string[] = [];
          const hook = (action: TransactionAction) => async (tx: Tx) => {
            runs.push(action);
            await fixture.write(tx, `${action}-s1`);
            return kept(true);
          };
          expect(await inbox.transactionOnce(command('s1', first), hook(first))).toEqual({ action: first, value: true, duplicate: false });
          expect(await inbox.transactionOnce(command('s1', first), hook(first))).toEqual({ action: first, value: true, duplicate: true });
          expect(await inbox.transactionOnce(command('s1', second), hook(second))).toEqual({ action: first, value: true, duplicate: true });
          const again = await restart();
          expect(await again.transactionOnce(command('s1', second), hook(second))).toEqual({ action: first, value: true, duplicate: true });
          expect(await again.transactionOnce(command('s1', first), hook(first))).toEqual({ action: first, value: true, duplicate: true });
          expect(runs).toEqual([first]);
          expect(await fixture.count(`${first}-s1`)).toBe(1);
          expect(await fixture.count(`${second}-s1`)).toBe(0);
        });
      }

      it('a hook that throws records nothing: the redelivered command runs it again', async () => {
        await expect(
          inbox.transactionOnce(command('s1', 'commit'), async (tx) => {
            await fixture.write(tx, 'commit-s1');
            throw new Error('ledger unavailable');
          }),
        ).rejects.toThrow('ledger unavailable');
        if (transactional) expect(await fixture.count('commit-s1')).toBe(0);
        expect(await inbox.transactionOnce(command('s1', 'commit'), async () => kept(true))).toEqual({ action: 'commit', value: true, duplicate: false });
      });

      it('concurrent commit and reject: exactly one runs', async () => {
        const gate = deferred();
        const runs: string[] = [];
        const hook = (action: TransactionAction) => async (tx: Tx) => {
          runs.push(action);
          await gate.promise;
          await fixture.write(tx, `${action}-s1`);
          return kept(true);
        };
        const commit = inbox.transactionOnce(command('s1', 'commit'), hook('commit'));
        const reject = inbox.transactionOnce(command('s1', 'reject'), hook('reject'));
        await waitFor(() => runs.length >= 1, { message: 'a hook to start' });
        gate.resolve();
        const recorded = await Promise.all([commit, reject]);
        expect(runs).toHaveLength(1);
        expect(recorded.map((r) => r.action)).toEqual([runs[0], runs[0]]);
        expect((await fixture.count('commit-s1')) + (await fixture.count('reject-s1'))).toBe(1);
      });

      it('keeps the vote and the outcome per participant and per saga', async () => {
        await inbox.transactionOnce(command('s1', 'commit'), async () => kept(true));
        expect((await inbox.transactionOnce(command('s2', 'reject'), async () => kept(true))).duplicate).toBe(false);
        expect((await inbox.transactionOnce({ participant: `${participant}-other`, sagaId: 's1', action: 'reject' }, async () => kept(true))).duplicate).toBe(false);
        expect((await inbox.transactionOnce(command('s1', 'reserve'), async () => kept(true))).duplicate).toBe(false);
      });
    });

    describe('prune', () => {
      it('deletes the records older than the date and no others; a pruned request runs again', async () => {
        await inbox.handleOnce({ participant, requestId: 'r1', sagaId: 's1' }, async () => kept(replyOf('r1', 's1')));
        await inbox.transactionOnce({ participant, sagaId: 's1', action: 'reserve' }, async () => kept(true));
        await inbox.transactionOnce({ participant, sagaId: 's1', action: 'commit' }, async () => kept(true));
        // A minute of margin either way: the database's clock may stamp the records.
        expect(await inbox.prune(new Date(Date.now() - 60_000))).toBe(0);
        expect((await inbox.handleOnce({ participant, requestId: 'r1', sagaId: 's1' }, async () => kept(replyOf('r1', 's1', SagaResponseStatus.SUCCESS, 'again')))).duplicate).toBe(true);
        expect(await inbox.prune(new Date(Date.now() + 60_000))).toBe(3);
        const afterPrune = await inbox.handleOnce({ participant, requestId: 'r1', sagaId: 's1' }, async () => kept(replyOf('r1', 's1', SagaResponseStatus.SUCCESS, 'again')));
        expect(afterPrune).toEqual({ reply: replyOf('r1', 's1', SagaResponseStatus.SUCCESS, 'again'), duplicate: false });
        expect((await inbox.transactionOnce({ participant, sagaId: 's1', action: 'reject' }, async () => kept(true))).duplicate).toBe(false);
      });
    });

    describe('a SagaParticipant on the inbox', () => {
      const target = `${participant}.reserve`;
      const replyTo = `${participant}-manager.reply`;
      let broker: InMemoryBroker;
      let replies: ReplyEnvelope[];
      let participants: SagaParticipant<Tx>[];

      beforeEach(async () => {
        broker = new InMemoryBroker();
        await broker.setup();
        replies = [];
        participants = [];
        await broker.subscribe(replyTo, 'manager', async (message: DeliveredMessage) => void replies.push(decodeReply(message)));
      });
      afterEach(async () => {
        for (const each of participants.splice(0)) await each.destroy();
        await broker.destroy();
      });

      /** A participant whose handler writes an effect per request id, and counts its runs. */
      const start = async (on: ParticipantInbox<Tx>, behaviour: { refuse?: boolean } = {}) => {
        const runs: string[] = [];
        const hooks: string[] = [];
        const p = new SagaParticipant<Tx>({ broker, service: participant, inbox: on });
        p.handle(target, async (_payload, meta) => {
          runs.push(meta.requestId);
          await fixture.write(meta.transaction, meta.requestId);
          if (behaviour.refuse) throw new SagaBusinessError('out of stock', { sku: 'A1' });
          return { reserved: meta.requestId };
        });
        p.onCommit(async (sagaId, tx) => {
          hooks.push(`commit ${sagaId}`);
          await fixture.write(tx, `commit-${sagaId}`);
        }).onReject(async (sagaId, tx) => {
          hooks.push(`reject ${sagaId}`);
          await fixture.write(tx, `reject-${sagaId}`);
        });
        await p.setup();
        participants.push(p);
        return { p, runs, hooks };
      };
      const send = (requestId: string) => broker.publish(target, encodeRequest({ sagaId: 's1', requestId, replyTo, purpose: 'execute', payload: { sku: 'A1' } }));
      const command = (action: 'commit' | 'reject') =>
        broker.publish(transactionTopic(participant), { id: uniqueName('command'), headers: { [Headers.sagaId]: 's1', [Headers.transactionAction]: action }, body: null });

      it('a restarted participant answers a re-sent request from the inbox: the handler ran once', async () => {
        const first = await start(inbox);
        await send('r1');
        await waitFor(() => replies.length === 1, { message: 'the first reply' });
        await first.p.destroy();
        const second = await start(await restart());
        await send('r1');
        await waitFor(() => replies.length === 2, { message: 'the reply to the re-sent request' });
        expect(replies[1]).toEqual(replies[0]);
        expect(replies[0]?.payload).toEqual({ reserved: 'r1' });
        expect([...first.runs, ...second.runs]).toEqual(['r1']);
        expect(await fixture.count('r1')).toBe(1);
      });

      it('a SagaBusinessError replies ERROR, keeps none of the handler’s effects, and is answered again from the inbox', async () => {
        const refusing = await start(inbox, { refuse: true });
        await send('r1');
        await waitFor(() => replies.length === 1, { message: 'the ERROR reply' });
        await send('r1');
        await waitFor(() => replies.length === 2, { message: 'the reply to the re-sent request' });
        expect(replies.map((r) => r.status)).toEqual([SagaResponseStatus.ERROR, SagaResponseStatus.ERROR]);
        expect(replies[0]?.payload).toEqual({ name: 'SagaBusinessError', message: 'out of stock', details: { sku: 'A1' } });
        expect(refusing.runs).toEqual(['r1']);
        if (transactional) expect(await fixture.count('r1')).toBe(0);
      });

      it('onCommit takes effect once across a restart, and a reject after it never runs', async () => {
        const first = await start(inbox);
        await command('commit');
        await waitFor(async () => (await fixture.count('commit-s1')) === 1, { message: 'the commit' });
        await first.p.destroy();
        const second = await start(await restart());
        await command('commit');
        await command('reject');
        // drain() returns once every delivery was handled (acknowledged): both commands were seen.
        await broker.drain();
        expect([...first.hooks, ...second.hooks]).toEqual(['commit s1']);
        expect(await fixture.count('commit-s1')).toBe(1);
        expect(await fixture.count('reject-s1')).toBe(0);
      });
    });
  });
};
